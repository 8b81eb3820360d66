//! Pushed authorization requests (RFC 9126): an authenticated client posts the parameters,
//! which are checked as `/authorize` checks them, and sends the browser with the one-time
//! `request_uri`; a client that must push cannot start an authorization otherwise.

use reqwest::StatusCode;
use serde_json::Value;

use crate::{gateway_support::*, oidc_support::*};

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
