//! The conformance suite's Basic modules about userinfo, scopes and the `claims` parameter,
//! named after the suite's modules, as in `oidc_basic.rs`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{gateway_support::*, oidc_support::*};

pub(crate) async fn userinfo_status(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("userinfo answers");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Signs in for the shop and returns the access token, the userinfo endpoint and the `sub`.
async fn access(s: &Setup) -> (String, String, String) {
    let (_, tokens) = shop_tokens(s).await;
    let access = tokens["access_token"].as_str().expect("access token").to_owned();
    (
        access,
        format!("{}/userinfo", s.gateway.base_url),
        s.subject.to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_userinfo_get() {
    let s = setup().await;
    let (access, endpoint, sub) = access(&s).await;
    let (status, body) = userinfo_status(s.client.get(&endpoint).bearer_auth(&access)).await;
    assert_eq!(
        (status.as_u16(), body["sub"].as_str()),
        (200, Some(sub.as_str())),
        "{body}"
    );
    // A token in the query string is not accepted (RFC 6750 §2.3 is optional and leaks it).
    let (status, _) = userinfo_status(s.client.get(format!("{endpoint}?access_token={access}"))).await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_userinfo_post_header() {
    let s = setup().await;
    let (access, endpoint, sub) = access(&s).await;
    let (status, body) = userinfo_status(s.client.post(&endpoint).bearer_auth(&access)).await;
    assert_eq!(
        (status.as_u16(), body["sub"].as_str()),
        (200, Some(sub.as_str())),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_userinfo_post_body() {
    let s = setup().await;
    let (access, endpoint, sub) = access(&s).await;
    let form = [("access_token", access.as_str())];
    let (status, body) = userinfo_status(s.client.post(&endpoint).form(&form)).await;
    assert_eq!(
        (status.as_u16(), body["sub"].as_str()),
        (200, Some(sub.as_str())),
        "{body}"
    );
    // RFC 6750 §2: one method at a time.
    let both = s.client.post(&endpoint).bearer_auth(&access).form(&form);
    let (status, body) = userinfo_status(both).await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (400, Some("invalid_request"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_ensure_request_without_nonce_succeeds_for_code_flow() {
    let s = setup().await;
    let no_nonce = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]).replace("&nonce=nonce-456", "");
    let shown = page(visit(&s, &no_nonce, None).await);
    let (_, params) = sign_in_on(&s, &shown).await;
    let claims = id_claims(&s, &redeem(&s, &params["code"]).await).await;
    assert!(claims.get("nonce").is_none(), "{claims}");
}

/// The claims of the ID token and of userinfo after a sign-in with `scope` and `extra`.
async fn claims_with(s: &Setup, scope: &str, extra: &[(&str, &str)]) -> (Value, Value) {
    let tokens = tokens_through(s, &shop_authorize(s, scope, extra)).await;
    let info = userinfo(s, tokens["access_token"].as_str().expect("access token")).await;
    (id_claims(s, &tokens).await, info)
}

/// The ID token's members beyond those every ID token has.
fn about_the_fan(id_token: &Value) -> Vec<&str> {
    const ALWAYS: [&str; 10] = [
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "amr",
        "acr",
        "sid",
        "nonce",
    ];
    members(id_token).into_iter().filter(|m| !ALWAYS.contains(m)).collect()
}

const PROFILE: [&str; 7] = [
    "birthdate",
    "contact_number",
    "family_name",
    "given_name",
    "locale",
    "name",
    "opt_ins",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_scope_profile() {
    let s = setup().await;
    let (id_token, info) = claims_with(&s, "openid profile", &[]).await;
    let mut expected = PROFILE.to_vec();
    expected.push("sub");
    expected.sort_unstable();
    assert_eq!(members(&info), expected, "OIDC Core 5.4: {info}");
    assert_eq!(
        (&info["name"], &info["birthdate"], &info["locale"]),
        (&json!("Jean Dupont"), &json!("1985-06-14"), &json!("fr"))
    );
    assert_eq!(info["contact_number"], "0001234567");
    assert_eq!(info["opt_ins"], json!({ "NEWSLTR": true }));
    assert_eq!(
        about_the_fan(&id_token),
        ["contact_number", "family_name", "given_name", "locale", "name"],
        "the ID token carries what the shop reads, not the e-mail: {id_token}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_scope_email() {
    let s = setup().await;
    let (id_token, info) = claims_with(&s, "openid email", &[]).await;
    assert_eq!(members(&info), ["email", "email_verified", "sub"], "{info}");
    assert_eq!(
        (&info["email"], &info["email_verified"]),
        (&json!("jean.dupont@example.org"), &json!(true))
    );
    assert_eq!(about_the_fan(&id_token), ["email", "email_verified"], "{id_token}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_scope_address() {
    let s = setup().await;
    let (id_token, info) = claims_with(&s, "openid address", &[]).await;
    assert_eq!(members(&info), ["address", "sub"], "{info}");
    assert_eq!(
        info["address"],
        json!({ "street_address": "Rue du Lac 12", "postal_code": "1003", "locality": "Lausanne", "country": "CH" })
    );
    assert!(about_the_fan(&id_token).is_empty(), "{id_token}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_scope_phone() {
    let s = setup().await;
    let (id_token, info) = claims_with(&s, "openid phone", &[]).await;
    assert_eq!(members(&info), ["phone_number", "sub"], "{info}");
    assert_eq!(info["phone_number"], "+41791234567");
    assert!(about_the_fan(&id_token).is_empty(), "{id_token}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_scope_all() {
    let s = setup().await;
    let (_, info) = claims_with(&s, "openid profile email address phone", &[]).await;
    let mut expected = PROFILE.to_vec();
    expected.extend(["address", "email", "email_verified", "phone_number", "sub"]);
    expected.sort_unstable();
    assert_eq!(members(&info), expected, "{info}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_ensure_other_scope_order_succeeds() {
    let s = setup().await;
    let (_, info) = claims_with(&s, "email openid", &[]).await;
    assert_eq!(
        members(&info),
        ["email", "email_verified", "sub"],
        "RFC 6749 3.3: {info}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_claims_essential() {
    let s = setup().await;
    let request = json!({ "userinfo": { "name": { "essential": true } } }).to_string();
    let tokens = tokens_through(&s, &shop_authorize(&s, "openid", &[("claims", &request)])).await;
    let info = userinfo(&s, tokens["access_token"].as_str().expect("access token")).await;
    assert_eq!(members(&info), ["name", "sub"], "{info}");
    assert_eq!(info["name"], "Jean Dupont");
    let id_token = id_claims(&s, &tokens).await;
    assert!(
        id_token.get("name").is_none(),
        "asked for from userinfo only: {id_token}"
    );
    // A refreshed access token asks userinfo for the same claims.
    let refresh = tokens["refresh_token"].as_str().expect("refresh token");
    let (status, renewed) = token(&s, &[("grant_type", "refresh_token"), ("refresh_token", refresh)], true).await;
    assert_eq!(status, 200, "{renewed}");
    let info = userinfo(&s, renewed["access_token"].as_str().expect("access token")).await;
    assert_eq!(members(&info), ["name", "sub"], "after a refresh: {info}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_claims_essential_id_token() {
    let s = setup().await;
    // Claims the scopes would only give from userinfo, asked for in the ID token (§5.5).
    let request = json!({
        "id_token": { "birthdate": { "essential": true }, "phone_number": null, "address": { "essential": false },
                      "nickname": { "essential": true }, "auth_time": { "essential": true } }
    })
    .to_string();
    let tokens = tokens_through(&s, &shop_authorize(&s, "openid", &[("claims", &request)])).await;
    let id_token = id_claims(&s, &tokens).await;
    assert_eq!(
        about_the_fan(&id_token),
        ["address", "birthdate", "phone_number"],
        "{id_token}"
    );
    assert_eq!(id_token["birthdate"], "1985-06-14");
    assert_eq!(id_token["address"]["locality"], "Lausanne");
    assert!(id_token["auth_time"].is_i64());
    let info = userinfo(&s, tokens["access_token"].as_str().expect("access token")).await;
    assert_eq!(members(&info), ["sub"], "asked for in the ID token only: {info}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_claims_parameter_or_an_unmet_essential_acr_is_refused() {
    let s = setup().await;
    for (claims, error) in [
        ("[\"name\"]", "invalid_request"),
        (r#"{"userinfo": {"name": {"essential": "yes"}}}"#, "invalid_request"),
        (
            r#"{"id_token": {"acr": {"essential": true, "values": ["urn:example:mfa"]}}}"#,
            "unmet_authentication_requirements",
        ),
    ] {
        let Answer::Redirect(params) = visit(&s, &shop_authorize(&s, "openid", &[("claims", claims)]), None).await
        else {
            panic!("{claims}: an error redirect");
        };
        assert_eq!(
            (params["error"].as_str(), params["state"].as_str()),
            (error, "state-123"),
            "{claims}"
        );
        assert!(!params.contains_key("code"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sub_asked_for_with_a_value_answers_only_that_fan() {
    let s = setup().await;
    let (session, _) = shop_tokens(&s).await;
    let someone_else = json!({ "id_token": { "sub": { "value": uuid::Uuid::new_v4().to_string() } } }).to_string();
    let silent = shop_authorize(&s, "openid", &[("prompt", "none"), ("claims", &someone_else)]);
    let Answer::Redirect(params) = visit(&s, &silent, Some(&session)).await else {
        panic!("prompt=none never shows a page");
    };
    assert_eq!(params["error"], "login_required", "OIDC Core 5.5.1: never another fan");
    let this_fan = json!({ "id_token": { "sub": { "value": s.subject.to_string() } } }).to_string();
    let silent = shop_authorize(&s, "openid", &[("prompt", "none"), ("claims", &this_fan)]);
    assert!(code(visit(&s, &silent, Some(&session)).await).len() >= 43);
}
