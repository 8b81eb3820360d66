//! Logout-token claim checks of the shop (Back-Channel Logout §2.6) that need no provider.

use serde_json::json;

use super::*;

#[test]
fn logout_claims_are_checked_one_by_one() {
    let good = json!({
        "iss": "https://idp", "aud": "shop", "iat": 1_000, "exp": 1_120, "jti": "j1",
        "sub": "s", "sid": "sid-1",
        "events": { BACKCHANNEL_EVENT: {} },
    });
    let check = |c: &Value| check_logout_claims(c, "https://idp", "shop", 1_010);
    assert_eq!(
        check(&good),
        Ok(LogoutOf {
            sub: Some("s".into()),
            sid: Some("sid-1".into()),
            jti: Some("j1".into())
        })
    );
    let with = |key: &str, value: Value| {
        let mut c = good.clone();
        c[key] = value;
        c
    };
    let without = |key: &str| {
        let mut c = good.clone();
        c.as_object_mut().expect("object").remove(key);
        c
    };
    assert_eq!(check(&with("iss", json!("https://evil"))), Err(OidcError::Claim("iss")));
    assert_eq!(check(&with("aud", json!("other"))), Err(OidcError::Claim("aud")));
    assert!(check(&with("aud", json!(["other", "shop"]))).is_ok());
    assert_eq!(check(&without("iat")), Err(OidcError::Claim("iat")));
    assert_eq!(check(&with("iat", json!(500))), Err(OidcError::Claim("iat")), "too old");
    assert_eq!(
        check(&with("iat", json!(2_000))),
        Err(OidcError::Claim("iat")),
        "from the future"
    );
    assert_eq!(check(&with("exp", json!(1_010))), Err(OidcError::Expired));
    assert!(check(&without("exp")).is_ok(), "exp is optional");
    assert_eq!(check(&without("events")), Err(OidcError::Claim("events")));
    assert_eq!(
        check(&with("events", json!({ BACKCHANNEL_EVENT: "yes" }))),
        Err(OidcError::Claim("events"))
    );
    assert_eq!(check(&with("nonce", json!("n"))), Err(OidcError::Claim("nonce")));
    let mut anonymous = without("sub");
    anonymous.as_object_mut().expect("object").remove("sid");
    assert_eq!(check(&anonymous), Err(OidcError::Claim("sub")));
    assert_eq!(check(&without("sub")).map(|o| o.sid), Ok(Some("sid-1".into())));
}
