//! Standard Webhooks signatures (standardwebhooks.com): `webhook-signature` carries one or more
//! space-separated `v1,<base64 HMAC-SHA256>` over `{webhook-id}.{webhook-timestamp}.{body}`,
//! keyed by the base64 secret after `whsec_`; the timestamp must be within five minutes.

use actix_web::http::header::HeaderMap;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::Unauthorized;

/// Largest accepted distance between `webhook-timestamp` and now, in seconds.
pub const TOLERANCE_SECONDS: i64 = 5 * 60;

/// The three signature headers, as sent.
#[derive(Debug, Clone)]
pub struct SignatureHeaders {
    pub id: String,
    pub timestamp: String,
    pub signatures: String,
}

impl SignatureHeaders {
    /// All three headers, or `None` when any is missing.
    pub fn from_request(headers: &HeaderMap) -> Option<Self> {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        Some(Self {
            id: get("webhook-id")?,
            timestamp: get("webhook-timestamp")?,
            signatures: get("webhook-signature")?,
        })
    }
}

/// Verifies signatures against every configured key (several during a rotation).
pub struct StandardWebhooks {
    keys: Vec<Vec<u8>>,
}

impl StandardWebhooks {
    pub fn new(keys: Vec<Vec<u8>>) -> Self {
        Self { keys }
    }

    /// `Ok` when the timestamp is within tolerance of `now` and any listed `v1` signature
    /// matches any key. The comparison is constant-time (`Mac::verify_slice`).
    pub fn verify(&self, headers: &SignatureHeaders, body: &[u8], now: i64) -> Result<(), Unauthorized> {
        let timestamp: i64 = headers.timestamp.trim().parse().map_err(|_| Unauthorized)?;
        // `abs_diff` cannot overflow, whatever timestamp the sender claims.
        if now.abs_diff(timestamp) > TOLERANCE_SECONDS.unsigned_abs() {
            return Err(Unauthorized);
        }
        let presented: Vec<Vec<u8>> = headers
            .signatures
            .split(' ')
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .filter_map(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .collect();
        for key in &self.keys {
            for signature in &presented {
                if mac(key, headers, body).verify_slice(signature).is_ok() {
                    return Ok(());
                }
            }
        }
        Err(Unauthorized)
    }

    /// Signs like a sender would; used by tests and the benchmark's load generator.
    pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
        let headers = SignatureHeaders {
            id: id.to_owned(),
            timestamp: timestamp.to_string(),
            signatures: String::new(),
        };
        let tag = mac(key, &headers, body).finalize().into_bytes();
        format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(tag))
    }
}

fn mac(key: &[u8], headers: &SignatureHeaders, body: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(headers.id.as_bytes());
    mac.update(b".");
    mac.update(headers.timestamp.trim().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector published with the Standard Webhooks specification.
    const KEY_B64: &str = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn key() -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(KEY_B64)
            .expect("base64")
    }

    fn headers(signatures: &str, timestamp: i64) -> SignatureHeaders {
        SignatureHeaders {
            id: ID.into(),
            timestamp: timestamp.to_string(),
            signatures: signatures.into(),
        }
    }

    #[test]
    fn matches_the_specification_test_vector() {
        assert_eq!(StandardWebhooks::sign(&key(), ID, TIMESTAMP, BODY), SIGNATURE);
        let verifier = StandardWebhooks::new(vec![key()]);
        assert!(verifier.verify(&headers(SIGNATURE, TIMESTAMP), BODY, TIMESTAMP).is_ok());
    }

    #[test]
    fn rejects_tampering_and_stale_timestamps() {
        let verifier = StandardWebhooks::new(vec![key()]);
        assert!(
            verifier
                .verify(&headers(SIGNATURE, TIMESTAMP), br#"{"test": 2432232315}"#, TIMESTAMP)
                .is_err()
        );
        assert!(
            verifier
                .verify(&headers(SIGNATURE, TIMESTAMP + 1), BODY, TIMESTAMP)
                .is_err(),
            "timestamp is signed"
        );
        let mut other_id = headers(SIGNATURE, TIMESTAMP);
        other_id.id.push('x');
        assert!(verifier.verify(&other_id, BODY, TIMESTAMP).is_err(), "id is signed");
        assert!(
            verifier
                .verify(&headers(SIGNATURE, TIMESTAMP), BODY, TIMESTAMP + TOLERANCE_SECONDS + 1)
                .is_err()
        );
        assert!(
            verifier
                .verify(&headers(SIGNATURE, TIMESTAMP), BODY, TIMESTAMP - TOLERANCE_SECONDS - 1)
                .is_err()
        );
        assert!(
            verifier
                .verify(&headers(SIGNATURE, TIMESTAMP), BODY, TIMESTAMP + TOLERANCE_SECONDS)
                .is_ok()
        );
        assert!(
            verifier
                .verify(
                    &headers("v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", TIMESTAMP),
                    BODY,
                    TIMESTAMP
                )
                .is_err()
        );
    }

    /// Found by the `webhook_signature` fuzz target: an extreme timestamp overflowed the
    /// tolerance check (a panic in checked builds, a wrap that passed the check otherwise).
    #[test]
    fn extreme_timestamps_are_rejected_without_overflow() {
        let verifier = StandardWebhooks::new(vec![key()]);
        for timestamp in [i64::MIN, i64::MIN + 1, -9_223_372_036_337_203_685, i64::MAX] {
            let signature = StandardWebhooks::sign(&key(), ID, timestamp, BODY);
            for now in [TIMESTAMP, 3_179_602_017_164_539_701, i64::MAX, i64::MIN] {
                let within = now.abs_diff(timestamp) <= TOLERANCE_SECONDS.unsigned_abs();
                let verified = verifier.verify(&headers(&signature, timestamp), BODY, now).is_ok();
                assert_eq!(verified, within, "{timestamp} at {now}");
            }
        }
    }

    #[test]
    fn accepts_any_of_several_signatures_and_keys() {
        let old_key = vec![7u8; 32];
        let verifier = StandardWebhooks::new(vec![old_key.clone(), key()]);
        let list = format!("v1,AAAA {SIGNATURE}");
        assert!(verifier.verify(&headers(&list, TIMESTAMP), BODY, TIMESTAMP).is_ok());
        let old = StandardWebhooks::sign(&old_key, ID, TIMESTAMP, BODY);
        assert!(verifier.verify(&headers(&old, TIMESTAMP), BODY, TIMESTAMP).is_ok());
        let retired = StandardWebhooks::new(vec![key()]);
        assert!(retired.verify(&headers(&old, TIMESTAMP), BODY, TIMESTAMP).is_err());
    }
}
