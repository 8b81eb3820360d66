//! Native apps (the club's fan app, S-360's TIXNGO mobile-ticket SDK): the code flow with PKCE
//! to a loopback redirect at whatever port the app listens on and to a private-use URI scheme
//! (RFC 8252 §7.1, §7.3), per-client refresh-token lifetimes, and the refresh-token reuse
//! grace: a retry after a lost response gets the same successor, concurrent retries one
//! successor, and a reuse after the grace still ends the grant.

use std::collections::HashMap;

use auth_gateway::clients::{Client, ClientKind};
use reqwest::StatusCode;
use serde_json::Value;
use tests::sim::free_port;

use crate::gateway_support::*;

const FAN_APP: &str = "fan-app";
const APP_SCHEME_REDIRECT: &str = "com.club.app:/callback";
/// The fan app's loopback redirect, registered without a port.
const LOOPBACK: &str = "http://127.0.0.1/cb";
/// TIXNGO, with a reuse grace of 1 second so a test can outwait it.
const TIXNGO: &str = "tixngo";
const TIXNGO_REDIRECT: &str = "com.secutix.tixngo:/callback";

/// The gateway with the shop (for introspection), the fan app (refresh tokens for 90 days,
/// the default grace of 5 s) and TIXNGO (a grace of 1 s).
async fn setup_native() -> Setup {
    let public = |id: &str, redirect_uris: &[&str]| Client {
        id: id.into(),
        name: id.into(),
        kind: ClientKind::Public,
        redirect_uris: redirect_uris.iter().map(|&u| u.to_owned()).collect(),
        ..Default::default()
    };
    let clients = vec![
        shop_client(),
        Client {
            refresh_token_days: Some(90),
            ..public(FAN_APP, &[LOOPBACK, APP_SCHEME_REDIRECT])
        },
        Client {
            refresh_reuse_grace_seconds: Some(1),
            ..public(TIXNGO, &[TIXNGO_REDIRECT])
        },
    ];
    setup_with_registry(&registry_file(clients), &[]).await
}

fn query(location: &str) -> HashMap<String, String> {
    url::Url::parse(location)
        .expect("an absolute Location")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Signs in for `client_id` with PKCE and follows `/authorize` to `redirect`; returns the
/// gateway's `Location`.
async fn authorize(s: &Setup, client_id: &str, redirect: &str) -> String {
    let url = authorize_url(
        &s.gateway.base_url,
        client_id,
        redirect,
        &[
            ("code_challenge", &challenge(VERIFIER)),
            ("code_challenge_method", "S256"),
        ],
    );
    let session = sign_in(s, &url, PASSWORD).await.expect("signed in");
    let response = s
        .client
        .get(&url)
        .header("cookie", format!("__Host-session={session}"))
        .send()
        .await
        .expect("authorize answers");
    assert_eq!(response.status(), StatusCode::FOUND, "a redirect to the app");
    response.headers()["location"].to_str().expect("location").to_owned()
}

/// The whole code flow for a native app; returns the token response.
async fn app_tokens(s: &Setup, client_id: &str, redirect: &str) -> Value {
    let location = authorize(s, client_id, redirect).await;
    assert!(location.starts_with(&format!("{redirect}?")), "{location}");
    let params = query(&location);
    assert_eq!(params.get("state").map(String::as_str), Some("state-123"));
    let (status, tokens) = token(
        s,
        &[
            ("grant_type", "authorization_code"),
            ("code", &params["code"]),
            ("redirect_uri", redirect),
            ("code_verifier", VERIFIER),
            ("client_id", client_id),
        ],
        false,
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

async fn refresh(s: &Setup, client_id: &str, refresh_token: &str) -> (StatusCode, Value) {
    token(
        s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client_id),
        ],
        false,
    )
    .await
}

fn refresh_token(tokens: &Value) -> String {
    tokens["refresh_token"].as_str().expect("a refresh token").to_owned()
}

/// Live (unspent, unrevoked) tokens in the family of `token`.
async fn live_in_family(s: &Setup, token: &str) -> i64 {
    s.db.count(&format!(
        "SELECT count(*) AS n FROM refresh_tokens WHERE used_at IS NULL AND revoked_at IS NULL AND family_id = \
         (SELECT family_id FROM refresh_tokens WHERE token_hash = sha256('{token}'::bytea))"
    ))
    .await
}

fn refused(response: &(StatusCode, Value)) -> bool {
    response.0 == StatusCode::BAD_REQUEST && response.1["error"] == "invalid_grant"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_apps_complete_the_code_flow_at_a_loopback_port_and_a_private_use_scheme() {
    let s = setup_native().await;
    // RFC 8252 §7.3: registered without a port, the loopback redirect works at the port the
    // app happens to listen on.
    let loopback = format!("http://127.0.0.1:{}/cb", free_port());
    let tokens = app_tokens(&s, FAN_APP, &loopback).await;
    assert!(tokens["id_token"].is_string() && tokens["access_token"].is_string());
    // RFC 8252 §7.1: the app's own scheme.
    let tokens = app_tokens(&s, FAN_APP, APP_SCHEME_REDIRECT).await;
    assert!(tokens["id_token"].is_string());
    let tokens = app_tokens(&s, TIXNGO, TIXNGO_REDIRECT).await;
    assert!(tokens["refresh_token"].is_string());

    // The code is bound to the exact redirect of its request, port included.
    let location = authorize(&s, FAN_APP, &loopback).await;
    let (status, error) = token(
        &s,
        &[
            ("grant_type", "authorization_code"),
            ("code", &query(&location)["code"]),
            ("redirect_uri", &format!("http://127.0.0.1:{}/cb", free_port())),
            ("code_verifier", VERIFIER),
            ("client_id", FAN_APP),
        ],
        false,
    )
    .await;
    assert_eq!((status.as_u16(), error["error"].as_str()), (400, Some("invalid_grant")));

    // Anything else is refused on a page, never redirected to.
    let port = free_port();
    for unregistered in [
        format!("http://127.0.0.1:{port}/cb/other"),
        format!("http://127.0.0.1:{port}/cb?x=1"),
        format!("http://localhost:{port}/cb"),
        format!("http://[::1]:{port}/cb"),
        "com.club.app:/other".to_owned(),
        TIXNGO_REDIRECT.to_owned(),
    ] {
        let url = authorize_url(&s.gateway.base_url, FAN_APP, &unregistered, &[]);
        let response = s.client.get(&url).send().await.expect("answers");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{unregistered}");
        assert!(response.headers().get("location").is_none(), "{unregistered}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_tokens_live_as_long_as_their_client_says() {
    let s = setup_native().await;
    let days_left = |introspection: Value| {
        assert_eq!(introspection["active"], true, "{introspection}");
        let exp = introspection["exp"].as_i64().expect("exp");
        (exp - chrono::Utc::now().timestamp()) as f64 / 86_400.0
    };
    let tokens = app_tokens(&s, FAN_APP, APP_SCHEME_REDIRECT).await;
    let first = refresh_token(&tokens);
    let days = days_left(introspect(&s, &first).await);
    assert!((89.9..=90.0).contains(&days), "{days} days");
    // Every successor lives as long again.
    let (status, renewed) = refresh(&s, FAN_APP, &first).await;
    assert_eq!(status, 200, "{renewed}");
    let days = days_left(introspect(&s, &refresh_token(&renewed)).await);
    assert!((89.9..=90.0).contains(&days), "{days} days");
    // A client that sets nothing: 30 days.
    let tokens = app_tokens(&s, TIXNGO, TIXNGO_REDIRECT).await;
    let days = days_left(introspect(&s, &refresh_token(&tokens)).await);
    assert!((29.9..=30.0).contains(&days), "{days} days");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_within_the_grace_gets_the_same_successor() {
    let s = setup_native().await;
    let a = refresh_token(&app_tokens(&s, FAN_APP, APP_SCHEME_REDIRECT).await);
    let (status, first) = refresh(&s, FAN_APP, &a).await;
    assert_eq!(status, 200, "{first}");
    let b = refresh_token(&first);
    // The response was lost: the app presents A again.
    let (status, retry) = refresh(&s, FAN_APP, &a).await;
    assert_eq!(status, 200, "{retry}");
    assert_eq!(refresh_token(&retry), b, "the same successor");
    assert_ne!(retry["access_token"], first["access_token"], "a fresh access token");
    assert_eq!(
        introspect(&s, retry["access_token"].as_str().expect("access")).await["active"],
        true
    );
    assert_eq!(live_in_family(&s, &b).await, 1, "one live token in the family");

    // The family goes on.
    let (status, next) = refresh(&s, FAN_APP, &b).await;
    assert_eq!(status, 200, "{next}");
    let c = refresh_token(&next);
    assert_ne!(c, b);
    assert_eq!(live_in_family(&s, &c).await, 1);

    // A is still within its grace, but its successor is spent: the app did receive B, so A now
    // is a reuse, and the family ends.
    assert!(refused(&refresh(&s, FAN_APP, &a).await));
    assert!(refused(&refresh(&s, FAN_APP, &c).await), "C revoked with its family");
    let access = next["access_token"].as_str().expect("access");
    assert_eq!(introspect(&s, access).await["active"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_presentations_get_one_successor() {
    let s = setup_native().await;
    let mut current = refresh_token(&app_tokens(&s, FAN_APP, APP_SCHEME_REDIRECT).await);
    for round in 0..8 {
        let (one, two) = tokio::join!(refresh(&s, FAN_APP, &current), refresh(&s, FAN_APP, &current));
        assert_eq!(
            (one.0, two.0),
            (StatusCode::OK, StatusCode::OK),
            "round {round}: {one:?} {two:?}"
        );
        let successor = refresh_token(&one.1);
        assert_eq!(refresh_token(&two.1), successor, "round {round}: one successor");
        assert_eq!(live_in_family(&s, &successor).await, 1, "round {round}");
        current = successor;
    }
    let (status, last) = refresh(&s, FAN_APP, &current).await;
    assert_eq!(status, 200, "the family is still usable: {last}");
    assert_eq!(
        s.db.count(&format!(
            "SELECT count(*) AS n FROM refresh_tokens WHERE subject_id = '{}'",
            s.subject
        ))
        .await,
        10,
        "the first token and one successor per round"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reuse_after_the_grace_or_by_another_client_ends_the_family() {
    let s = setup_native().await;
    let a = refresh_token(&app_tokens(&s, TIXNGO, TIXNGO_REDIRECT).await);
    let (status, first) = refresh(&s, TIXNGO, &a).await;
    assert_eq!(status, 200, "{first}");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(refused(&refresh(&s, TIXNGO, &a).await), "A reused after its grace");
    assert!(
        refused(&refresh(&s, TIXNGO, &refresh_token(&first)).await),
        "B revoked with its family"
    );
    let access = first["access_token"].as_str().expect("access");
    assert_eq!(introspect(&s, access).await["active"], false, "and its access tokens");

    // Within the grace, but from another client: no grace for a token in the wrong hands.
    let a = refresh_token(&app_tokens(&s, FAN_APP, APP_SCHEME_REDIRECT).await);
    let (status, first) = refresh(&s, FAN_APP, &a).await;
    assert_eq!(status, 200, "{first}");
    assert!(refused(&refresh(&s, TIXNGO, &a).await));
    assert!(
        refused(&refresh(&s, FAN_APP, &refresh_token(&first)).await),
        "B revoked with its family"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_successor_given_in_the_grace_works_once_like_any_refresh_token() {
    let s = setup_native().await;
    let a = refresh_token(&app_tokens(&s, TIXNGO, TIXNGO_REDIRECT).await);
    let (status, first) = refresh(&s, TIXNGO, &a).await;
    assert_eq!(status, 200, "{first}");
    let (status, retry) = refresh(&s, TIXNGO, &a).await;
    assert_eq!(status, 200, "within the 1 s grace: {retry}");
    let b = refresh_token(&retry);
    assert_eq!(b, refresh_token(&first));
    let (status, next) = refresh(&s, TIXNGO, &b).await;
    assert_eq!(status, 200, "B works: {next}");
    let c = refresh_token(&next);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(refused(&refresh(&s, TIXNGO, &b).await), "B works once");
    assert!(refused(&refresh(&s, TIXNGO, &c).await), "C revoked with its family");
    assert_eq!(live_in_family(&s, &c).await, 0);
}
