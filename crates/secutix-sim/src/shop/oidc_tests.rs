//! ID-token checks of the relying party that need no identity provider.

use serde_json::json;

use super::*;

#[test]
fn claims_are_checked_one_by_one() {
    let good = json!({ "iss": "https://idp", "aud": "shop", "exp": 200, "nonce": "n", "sub": "s" });
    let check = |c: &Value| check_claims(c, "https://idp", "shop", "n", 100);
    assert_eq!(check(&good), Ok(()));
    let with = |key: &str, value: Value| {
        let mut c = good.clone();
        c[key] = value;
        c
    };
    assert_eq!(check(&with("iss", json!("https://evil"))), Err(OidcError::Claim("iss")));
    assert_eq!(check(&with("aud", json!("other"))), Err(OidcError::Claim("aud")));
    assert_eq!(
        check(&with("aud", json!(["other", "shop"]))),
        Err(OidcError::Claim("azp"))
    );
    let mut multi = with("aud", json!(["other", "shop"]));
    multi["azp"] = json!("shop");
    assert_eq!(check(&multi), Ok(()));
    assert_eq!(check(&with("exp", json!(100))), Err(OidcError::Expired));
    assert_eq!(check(&with("exp", json!("200"))), Err(OidcError::Claim("exp")));
    assert_eq!(check(&with("nonce", json!("replayed"))), Err(OidcError::Claim("nonce")));
    assert_eq!(check(&with("sub", json!(""))), Err(OidcError::Claim("sub")));
}

#[tokio::test]
async fn tokens_not_signed_with_rs256_are_refused_before_any_key_lookup() {
    let rp = RelyingParty::new(&"http://127.0.0.1:1".parse().expect("url"), "shop".into(), None);
    let provider = Provider {
        issuer: "http://127.0.0.1:1".into(),
        authorization_endpoint: String::new(),
        token_endpoint: String::new(),
        userinfo_endpoint: String::new(),
        jwks_uri: "http://127.0.0.1:1/jwks.json".into(),
    };
    let claims = json!({ "iss": "http://127.0.0.1:1", "aud": "shop", "exp": i64::MAX, "nonce": "n", "sub": "s" });
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"the client secret"),
    )
    .expect("sign");
    assert_eq!(
        rp.verify_id_token(&provider, &hs256, "n").await,
        Err(OidcError::Algorithm)
    );
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let none = format!("{}.{}.", b64(&json!({ "alg": "none" })), b64(&claims));
    assert_eq!(
        rp.verify_id_token(&provider, &none, "n").await,
        Err(OidcError::Algorithm)
    );
    let unknown_kid = format!("{}.{}.c2ln", b64(&json!({ "alg": "RS256" })), b64(&claims));
    assert_eq!(
        rp.verify_id_token(&provider, &unknown_kid, "n").await,
        Err(OidcError::UnknownKey)
    );
    assert_eq!(
        challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}
