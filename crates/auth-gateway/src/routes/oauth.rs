//! What the OAuth endpoints (`/token`, `/revoke`, `/introspect`) share: the error response of
//! RFC 6749 §5.2, the form-encoded body, and client authentication.

use actix_web::{HttpRequest, HttpResponse, http::header};
use base64::Engine;

use crate::{
    clients::{Client, ClientKind},
    routes::params,
    state::GatewayState,
};

/// An OAuth error response (RFC 6749 §5.2).
pub struct OAuthError {
    status: actix_web::http::StatusCode,
    error: &'static str,
    description: String,
}

impl OAuthError {
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status: actix_web::http::StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
        }
    }

    pub fn response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if self.error == "invalid_client" {
            response.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"secutix-bridge\""));
        }
        response.json(serde_json::json!({ "error": self.error, "error_description": self.description }))
    }
}

pub fn invalid_client() -> OAuthError {
    OAuthError {
        status: actix_web::http::StatusCode::UNAUTHORIZED,
        error: "invalid_client",
        description: "client authentication failed".into(),
    }
}

pub fn invalid_grant(description: &str) -> OAuthError {
    OAuthError::new("invalid_grant", description)
}

pub fn unavailable() -> OAuthError {
    OAuthError {
        status: actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
        error: "temporarily_unavailable",
        description: "try again".into(),
    }
}

/// The parameters of a form-encoded OAuth request (token, revocation, introspection).
pub fn form(req: &HttpRequest, body: &[u8]) -> Result<std::collections::HashMap<String, String>, OAuthError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(OAuthError::new(
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let text = std::str::from_utf8(body).map_err(|_| OAuthError::new("invalid_request", "the body is not UTF-8"))?;
    params::parse(text).map_err(|name| OAuthError::new("invalid_request", format!("{name} is repeated")))
}

/// `client_secret_basic`, `client_secret_post`, or `none` for public clients; exactly one.
pub fn authenticate<'a>(
    req: &HttpRequest,
    form: &std::collections::HashMap<String, String>,
    state: &'a GatewayState,
) -> Result<&'a Client, OAuthError> {
    let basic = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")))
        .map(|encoded| {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .map_err(|_| invalid_client())?;
            let decoded = String::from_utf8(decoded).map_err(|_| invalid_client())?;
            let (id, secret) = decoded.split_once(':').ok_or_else(invalid_client)?;
            // RFC 6749 §2.3.1: both parts are form-urlencoded.
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
            };
            Ok::<_, OAuthError>((decode(id).unwrap_or_default(), decode(secret).unwrap_or_default()))
        })
        .transpose()?;
    let posted = form.get("client_secret");
    let (id, secret) = match (basic, posted) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::new(
                "invalid_request",
                "use one client authentication method",
            ));
        }
        (Some((id, secret)), None) => (id, Some(secret)),
        (None, secret) => (form.get("client_id").cloned().unwrap_or_default(), secret.cloned()),
    };
    if form.get("client_id").is_some_and(|posted_id| *posted_id != id) {
        return Err(invalid_client());
    }
    let client = state.clients.get(&id).ok_or_else(invalid_client)?;
    match (client.kind, secret) {
        (ClientKind::Confidential, Some(secret)) if client.authenticate(&secret) => Ok(client),
        (ClientKind::Public, None) => Ok(client),
        _ => Err(invalid_client()),
    }
}
