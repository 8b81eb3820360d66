//! The OpenID conformance suite's `oidcc-basic-certification-test-plan`, module by module
//! (`../shared/OIDC-CONFORMANCE.md`): each test is named after its module and asserts what the
//! module asserts, against the running gateway. The sign-in, session, re-authentication and
//! request-parameter modules (display, hints, locales, `acr_values`, `prompt=consent`) are here;
//! the userinfo, scope, `claims`, request-object and token modules are in `oidc_basic_tokens.rs`.

use std::time::Duration;

use crate::{gateway_support::*, oidc_support::*};

fn url(s: &Setup, extra: &[(&str, &str)]) -> String {
    authorize_url(&s.gateway.base_url, "shop", REDIRECT, extra)
}

/// Signs in from scratch; returns the session and the ID token's claims.
async fn signed_in(s: &Setup) -> (String, serde_json::Value) {
    let first = page(visit(s, &url(s, &[]), None).await);
    let (session, params) = sign_in_on(s, &first).await;
    let claims = id_claims(s, &redeem(s, &params["code"]).await).await;
    (session, claims)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_server() {
    let s = setup().await;
    let first = page(visit(&s, &url(&s, &[]), None).await);
    let (_, params) = sign_in_on(&s, &first).await;
    assert_eq!(params["state"], "state-123", "state echoed");
    assert_eq!(params["iss"], "http://127.0.0.1:8080", "RFC 9207 iss");
    assert!(!params.contains_key("error"));
    // At least 128 bits: 43 base64url characters carry 256.
    assert!(params["code"].len() >= 43, "{}", params["code"]);
    let tokens = redeem(&s, &params["code"]).await;
    assert!(tokens["expires_in"].as_u64().is_some_and(|e| e > 0), "{tokens}");
    assert!(tokens["refresh_token"].as_str().is_some_and(|r| r.len() >= 43));
    let claims = id_claims(&s, &tokens).await;
    let now = chrono::Utc::now().timestamp();
    assert!((claims["iat"].as_i64().expect("iat") - now).abs() < 300);
    let exp = claims["exp"].as_i64().expect("exp");
    assert!(
        exp > now && exp < now + 86_400,
        "exp in seconds, not milliseconds: {exp}"
    );
    let auth_time = claims["auth_time"].as_i64().expect("auth_time");
    assert!(auth_time <= now && auth_time > now - 300);
    assert_eq!(claims["nonce"], "nonce-456");
    assert_eq!(
        claims["amr"],
        serde_json::json!(["pwd"]),
        "RFC 8176: signed in with a password"
    );
    assert_eq!(claims["acr"], auth_gateway::tokens::ACR_PASSWORD, "acr, never empty");
    assert_eq!(claims["sub"], s.subject.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_idtoken_signature() {
    let s = setup().await;
    let (_, tokens) = shop_tokens(&s).await;
    let header = jsonwebtoken::decode_header(tokens["id_token"].as_str().expect("id token")).expect("header");
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    assert!(header.kid.is_some_and(|kid| !kid.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_response_type_missing() {
    let s = setup().await;
    let missing = format!(
        "{}/authorize?client_id=shop&redirect_uri={}&scope=openid&state=st",
        s.gateway.base_url,
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    );
    let Answer::Redirect(params) = visit(&s, &missing, None).await else {
        panic!("an error redirect, not a page");
    };
    assert_eq!(params["error"], "unsupported_response_type");
    assert_eq!(params["state"], "st");
    assert!(!params.contains_key("code"), "no code beside an error");
    assert!(!params["error_description"].contains(['\r', '\n', '\t']));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_prompt_login() {
    let s = setup().await;
    let (session, before) = signed_in(&s).await;
    // auth_time has a resolution of one second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let again = page(visit(&s, &url(&s, &[("prompt", "login")]), Some(&session)).await);
    assert!(
        again.html.contains("name=\"password\""),
        "the sign-in page is shown again"
    );
    let (_, params) = sign_in_on(&s, &again).await;
    let after = id_claims(&s, &redeem(&s, &params["code"]).await).await;
    assert_eq!(after["sub"], before["sub"]);
    assert!(
        after["auth_time"].as_i64() > before["auth_time"].as_i64(),
        "{after} after {before}"
    );
    // The same holds for select_account, and for a session opened a moment ago.
    let fresh = visit(&s, &url(&s, &[("prompt", "select_account")]), Some(&session)).await;
    assert!(
        matches!(fresh, Answer::Page(_)),
        "select_account shows the sign-in page"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_prompt_none_not_logged_in() {
    let s = setup().await;
    let Answer::Redirect(params) = visit(&s, &url(&s, &[("prompt", "none")]), None).await else {
        panic!("prompt=none never shows a page");
    };
    assert_eq!(params["error"], "login_required");
    assert_eq!(params["state"], "state-123");
    assert!(!params.contains_key("code"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_prompt_none_logged_in() {
    let s = setup().await;
    let (session, before) = signed_in(&s).await;
    let code = code(visit(&s, &url(&s, &[("prompt", "none")]), Some(&session)).await);
    let after = id_claims(&s, &redeem(&s, &code).await).await;
    assert_eq!(
        (&after["sub"], &after["auth_time"]),
        (&before["sub"], &before["auth_time"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_max_age_1() {
    let s = setup().await;
    let (session, before) = signed_in(&s).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let again = page(visit(&s, &url(&s, &[("max_age", "1")]), Some(&session)).await);
    let (_, params) = sign_in_on(&s, &again).await;
    let after = id_claims(&s, &redeem(&s, &params["code"]).await).await;
    assert!(after["auth_time"].as_i64() > before["auth_time"].as_i64());
    // prompt=none with a session older than max_age cannot be answered silently.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let Answer::Redirect(silent) = visit(&s, &url(&s, &[("max_age", "1"), ("prompt", "none")]), Some(&session)).await
    else {
        panic!("prompt=none never shows a page");
    };
    assert_eq!(silent["error"], "login_required");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_max_age_10000() {
    let s = setup().await;
    let (session, before) = signed_in(&s).await;
    let code = code(visit(&s, &url(&s, &[("max_age", "10000")]), Some(&session)).await);
    let after = id_claims(&s, &redeem(&s, &code).await).await;
    assert_eq!(
        (&after["sub"], &after["auth_time"]),
        (&before["sub"], &before["auth_time"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_id_token_hint() {
    let s = setup().await;
    let (session, tokens) = shop_tokens(&s).await;
    let hint = tokens["id_token"].as_str().expect("id token");
    let silent = url(&s, &[("prompt", "none"), ("id_token_hint", hint)]);
    let code = code(visit(&s, &silent, Some(&session)).await);
    let claims = id_claims(&s, &redeem(&s, &code).await).await;
    assert_eq!(claims["sub"], s.subject.to_string());
    // A hint we did not sign is refused, never taken as the session's fan.
    let mut forged: Vec<&str> = hint.split('.').collect();
    forged[2] = "c2lnbmF0dXJl";
    let forged = forged.join(".");
    let Answer::Redirect(refused) = visit(
        &s,
        &url(&s, &[("prompt", "none"), ("id_token_hint", &forged)]),
        Some(&session),
    )
    .await
    else {
        panic!("an error redirect");
    };
    assert_eq!(refused["error"], "invalid_request");
}

/// Signs in from scratch through a request with `extra` parameters, which must succeed; returns
/// the ID token's claims.
async fn accepted(s: &Setup, extra: &[(&str, &str)]) -> serde_json::Value {
    let first = page(visit(s, &url(s, extra), None).await);
    let (_, params) = sign_in_on(s, &first).await;
    assert_eq!(params["state"], "state-123");
    id_claims(s, &redeem(s, &params["code"]).await).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_display_page() {
    let s = setup().await;
    accepted(&s, &[("display", "page")]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_display_popup() {
    let s = setup().await;
    accepted(&s, &[("display", "popup")]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_ensure_request_with_unknown_parameter_succeeds() {
    let s = setup().await;
    accepted(&s, &[("extra_parameter", "ignored")]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_login_hint() {
    let s = setup().await;
    let hinted = url(&s, &[("login_hint", "jean.dupont@example.org")]);
    let shown = page(visit(&s, &hinted, None).await);
    assert!(
        shown.html.contains("value=\"jean.dupont@example.org\""),
        "login_hint fills the e-mail field"
    );
    sign_in_on(&s, &shown).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_ui_locales() {
    let s = setup().await;
    let shown = page(visit(&s, &url(&s, &[("ui_locales", "fr-CH fr")]), None).await);
    assert!(
        shown.html.contains("lang=\"fr\""),
        "ui_locales picks the page's language"
    );
    sign_in_on(&s, &shown).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_claims_locales() {
    let s = setup().await;
    // No claim has values in several languages: accepted, and the claims are as always.
    let claims = accepted(&s, &[("claims_locales", "de")]).await;
    assert_eq!(claims["given_name"], "Jean");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_ensure_request_with_acr_values_succeeds() {
    let s = setup().await;
    // The suite asks for the values of acr_values_supported.
    let claims = accepted(&s, &[("acr_values", auth_gateway::tokens::ACR_PASSWORD)]).await;
    assert_eq!(claims["acr"], auth_gateway::tokens::ACR_PASSWORD);
    // acr_values is voluntary (OIDC Core 3.1.2.1): values we cannot give change nothing.
    let claims = accepted(&s, &[("acr_values", "1 2")]).await;
    assert_eq!(claims["acr"], auth_gateway::tokens::ACR_PASSWORD);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_essential_acr_we_give_is_returned() {
    let s = setup().await;
    // OIDC Core 5.5.1.1 (the refusal of one we cannot meet: `oidc_basic_tokens`).
    let request = serde_json::json!({
        "id_token": { "acr": { "essential": true, "values": ["urn:example:mfa", auth_gateway::tokens::ACR_PASSWORD] } }
    })
    .to_string();
    let claims = accepted(&s, &[("claims", &request)]).await;
    assert_eq!(claims["acr"], auth_gateway::tokens::ACR_PASSWORD);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompt_consent_is_refused_with_consent_required() {
    let s = setup().await;
    let (session, _) = signed_in(&s).await;
    // There is no consent step (docs/oidc-conformance.md): saying so, with or without a session.
    for cookie in [None, Some(session.as_str())] {
        for prompt in ["consent", "login consent"] {
            let Answer::Redirect(params) = visit(&s, &url(&s, &[("prompt", prompt)]), cookie).await else {
                panic!("{prompt}: an error redirect, never a page");
            };
            assert_eq!(params["error"], "consent_required", "{prompt}");
            assert_eq!(params["state"], "state-123");
            assert!(!params.contains_key("code"));
        }
    }
    // none with any other value is an error (OIDC Core 3.1.2.1); none alone needs no consent.
    let Answer::Redirect(params) = visit(&s, &url(&s, &[("prompt", "none consent")]), Some(&session)).await else {
        panic!("an error redirect");
    };
    assert_eq!(params["error"], "invalid_request");
    code(visit(&s, &url(&s, &[("prompt", "none")]), Some(&session)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_ensure_post_request_succeeds() {
    let s = setup().await;
    let form = [
        ("client_id", "shop"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid email"),
        ("state", "posted"),
    ];
    let response = s
        .client
        .post(format!("{}/authorize", s.gateway.base_url))
        .form(&form)
        .send()
        .await
        .expect("answers");
    let shown = page(answer(response).await);
    let (_, params) = sign_in_on(&s, &shown).await;
    assert_eq!(params["state"], "posted");
    redeem(&s, &params["code"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_ensure_registered_redirect_uri() {
    let s = setup().await;
    let suffixed = authorize_url(&s.gateway.base_url, "shop", &format!("{REDIRECT}&x=1"), &[]);
    let response = s.client.get(&suffixed).send().await.expect("answers");
    assert_eq!(response.status(), 400, "an error page");
    assert!(response.headers().get("location").is_none(), "never redirected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_server_client_secret_post() {
    let s = setup().await;
    let first = page(visit(&s, &url(&s, &[]), None).await);
    let (_, params) = sign_in_on(&s, &first).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", params["code"].as_str()),
        ("redirect_uri", REDIRECT),
        ("client_id", "shop"),
        ("client_secret", SHOP_SECRET),
    ];
    let (status, tokens) = token(&s, &form, false).await;
    assert_eq!(status, 200, "{tokens}");
    let claims = id_claims(&s, &tokens).await;
    assert_eq!(claims["sub"], s.subject.to_string());
    // A wrong secret in the body is refused like a wrong Basic one.
    let wrong = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "x"),
        ("client_id", "shop"),
        ("client_secret", "wrong"),
    ];
    let (status, error) = token(&s, &wrong, false).await;
    assert_eq!(
        (status.as_u16(), error["error"].as_str()),
        (401, Some("invalid_client"))
    );
}
