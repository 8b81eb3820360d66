//! The one error type of the HTTP API: a stable code and a message in a JSON body. Messages
//! name the problem (field, index, line and column) but never repeat submitted values, which
//! may be personal data.

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use infra::http::RETRY_AFTER_SECONDS;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the content type must be application/json")]
    UnsupportedMediaType,
    #[error("the body is larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("the request has {count} contacts; at most {limit} are accepted per request")]
    TooManyContacts { count: usize, limit: usize },
    #[error("the body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("the body must be a JSON object or an array of objects")]
    WrongShape,
    #[error("{0}")]
    InvalidContact(String),
    #[error("authentication failed")]
    Unauthorized { offer_basic: bool },
    #[error("the request body could not be read")]
    BodyRead,
    #[error("the message broker did not confirm the contacts; send them again")]
    Unavailable,
}

impl ApiError {
    /// Stable machine-readable code, documented in docs/webhooks.md.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::BodyTooLarge { .. } => "body_too_large",
            Self::TooManyContacts { .. } => "too_many_contacts",
            Self::MalformedJson(_) => "malformed_json",
            Self::WrongShape => "wrong_shape",
            Self::InvalidContact(_) => "invalid_contact",
            Self::BodyRead => "body_unreadable",
            Self::Unauthorized { .. } => "unauthorized",
            Self::Unavailable => "broker_unavailable",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::BodyTooLarge { .. } | Self::TooManyContacts { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MalformedJson(_) | Self::WrongShape | Self::BodyRead => StatusCode::BAD_REQUEST,
            Self::InvalidContact(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Self::Unavailable => {
                response.insert_header(("Retry-After", RETRY_AFTER_SECONDS.to_string()));
            }
            Self::Unauthorized { offer_basic: true } => {
                response.insert_header(("WWW-Authenticate", "Basic realm=\"secutix-bridge webhooks\""));
            }
            _ => {}
        }
        response.json(serde_json::json!({ "error": self.code(), "message": self.to_string() }))
    }
}
