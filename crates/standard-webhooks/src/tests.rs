//! The specification's test vector, then one refused case per rule.

use base64::Engine;

use crate::{SignatureHeaders, StandardWebhooks, TOLERANCE_SECONDS, VerifyError};

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

fn verifier() -> StandardWebhooks {
    StandardWebhooks::new(vec![key()])
}

#[test]
fn matches_the_specification_test_vector() {
    assert_eq!(StandardWebhooks::sign(&key(), ID, TIMESTAMP, BODY), SIGNATURE);
    assert_eq!(
        verifier().verify(&headers(SIGNATURE, TIMESTAMP), BODY, TIMESTAMP),
        Ok(())
    );
}

#[test]
fn rejects_a_bad_signature() {
    let verifier = verifier();
    let verify = |signatures: &str| verifier.verify(&headers(signatures, TIMESTAMP), BODY, TIMESTAMP);
    // Well-formed, one bit off.
    assert_eq!(
        verify("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="),
        Err(VerifyError::NoMatch)
    );
    // Truncated, not base64, empty, the right tag under another version.
    for signatures in [
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1O",
        "v1,not base64!",
        "",
        "v1,",
        "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    ] {
        assert_eq!(verify(signatures), Err(VerifyError::NoMatch), "{signatures:?}");
    }
    let other_key = StandardWebhooks::new(vec![vec![7u8; 32]]);
    assert_eq!(
        other_key.verify(&headers(SIGNATURE, TIMESTAMP), BODY, TIMESTAMP),
        Err(VerifyError::NoMatch)
    );
}

#[test]
fn the_body_id_and_timestamp_are_signed() {
    let verifier = verifier();
    assert_eq!(
        verifier.verify(&headers(SIGNATURE, TIMESTAMP), br#"{"test": 2432232315}"#, TIMESTAMP),
        Err(VerifyError::NoMatch),
        "body"
    );
    assert_eq!(
        verifier.verify(&headers(SIGNATURE, TIMESTAMP + 1), BODY, TIMESTAMP),
        Err(VerifyError::NoMatch),
        "timestamp"
    );
    let mut other_id = headers(SIGNATURE, TIMESTAMP);
    other_id.id.push('x');
    assert_eq!(
        verifier.verify(&other_id, BODY, TIMESTAMP),
        Err(VerifyError::NoMatch),
        "id"
    );
}

#[test]
fn rejects_expired_and_future_timestamps() {
    let verifier = verifier();
    let at = |now: i64| verifier.verify(&headers(SIGNATURE, TIMESTAMP), BODY, now);
    // Sent long ago (expired) and sent "from the future" (the sender's clock, or a forgery).
    assert_eq!(
        at(TIMESTAMP + TOLERANCE_SECONDS + 1),
        Err(VerifyError::OutsideTolerance)
    );
    assert_eq!(
        at(TIMESTAMP - TOLERANCE_SECONDS - 1),
        Err(VerifyError::OutsideTolerance)
    );
    assert_eq!(at(TIMESTAMP + 24 * 3600), Err(VerifyError::OutsideTolerance));
    // The edges of the window are inside it.
    assert_eq!(at(TIMESTAMP + TOLERANCE_SECONDS), Ok(()));
    assert_eq!(at(TIMESTAMP - TOLERANCE_SECONDS), Ok(()));
}

#[test]
fn rejects_a_malformed_timestamp() {
    let verifier = verifier();
    for timestamp in ["", "soon", "1614265330.5", "0x603a", "99999999999999999999"] {
        let headers = SignatureHeaders {
            timestamp: timestamp.into(),
            ..headers(SIGNATURE, TIMESTAMP)
        };
        assert_eq!(
            verifier.verify(&headers, BODY, TIMESTAMP),
            Err(VerifyError::MalformedTimestamp),
            "{timestamp:?}"
        );
    }
}

/// Found by the `webhook_signature` fuzz target: an extreme timestamp overflowed the
/// tolerance check (a panic in checked builds, a wrap that passed the check otherwise).
#[test]
fn extreme_timestamps_are_rejected_without_overflow() {
    let verifier = verifier();
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
fn any_configured_key_verifies_during_a_rotation() {
    let (old_key, new_key) = (vec![7u8; 32], key());
    let rotating = StandardWebhooks::new(vec![old_key.clone(), new_key.clone()]);
    let old = StandardWebhooks::sign(&old_key, ID, TIMESTAMP, BODY);
    let new = StandardWebhooks::sign(&new_key, ID, TIMESTAMP, BODY);
    assert_eq!(rotating.verify(&headers(&old, TIMESTAMP), BODY, TIMESTAMP), Ok(()));
    assert_eq!(rotating.verify(&headers(&new, TIMESTAMP), BODY, TIMESTAMP), Ok(()));
    // Once the old key is retired, what it signed no longer verifies.
    let retired = StandardWebhooks::new(vec![new_key]);
    assert_eq!(
        retired.verify(&headers(&old, TIMESTAMP), BODY, TIMESTAMP),
        Err(VerifyError::NoMatch)
    );
    assert_eq!(
        StandardWebhooks::new(Vec::new()).verify(&headers(&new, TIMESTAMP), BODY, TIMESTAMP),
        Err(VerifyError::NoMatch),
        "no key, no match"
    );
}

#[test]
fn any_signature_of_a_v1_list_verifies() {
    let verifier = verifier();
    let old = StandardWebhooks::sign(&[7u8; 32], ID, TIMESTAMP, BODY);
    let verify = |signatures: &str| verifier.verify(&headers(signatures, TIMESTAMP), BODY, TIMESTAMP);
    // A sender rotating its secret lists both signatures, in either order.
    assert_eq!(verify(&format!("{SIGNATURE} {old}")), Ok(()));
    assert_eq!(verify(&format!("{old} {SIGNATURE}")), Ok(()));
    // Junk, other versions and repeated spaces do not hide the good one.
    assert_eq!(
        verify(&format!("v1,AAAA v1a,c2lnbmF0dXJl  v1,not-base64! {SIGNATURE}")),
        Ok(())
    );
    // A list of wrong signatures is still wrong.
    assert_eq!(verify(&format!("{old} v1,AAAA {old}")), Err(VerifyError::NoMatch));
}

#[test]
fn reads_the_three_headers_or_none() {
    let all = [
        ("webhook-id", ID),
        ("webhook-timestamp", "1614265330"),
        ("webhook-signature", SIGNATURE),
    ];
    let read = |present: &[(&'static str, &'static str)]| {
        SignatureHeaders::from_lookup(|name| present.iter().find(|(n, _)| *n == name).map(|(_, v)| *v))
    };
    assert_eq!(read(&all), Some(headers(SIGNATURE, TIMESTAMP)));
    for missing in 0..all.len() {
        let mut some = all.to_vec();
        some.remove(missing);
        assert_eq!(read(&some), None, "without {}", all[missing].0);
    }
}
