//! The one error type of the simulator's HTTP surface: `{"error": "<code>", "message": "..."}`
//! with a fitting status. Messages name fields, never their values. Also the reading of JSON
//! bodies, so the admin API and the contact API refuse a malformed body alike.

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use serde_json::Value;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request body or a parameter is wrong (400).
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// The contact API token was refused (401); `message` says which rule failed.
    #[error("{0}")]
    InvalidToken(String),
    /// Over the contact API's rate limit: 509 or 429 with `Retry-After`.
    #[error("more than {limit} calls in the rate-limit window; retry after {retry_after} s")]
    RateLimited { status: u16, limit: u32, retry_after: u64 },
    /// What the store refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A feature that is not configured (404 with a reason).
    #[error("{0}")]
    NotConfigured(&'static str),
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. } => code,
            Self::InvalidToken(_) => "invalid_token",
            Self::RateLimited { .. } => "rate_limited",
            Self::Store(error) => error.code(),
            Self::NotConfigured(_) => "not_configured",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            Self::RateLimited { status, .. } => StatusCode::from_u16(*status).unwrap_or(StatusCode::TOO_MANY_REQUESTS),
            Self::Store(error) => error.status(),
            Self::NotConfigured(_) => StatusCode::NOT_FOUND,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Self::InvalidToken(_) => {
                response.insert_header(("WWW-Authenticate", "Bearer error=\"invalid_token\""));
            }
            Self::RateLimited { retry_after, .. } => {
                response.insert_header(("Retry-After", retry_after.to_string()));
            }
            _ => {}
        }
        response.json(serde_json::json!({
            "error": self.code(),
            "message": self.to_string(),
            "statusCode": "failure",
        }))
    }
}

/// A JSON body, with a house-style 400 when it is not JSON.
pub fn json_body(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(
            "malformed_json",
            format!("the body is not valid JSON (line {}, column {})", e.line(), e.column()),
        )
    })
}
