//! What a call to S-360 can end in, typed so callers tell "retry later" from "never".

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The client is misconfigured (bad URL, empty secret): no call was made.
    #[error("S-360 client configuration: {0}")]
    Config(String),
    /// S-360 could not be reached, or did not answer in time, after every retry.
    #[error("S-360 unreachable after {attempts} attempts: {reason}")]
    Unreachable { attempts: u32, reason: String },
    /// S-360 kept answering 429/509 (over the rate limit) after every retry.
    #[error("S-360 rate limit still exceeded after {attempts} attempts")]
    RateLimited {
        attempts: u32,
        retry_after: Option<Duration>,
    },
    /// S-360 answered 5xx after every retry.
    #[error("S-360 answered {status} after {attempts} attempts")]
    Server { status: u16, attempts: u32 },
    /// S-360 refused the call (4xx other than 429): retrying the same call cannot help.
    #[error("S-360 refused the call with {status}: {code}")]
    Rejected { status: u16, code: String, message: String },
    /// The answer was not what the API documents.
    #[error("S-360 answer not understood: {0}")]
    Decode(String),
}

impl Error {
    /// Whether the same call may succeed later (outage, rate limit, server error).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Unreachable { .. } | Self::RateLimited { .. } | Self::Server { .. }
        )
    }

    /// The status S-360 answered, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Server { status, .. } | Self::Rejected { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A short stable code for logs, metrics and outcome columns (never personal data).
    pub fn code(&self) -> String {
        match self {
            Self::Config(_) => "config".into(),
            Self::Unreachable { .. } => "unreachable".into(),
            Self::RateLimited { .. } => "rate_limited".into(),
            Self::Server { status, .. } => format!("server_{status}"),
            Self::Rejected { status, code, .. } => format!("rejected_{status}_{code}"),
            Self::Decode(_) => "decode".into(),
        }
    }
}
