//! The conformance suite's Basic modules about userinfo, request objects, codes, refresh
//! tokens and PKCE, its Config module (discovery), and pushed authorization requests
//! (RFC 9126). Named after the suite's modules, as in `oidc_basic.rs`.

use reqwest::StatusCode;
use serde_json::Value;

use crate::{gateway_support::*, oidc_support::*};

async fn userinfo_status(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("userinfo answers");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_userinfo_get_post_header_and_post_body() {
    let s = setup().await;
    let (_, tokens) = shop_tokens(&s).await;
    let access = tokens["access_token"].as_str().expect("access token");
    let endpoint = format!("{}/userinfo", s.gateway.base_url);
    let sub = s.subject.to_string();
    for (module, request) in [
        ("oidcc-userinfo-get", s.client.get(&endpoint).bearer_auth(access)),
        (
            "oidcc-userinfo-post-header",
            s.client.post(&endpoint).bearer_auth(access),
        ),
        (
            "oidcc-userinfo-post-body",
            s.client.post(&endpoint).form(&[("access_token", access)]),
        ),
    ] {
        let (status, body) = userinfo_status(request).await;
        assert_eq!(
            (status.as_u16(), body["sub"].as_str()),
            (200, Some(sub.as_str())),
            "{module}: {body}"
        );
    }
    // RFC 6750 §2: one method at a time.
    let both = s
        .client
        .post(&endpoint)
        .bearer_auth(access)
        .form(&[("access_token", access)]);
    let (status, body) = userinfo_status(both).await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    // A token in the query string is not accepted (RFC 6750 §2.3 is optional and leaks it).
    let (status, _) = userinfo_status(s.client.get(format!("{endpoint}?access_token={access}"))).await;
    assert_eq!(status, 401);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_unsigned_request_object_and_request_uri_are_refused_not_ignored() {
    let s = setup().await;
    for (parameter, value, error) in [
        (
            "request",
            "eyJhbGciOiJub25lIn0.eyJzdGF0ZSI6Im90aGVyIn0.",
            "request_not_supported",
        ),
        (
            "request_uri",
            "https://shop.example.org/request.jwt",
            "request_uri_not_supported",
        ),
    ] {
        let request = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[(parameter, value)]);
        let Answer::Redirect(params) = visit(&s, &request, None).await else {
            panic!("{parameter}: an error redirect");
        };
        assert_eq!(params["error"], error, "{parameter}");
        assert_eq!(params["state"], "state-123");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_codereuse() {
    let s = setup().await;
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    let session = sign_in(&s, &authorize, PASSWORD).await.expect("signed in");
    let code = code(visit(&s, &authorize, Some(&session)).await);
    let tokens = redeem(&s, &code).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let (status, error) = token(&s, &form, true).await;
    assert_eq!((status.as_u16(), error["error"].as_str()), (400, Some("invalid_grant")));
    // The tokens of the first use stop working.
    let access = tokens["access_token"].as_str().expect("access token");
    let endpoint = format!("{}/userinfo", s.gateway.base_url);
    let (status, _) = userinfo_status(s.client.get(&endpoint).bearer_auth(access)).await;
    assert_eq!(status, 401, "the access token issued from a replayed code is revoked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_refresh_token() {
    let s = setup().await;
    let (_, tokens) = shop_tokens(&s).await;
    let refresh = tokens["refresh_token"].as_str().expect("refresh token");
    let (status, renewed) = token(&s, &[("grant_type", "refresh_token"), ("refresh_token", refresh)], true).await;
    assert_eq!(status, 200, "{renewed}");
    assert_eq!(renewed["token_type"], "Bearer");
    // Another client cannot use it (the fan app holds the same secret in the tests).
    let response = s
        .client
        .post(format!("{}/token", s.gateway.base_url))
        .basic_auth("par-app", Some(SHOP_SECRET))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", renewed["refresh_token"].as_str().unwrap_or_default()),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_ensure_request_with_valid_pkce_succeeds() {
    let s = setup().await;
    let code = app_code(&s).await;
    let (status, tokens) = token(
        &s,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", APP_REDIRECT),
            ("client_id", "web-app"),
            ("code_verifier", VERIFIER),
        ],
        false,
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_client_authentication_errors_carry_www_authenticate() {
    let s = setup().await;
    let response = s
        .client
        .post(format!("{}/token", s.gateway.base_url))
        .basic_auth("shop", Some("not-the-secret"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_discovery_endpoint_verification() {
    let s = setup().await;
    let document: Value = reqwest::get(format!("{}/.well-known/openid-configuration", s.gateway.base_url))
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    let issuer = document["issuer"].as_str().expect("issuer");
    assert_eq!(issuer, "http://127.0.0.1:8080");
    for required in [
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "userinfo_endpoint",
    ] {
        assert!(
            document[required].as_str().is_some_and(|u| u.starts_with(issuer)),
            "{required}"
        );
    }
    let has = |member: &str, value: &str| {
        document[member]
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v == value))
    };
    assert!(has("response_types_supported", "code"));
    assert!(has("subject_types_supported", "public"));
    assert!(has("id_token_signing_alg_values_supported", "RS256"));
    assert!(has("scopes_supported", "openid"));
    for prompt in ["none", "login", "consent", "select_account"] {
        assert!(has("prompt_values_supported", prompt), "{prompt}");
    }
    assert!(has("claims_supported", "amr"));
    // Advertised only as far as they are implemented.
    assert_eq!(document["claims_parameter_supported"], false);
    assert_eq!(document["request_parameter_supported"], false);
    assert_eq!(
        document["request_uri_parameter_supported"], false,
        "its default is true"
    );
    assert_eq!(
        document["pushed_authorization_request_endpoint"],
        format!("{issuer}/par")
    );
}

/// Pushes an authorization request for the fan app; returns the status and body.
async fn push(s: &Setup, secret: &str, extra: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut form = vec![
        ("redirect_uri", APP_REDIRECT),
        ("response_type", "code"),
        ("scope", "openid profile"),
        ("state", "pushed-state"),
    ];
    form.extend_from_slice(extra);
    let response = s
        .client
        .post(format!("{}/par", s.gateway.base_url))
        .basic_auth("par-app", Some(secret))
        .form(&form)
        .send()
        .await
        .expect("par answers");
    (response.status(), response.json().await.expect("json"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_authorization_requests_keep_the_parameters_off_the_url() {
    let s = setup().await;
    let (status, pushed) = push(&s, SHOP_SECRET, &[]).await;
    assert_eq!(status, 201, "{pushed}");
    assert_eq!(pushed["expires_in"], 90);
    let request_uri = pushed["request_uri"].as_str().expect("request_uri");
    assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"));

    let base = format!("{}/authorize?client_id=par-app", s.gateway.base_url);
    let by_reference = format!(
        "{base}&request_uri={}&state=from-the-url",
        url::form_urlencoded::byte_serialize(request_uri.as_bytes()).collect::<String>()
    );
    let shown = page(visit(&s, &by_reference, None).await);
    assert!(
        !hidden(&shown.html, "return_to").contains("scope"),
        "the way back names the request, not its parameters"
    );
    let (session, params) = sign_in_on(&s, &shown).await;
    assert_eq!(
        params["state"], "pushed-state",
        "only the pushed parameters count (RFC 9126 §4)"
    );
    assert!(params.contains_key("code"));
    // Single use: the request is gone once it issued a code.
    let again = s
        .client
        .get(&by_reference)
        .header("cookie", format!("__Host-session={session}"));
    assert_eq!(again.send().await.expect("answers").status(), 400);

    // This client cannot send its parameters in the URL.
    let direct = authorize_url(&s.gateway.base_url, "par-app", APP_REDIRECT, &[]);
    let Answer::Redirect(refused) = visit(&s, &direct, Some(&session)).await else {
        panic!("an error redirect");
    };
    assert_eq!(refused["error"], "invalid_request");
    assert!(!refused.contains_key("code"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_requests_are_checked_like_authorization_requests() {
    let s = setup().await;
    let (status, body) = push(&s, "wrong-secret", &[]).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (401, Some("invalid_client")));
    let (status, body) = push(&s, SHOP_SECRET, &[("prompt", "sometimes")]).await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
    let (status, body) = push(
        &s,
        SHOP_SECRET,
        &[("request_uri", "urn:ietf:params:oauth:request_uri:x")],
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (400, Some("request_uri_not_supported"))
    );
    // An unregistered redirect URI is refused outright, never stored.
    let response = s
        .client
        .post(format!("{}/par", s.gateway.base_url))
        .basic_auth("par-app", Some(SHOP_SECRET))
        .form(&[
            ("redirect_uri", "https://evil.example/cb"),
            ("response_type", "code"),
            ("scope", "openid"),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 400);
    // An unknown or expired request_uri shows a page, with nothing redirected.
    let unknown = format!(
        "{}/authorize?client_id=par-app&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Anone",
        s.gateway.base_url
    );
    let response = s.client.get(&unknown).send().await.expect("answers");
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
}
