//! Standard Webhooks signatures (standardwebhooks.com, `spec/standard-webhooks.md`): the sender
//! signs `{webhook-id}.{webhook-timestamp}.{body}` with HMAC-SHA256 under the base64 secret
//! after `whsec_`, and sends one or more space-separated `v1,<base64 tag>` in
//! `webhook-signature`; the receiver accepts when the timestamp is within
//! [`TOLERANCE_SECONDS`] of its clock and any listed `v1` tag matches any of its keys.
//!
//! Plain Rust on purpose: header values come in as strings ([`SignatureHeaders`]), so the
//! ingest (which verifies, on actix-web) and the simulator (which signs, with reqwest) share one
//! implementation without either web stack, and the two sides cannot drift apart.
//!
//! ```
//! use standard_webhooks::{SignatureHeaders, StandardWebhooks};
//!
//! let key = b"a key of 24 to 64 random bytes".to_vec();
//! let (id, now, body) = ("msg_1", 1_700_000_000, br#"{"contactNumber": "0001"}"#);
//! let headers = SignatureHeaders {
//!     id: id.into(),
//!     timestamp: now.to_string(),
//!     signatures: StandardWebhooks::sign(&key, id, now, body),
//! };
//! let verifier = StandardWebhooks::new(vec![key]);
//! assert!(verifier.verify(&headers, body, now + 10).is_ok());
//! assert!(verifier.verify(&headers, b"{}", now + 10).is_err());
//! ```

mod headers;
mod verifier;

#[cfg(test)]
mod tests;

pub use headers::{ID_HEADER, SIGNATURE_HEADER, SignatureHeaders, TIMESTAMP_HEADER};
pub use verifier::{StandardWebhooks, VerifyError};

/// Largest accepted distance between `webhook-timestamp` and now, in seconds: the five minutes
/// the specification recommends, which bounds how long a captured request can be replayed.
pub const TOLERANCE_SECONDS: i64 = 5 * 60;
