//! Signing and constant-time verification of Standard Webhooks signatures.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::{SignatureHeaders, TOLERANCE_SECONDS};

/// Why a request's signature was refused. A receiver should answer every one of them the same
/// way (a bare 401), so a sender learns nothing from the refusal; the detail is for tests and
/// logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("webhook-timestamp is not a whole number of seconds")]
    MalformedTimestamp,
    #[error("webhook-timestamp is more than {TOLERANCE_SECONDS} s away from now")]
    OutsideTolerance,
    #[error("no v1 signature matches any key")]
    NoMatch,
}

/// Verifies signatures against every configured key (several during a rotation).
pub struct StandardWebhooks {
    keys: Vec<Vec<u8>>,
}

impl StandardWebhooks {
    /// A verifier of the decoded keys (the bytes after `whsec_`, base64-decoded).
    pub fn new(keys: Vec<Vec<u8>>) -> Self {
        Self { keys }
    }

    /// `Ok` when the timestamp is within tolerance of `now` (seconds since the epoch) and any
    /// listed `v1` signature matches any key.
    pub fn verify(&self, headers: &SignatureHeaders, body: &[u8], now: i64) -> Result<(), VerifyError> {
        let timestamp: i64 = headers
            .timestamp
            .trim()
            .parse()
            .map_err(|_| VerifyError::MalformedTimestamp)?;
        // `abs_diff` cannot overflow, whatever timestamp the sender claims.
        if now.abs_diff(timestamp) > TOLERANCE_SECONDS.unsigned_abs() {
            return Err(VerifyError::OutsideTolerance);
        }
        // Other versions (`v1a`, asymmetric) are not ours to check: skipped, as the
        // specification asks, as are entries that are not base64.
        let presented: Vec<Vec<u8>> = headers
            .signatures
            .split(' ')
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .filter_map(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .collect();
        // One MAC per key, however many signatures are listed, so a long header cannot make
        // us hash the body over and over. Tags are compared in constant time (the specification
        // requires it): timing tells nothing about how much of a forged tag was right.
        let matched = self.keys.iter().any(|key| {
            let expected = tag(key, &headers.id, headers.timestamp.trim(), body);
            presented
                .iter()
                .any(|signature| bool::from(expected.as_slice().ct_eq(signature)))
        });
        if matched { Ok(()) } else { Err(VerifyError::NoMatch) }
    }

    /// The `webhook-signature` value a sender sends for this message, `v1,<base64 tag>`; used
    /// by the simulator, the tests and the benchmark's load generator.
    pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = tag(key, id, &timestamp.to_string(), body);
        format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(tag))
    }
}

/// HMAC-SHA256 over `{id}.{timestamp}.{body}`.
fn tag(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}
