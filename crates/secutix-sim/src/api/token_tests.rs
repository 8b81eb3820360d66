//! The token rules, one broken rule per case.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};

use super::*;
use crate::config::SimConfig;

const SECRET: &str = "test-api-secret";

fn rules(unit: TimeUnit) -> TokenRules {
    let mut config = SimConfig::default().api;
    config.api_secret = SECRET.to_owned().into();
    config.api_institution = "INST".into();
    config.api_operator = "VO".into();
    config.api_partner = "partner".into();
    config.api_time_unit = unit;
    TokenRules::new(&config)
}

fn at(seconds: f64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs_f64(seconds)
}

const NOW: f64 = 1_800_000_000.4;

fn claims(iat: i64, exp: i64) -> Value {
    json!({ "sub": "INST", "aud": "VO", "iss": "partner", "iat": iat, "exp": exp })
}

fn sign(claims: &Value) -> String {
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("sign");
    format!("Bearer {token}")
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

#[test]
fn a_fresh_token_passes_in_seconds() {
    let rules = rules(TimeUnit::Seconds);
    let now = NOW as i64;
    assert_eq!(rules.check(Some(&sign(&claims(now, now + 30))), at(NOW)), Ok(()));
    // Minted in the previous second: still under a second old in whole seconds.
    assert_eq!(rules.check(Some(&sign(&claims(now - 1, now + 29))), at(NOW)), Ok(()));
    // The audience may be a list.
    let list = with(claims(now, now + 30), "aud", json!(["other", "VO"]));
    assert_eq!(rules.check(Some(&sign(&list)), at(NOW)), Ok(()));
}

#[test]
fn old_future_and_long_lived_tokens_are_refused() {
    let rules = rules(TimeUnit::Seconds);
    let now = NOW as i64;
    let check = |c: Value| rules.check(Some(&sign(&c)), at(NOW));
    assert_eq!(check(claims(now - 2, now + 20)), Err(TokenError::TooOld));
    assert_eq!(check(claims(now + 5, now + 20)), Err(TokenError::FromTheFuture));
    assert_eq!(check(claims(now, now + 31)), Err(TokenError::LifetimeTooLong));
    assert_eq!(check(claims(now, now + 30)), Ok(()), "exactly 30 s is allowed");
    assert_eq!(check(claims(now - 1, now - 1)), Err(TokenError::Expired));
    assert_eq!(
        check(with(claims(now, now + 1), "exp", json!("9999999999"))),
        Err(TokenError::NotANumber("exp"))
    );
    let mut no_iat = claims(now, now + 1);
    no_iat.as_object_mut().expect("object").remove("iat");
    assert_eq!(check(no_iat), Err(TokenError::Claim("iat")));
}

#[test]
fn milliseconds_are_configurable_and_not_mixed_up_with_seconds() {
    let rules = rules(TimeUnit::Milliseconds);
    let now_ms = (NOW * 1000.0) as i64;
    let check = |c: Value| rules.check(Some(&sign(&c)), at(NOW));
    assert_eq!(check(claims(now_ms - 900, now_ms + 20_000)), Ok(()));
    assert_eq!(check(claims(now_ms - 1_100, now_ms + 20_000)), Err(TokenError::TooOld));
    assert_eq!(check(claims(now_ms, now_ms + 30_001)), Err(TokenError::LifetimeTooLong));
    // A token in seconds read as milliseconds is decades old.
    let now = NOW as i64;
    assert_eq!(check(claims(now, now + 30)), Err(TokenError::TooOld));
    // And a token in milliseconds read as seconds is from the far future.
    let seconds = self::rules(TimeUnit::Seconds);
    assert_eq!(
        seconds.check(Some(&sign(&claims(now_ms, now_ms + 30_000))), at(NOW)),
        Err(TokenError::FromTheFuture)
    );
}

#[test]
fn wrong_subject_audience_or_issuer_is_refused() {
    let rules = rules(TimeUnit::Seconds);
    let now = NOW as i64;
    let check = |c: Value| rules.check(Some(&sign(&c)), at(NOW));
    assert_eq!(
        check(with(claims(now, now + 5), "sub", json!("OTHER"))),
        Err(TokenError::Claim("sub"))
    );
    assert_eq!(
        check(with(claims(now, now + 5), "aud", json!("OTHER"))),
        Err(TokenError::Claim("aud"))
    );
    assert_eq!(
        check(with(claims(now, now + 5), "iss", json!("someone"))),
        Err(TokenError::Claim("iss"))
    );
    assert_eq!(
        check(with(claims(now, now + 5), "aud", json!(null))),
        Err(TokenError::Claim("aud"))
    );
}

#[test]
fn other_algorithms_keys_and_shapes_are_refused() {
    use base64::Engine;
    let rules = rules(TimeUnit::Seconds);
    let now = NOW as i64;
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let payload = b64(&claims(now, now + 5));
    // alg none, with and without a signature part.
    let none = format!("Bearer {}.{payload}.", b64(&json!({ "alg": "none", "typ": "JWT" })));
    assert_eq!(rules.check(Some(&none), at(NOW)), Err(TokenError::Algorithm));
    // HS512 with the right secret is still not HS256.
    let hs512 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS512),
        &claims(now, now + 5),
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("sign");
    assert_eq!(
        rules.check(Some(&format!("Bearer {hs512}")), at(NOW)),
        Err(TokenError::Algorithm)
    );
    // Another secret.
    let forged = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(now, now + 5),
        &EncodingKey::from_secret(b"guessed"),
    )
    .expect("sign");
    assert_eq!(
        rules.check(Some(&format!("Bearer {forged}")), at(NOW)),
        Err(TokenError::Signature)
    );
    // No header, another scheme, garbage.
    assert_eq!(rules.check(None, at(NOW)), Err(TokenError::Missing));
    assert_eq!(
        rules.check(Some("Basic dXNlcjpwYXNz"), at(NOW)),
        Err(TokenError::Missing)
    );
    assert_eq!(
        rules.check(Some("Bearer not-a-jwt"), at(NOW)),
        Err(TokenError::Algorithm)
    );
}
