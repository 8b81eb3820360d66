//! The client's settings, from flags or the environment (`--help` lists them).

use std::time::Duration;

use infra::config::parse_seconds;
use secrecy::SecretString;

/// Unit of the token's `iat` and `exp` (S-360's text says milliseconds, its example seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TimeUnit {
    Seconds,
    Milliseconds,
}

/// S-360 contact API settings. Without `SECUTIX_API_URL` nothing calls S-360 (the worker
/// keeps linking and write-back queued until it is configured).
#[derive(Debug, Clone, clap::Args)]
pub struct SecutixArgs {
    /// Base URL of the instance's back-end APIs, e.g.
    /// `https://<instit>.ws.secutix.com/tnco/backend-apis`; the service and method paths are
    /// appended to it.
    #[arg(long, env = "SECUTIX_API_URL", value_name = "SECUTIX_API_URL")]
    pub secutix_api_url: Option<url::Url>,

    /// Institution code: the token's `sub`.
    #[arg(
        long,
        env = "SECUTIX_INSTITUTION",
        value_name = "SECUTIX_INSTITUTION",
        default_value = ""
    )]
    pub secutix_institution: String,

    /// Virtual operator: the token's `aud`.
    #[arg(
        long,
        env = "SECUTIX_VIRTUAL_OPERATOR",
        value_name = "SECUTIX_VIRTUAL_OPERATOR",
        default_value = ""
    )]
    pub secutix_virtual_operator: String,

    /// Partner name S-360 registered for this integration: the token's `iss`.
    #[arg(long, env = "SECUTIX_PARTNER", value_name = "SECUTIX_PARTNER", default_value = "")]
    pub secutix_partner: String,

    /// Shared secret the HS256 tokens are signed with.
    #[arg(long, env = "SECUTIX_API_SECRET", value_name = "SECUTIX_API_SECRET", hide_env_values = true,
          value_parser = |s: &str| Ok::<_, String>(SecretString::from(s.to_owned())))]
    pub secutix_api_secret: Option<SecretString>,

    /// Unit of the token's `iat` and `exp`.
    #[arg(
        long,
        env = "SECUTIX_TOKEN_TIME_UNIT",
        value_name = "SECUTIX_TOKEN_TIME_UNIT",
        default_value = "seconds"
    )]
    pub secutix_token_time_unit: TimeUnit,

    /// Token lifetime in seconds (capped at 30, S-360's maximum).
    #[arg(long, env = "SECUTIX_TOKEN_LIFETIME", value_name = "SECUTIX_TOKEN_LIFETIME", default_value = "30",
          value_parser = parse_seconds)]
    pub secutix_token_lifetime: Duration,

    /// Calls per minute the whole installation makes at most, all processes together (every
    /// worker replica, `import --numbers`, `reconcile`: they share one schedule in PostgreSQL,
    /// named by SECUTIX_BUDGET). S-360 allows 180 per minute per instance, shared with every
    /// other integration of the instance (box office, partners, the club's CRM): give this
    /// installation its share, and the others the rest.
    #[arg(long, env = "SECUTIX_RATE_PER_MINUTE", value_name = "SECUTIX_RATE_PER_MINUTE", default_value_t = 180,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub secutix_rate_per_minute: u32,

    /// The name of the shared call schedule. Installations that call different S-360
    /// instances from one database use different names; those that share an instance's budget
    /// share a name.
    #[arg(long, env = "SECUTIX_BUDGET", value_name = "SECUTIX_BUDGET", default_value = "s360")]
    pub secutix_budget: String,

    /// Seconds one HTTP call may take (connecting included).
    #[arg(long, env = "SECUTIX_TIMEOUT", value_name = "SECUTIX_TIMEOUT", default_value = "10",
          value_parser = parse_seconds)]
    pub secutix_timeout: Duration,

    /// Attempts per call for transient failures (connection errors, timeouts, 5xx, 429/509)
    /// before giving up; 4xx answers are never retried.
    #[arg(long, env = "SECUTIX_MAX_ATTEMPTS", value_name = "SECUTIX_MAX_ATTEMPTS", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub secutix_max_attempts: u32,

    /// Longest back-off between two attempts, in seconds (a longer `Retry-After` is honoured).
    #[arg(long, env = "SECUTIX_MAX_BACKOFF", value_name = "SECUTIX_MAX_BACKOFF", default_value = "30",
          value_parser = parse_seconds)]
    pub secutix_max_backoff: Duration,

    /// `provider` of `addLink`: the name S-360 knows this identity provider by.
    #[arg(
        long,
        env = "SECUTIX_SSO_PROVIDER",
        value_name = "SECUTIX_SSO_PROVIDER",
        default_value = "secutix-bridge"
    )]
    pub secutix_sso_provider: String,
}

impl SecutixArgs {
    /// Whether an API URL is configured.
    pub fn configured(&self) -> bool {
        self.secutix_api_url.is_some()
    }
}
