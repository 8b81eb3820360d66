//! Who may post webhooks. Credentials (HTTP Basic, a static bearer token, Standard Webhooks
//! HMAC signatures) are alternatives: any one configured method that succeeds is enough, so an
//! operator can move S-360 from one method to another without downtime. A source-address
//! allow-list, when configured, is an extra requirement on top. Every failure is a bare 401.

mod settings;
mod signature;
mod source;

pub use settings::AuthArgs;
// The verifier is the `standard-webhooks` crate's; re-exported because
// [`Credentials::Signed`] carries its headers (and the fuzz target reaches it through here).
pub use standard_webhooks::{SignatureHeaders, StandardWebhooks};

use std::net::SocketAddr;

use actix_web::HttpRequest;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use signature::signature_headers;
use source::SourceFilter;

/// The request could not be authenticated. Deliberately without detail.
#[derive(Debug, thiserror::Error)]
#[error("authentication failed")]
pub struct Unauthorized;

/// Checks every webhook request; built once from [`AuthArgs`].
pub struct Authenticator {
    basic: Option<[u8; 32]>,
    bearer: Option<[u8; 32]>,
    hmac: Option<StandardWebhooks>,
    source: SourceFilter,
    unauthenticated: bool,
}

/// Outcome of the checks that need no body.
#[derive(Debug)]
pub enum Credentials {
    /// Basic or bearer matched, or unauthenticated posting is allowed.
    Accepted,
    /// Only a signature can authenticate this request; verify it once the body is read.
    Signed(SignatureHeaders),
}

impl Authenticator {
    /// The source address and header credentials, checked before the body is read.
    pub fn check(&self, req: &HttpRequest) -> Result<Credentials, Unauthorized> {
        self.source
            .check(req.peer_addr().map(|a: SocketAddr| a.ip()), req.headers())?;
        if self.unauthenticated {
            return Ok(Credentials::Accepted);
        }
        let authorization = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if let Some(value) = authorization {
            let basic = self.basic.as_ref().zip(strip_scheme(value, "Basic"));
            if let Some((expected, encoded)) = basic {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .unwrap_or_default();
                if matches_digest(expected, &decoded) {
                    return Ok(Credentials::Accepted);
                }
            }
            let bearer = self.bearer.as_ref().zip(strip_scheme(value, "Bearer"));
            if let Some((expected, token)) = bearer
                && matches_digest(expected, token.trim().as_bytes())
            {
                return Ok(Credentials::Accepted);
            }
        }
        match (&self.hmac, signature_headers(req.headers())) {
            (Some(_), Some(headers)) => Ok(Credentials::Signed(headers)),
            _ => Err(Unauthorized),
        }
    }

    /// Verifies a Standard Webhooks signature over the body. Why it failed is not told to the
    /// sender (every failure is the same bare 401), only logged at debug level.
    pub fn verify(&self, headers: &SignatureHeaders, body: &[u8]) -> Result<(), Unauthorized> {
        let verifier = self.hmac.as_ref().ok_or(Unauthorized)?;
        verifier
            .verify(headers, body, chrono::Utc::now().timestamp())
            .map_err(|reason| {
                tracing::debug!(%reason, "Webhook signature refused");
                Unauthorized
            })
    }

    /// Whether Basic is configured, to advertise it in `WWW-Authenticate`.
    pub fn offers_basic(&self) -> bool {
        self.basic.is_some()
    }
}

/// `Basic xyz` → `xyz`, scheme compared without regard to case (RFC 9110 §11.1).
fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (given, rest) = value.split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then_some(rest)
}

/// Compares SHA-256 digests in constant time, so neither the content nor the length of the
/// secret leaks through timing.
fn matches_digest(expected: &[u8; 32], presented: &[u8]) -> bool {
    let digest: [u8; 32] = Sha256::digest(presented).into();
    bool::from(digest.ct_eq(expected))
}

fn digest(secret: &[u8]) -> [u8; 32] {
    Sha256::digest(secret).into()
}
