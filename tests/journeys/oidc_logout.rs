//! The conformance suite's `oidcc-rp-initiated-logout-certification-test-plan`, and its
//! back-channel and front-channel logout plans, module by module. The back-channel logouts
//! sent whenever a session ends, and their delivery: `logout_delivery`.

use std::time::{Duration, Instant};

use serde_json::Value;
use tests::{eventually, relying_party::LogoutEndpoint};

use crate::{gateway_support::*, oidc_support::*};

const POST_LOGOUT: &str = "https://shop.example.org/signed-out";
const FRONT_CHANNEL: &str = "https://shop.example.org/front-channel-logout";

/// The gateway with a shop that registered a post-logout URI, a back-channel logout endpoint
/// (`endpoint`) and a front-channel logout page.
pub(crate) async fn setup_logout(endpoint: &LogoutEndpoint) -> Setup {
    let shop = auth_gateway::clients::Client {
        post_logout_redirect_uris: vec![POST_LOGOUT.into()],
        backchannel_logout_uri: Some(endpoint.url.clone()),
        backchannel_logout_session_required: true,
        frontchannel_logout_uri: Some(FRONT_CHANNEL.into()),
        frontchannel_logout_session_required: true,
        ..shop_client()
    };
    setup_with_registry(&registry_file(vec![shop]), &[]).await
}

pub(crate) fn logout_url(s: &Setup, pairs: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&format!("{}/logout", s.gateway.base_url)).expect("url");
    url.query_pairs_mut().extend_pairs(pairs);
    url.to_string()
}

pub(crate) async fn get(s: &Setup, url: &str, session: &str) -> reqwest::Response {
    s.client
        .get(url)
        .header("cookie", format!("__Host-session={session}"))
        .send()
        .await
        .expect("answers")
}

/// The session can no longer answer `prompt=none`.
pub(crate) async fn assert_signed_out(s: &Setup, session: &str) {
    let silent = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[("prompt", "none")]);
    let Answer::Redirect(params) = visit(s, &silent, Some(session)).await else {
        panic!("prompt=none never shows a page");
    };
    assert_eq!(params["error"], "login_required", "the session ended");
}

/// The logout tokens received, decoded after checking them as a relying party must
/// (Back-Channel Logout §2.6): signature by a key of the JWKS, `typ`, `iss`, `aud`, `iat`.
pub(crate) async fn verified(s: &Setup, endpoint: &LogoutEndpoint, count: usize) -> Vec<Value> {
    let tokens = eventually(Duration::from_secs(10), "back-channel logouts", || async {
        let tokens = endpoint.tokens();
        (tokens.len() >= count).then_some(tokens)
    })
    .await;
    verify_logout_tokens(s, tokens).await
}

/// Decodes logout tokens after checking them as [`verified`] says.
pub(crate) async fn verify_logout_tokens(s: &Setup, tokens: Vec<String>) -> Vec<Value> {
    let jwks: jsonwebtoken::jwk::JwkSet = reqwest::get(format!("{}/jwks.json", s.gateway.base_url))
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    let mut claims = Vec::new();
    for token in tokens {
        let header = jsonwebtoken::decode_header(&token).expect("header");
        assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
        assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
        let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(header.kid.as_deref().expect("kid")).expect("key"))
            .expect("key");
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_issuer(&["http://127.0.0.1:8080"]);
        validation.set_audience(&["shop"]);
        let decoded: Value = jsonwebtoken::decode(&token, &key, &validation)
            .expect("a valid logout token")
            .claims;
        assert_eq!(
            decoded["events"],
            serde_json::json!({ "http://schemas.openid.net/event/backchannel-logout": {} })
        );
        assert!(decoded.get("nonce").is_none(), "a logout token has no nonce");
        assert!(decoded["jti"].is_string());
        let iat = decoded["iat"].as_i64().expect("iat");
        assert!((iat - chrono::Utc::now().timestamp()).abs() < 60);
        claims.push(decoded);
    }
    claims
}

/// Where the answer to a logout sends the browser next: its redirect, or the signed-out page's
/// onward refresh (shown first when front-channel iframes must load); `None` for a page that
/// stays.
async fn onward(response: reqwest::Response) -> Option<String> {
    if response.status() == 302 {
        return Some(response.headers()["location"].to_str().expect("location").to_owned());
    }
    assert_eq!(response.status(), 200);
    let html = response.text().await.expect("html");
    assert!(html.contains("signed out"), "the page says so: {html}");
    const REFRESH: &str = "http-equiv=\"refresh\" content=\"2;url=";
    let start = html.find(REFRESH)? + REFRESH.len();
    let end = start + html[start..].find('"').expect("end of the URL");
    Some(html[start..end].replace("&amp;", "&"))
}

/// The discovery document.
async fn discovery(s: &Setup) -> Value {
    reqwest::get(format!("{}/.well-known/openid-configuration", s.gateway.base_url))
        .await
        .expect("answers")
        .json()
        .await
        .expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout_discovery_endpoint_verification() {
    let s = setup().await;
    let document = discovery(&s).await;
    let issuer = document["issuer"].as_str().expect("issuer");
    assert_eq!(document["end_session_endpoint"], format!("{issuer}/logout"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_backchannel_logout_discovery_endpoint_verification() {
    let s = setup().await;
    let document = discovery(&s).await;
    assert_eq!(
        (
            &document["backchannel_logout_supported"],
            &document["backchannel_logout_session_supported"]
        ),
        (&Value::Bool(true), &Value::Bool(true))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_frontchannel_logout_discovery_endpoint_verification() {
    let s = setup().await;
    let document = discovery(&s).await;
    assert_eq!(
        (
            &document["frontchannel_logout_supported"],
            &document["frontchannel_logout_session_supported"]
        ),
        (&Value::Bool(true), &Value::Bool(true))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout() {
    let endpoint = LogoutEndpoint::start(0);
    let s = setup_logout(&endpoint).await;
    let (session, tokens) = shop_tokens(&s).await;
    let hint = tokens["id_token"].as_str().expect("id token");
    let pairs = [
        ("id_token_hint", hint),
        ("post_logout_redirect_uri", POST_LOGOUT),
        ("state", "bye"),
    ];
    let response = get(&s, &logout_url(&s, &pairs), &session).await;
    assert!(
        cookie(&response, "__Host-session").is_some_and(|c| c.contains("Max-Age=0")),
        "cookie cleared"
    );
    assert_eq!(onward(response).await, Some(format!("{POST_LOGOUT}?state=bye")));
    assert_signed_out(&s, &session).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_backchannel_rp_initiated_logout() {
    let endpoint = LogoutEndpoint::start(0);
    let s = setup_logout(&endpoint).await;
    let (session, tokens) = shop_tokens(&s).await;
    let sid = id_claims(&s, &tokens).await["sid"]
        .as_str()
        .expect("sid in the ID token")
        .to_owned();
    let hint = tokens["id_token"].as_str().expect("id token");
    let started = Instant::now();
    let pairs = [("id_token_hint", hint), ("post_logout_redirect_uri", POST_LOGOUT)];
    let response = get(&s, &logout_url(&s, &pairs), &session).await;
    let answered = started.elapsed();
    assert_eq!(onward(response).await.as_deref(), Some(POST_LOGOUT));
    let logouts = verified(&s, &endpoint, 1).await;
    assert_eq!(logouts.len(), 1, "one token per session and client");
    assert_eq!(logouts[0]["sid"], sid.as_str());
    assert_eq!(logouts[0]["sub"], s.subject.to_string());
    assert!(
        answered < Duration::from_secs(1),
        "the sign-out does not wait for deliveries: {answered:?}"
    );
    assert_signed_out(&s, &session).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_frontchannel_rp_initiated_logout() {
    let endpoint = LogoutEndpoint::start(0);
    let s = setup_logout(&endpoint).await;
    let (session, tokens) = shop_tokens(&s).await;
    let sid = id_claims(&s, &tokens).await["sid"].as_str().expect("sid").to_owned();
    let hint = tokens["id_token"].as_str().expect("id token");
    let pairs = [
        ("id_token_hint", hint),
        ("post_logout_redirect_uri", POST_LOGOUT),
        ("state", "bye"),
    ];
    let response = get(&s, &logout_url(&s, &pairs), &session).await;
    // The iframes load first; the page goes on to the registered URI by itself.
    assert_eq!(response.status(), 200);
    let html = response.text().await.expect("html");
    assert!(
        html.contains(&format!(
            "<iframe src=\"{FRONT_CHANNEL}?iss=http%3A%2F%2F127.0.0.1%3A8080&amp;sid={sid}\""
        )),
        "{html}"
    );
    assert!(html.contains(&format!("url={POST_LOGOUT}?state=bye")), "{html}");
    assert_signed_out(&s, &session).await;
}

/// Signs in to the shop, sends the browser to `/logout` with the parameters `pairs` makes of
/// the ID token, and checks what the modules below assert: the fan is signed out and sees a
/// page saying so, and is sent nowhere.
async fn signed_out_on_a_page(pairs: impl FnOnce(&str) -> Vec<(&'static str, String)>) {
    let endpoint = LogoutEndpoint::start(0);
    let s = setup_logout(&endpoint).await;
    let (session, tokens) = shop_tokens(&s).await;
    let pairs = pairs(tokens["id_token"].as_str().expect("id token"));
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = get(&s, &logout_url(&s, &pairs), &session).await;
    assert_eq!(response.status(), 200, "a page, no redirect");
    assert_eq!(onward(response).await, None, "no onward redirect");
    assert_signed_out(&s, &session).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout_bad_post_logout_redirect_uri() {
    signed_out_on_a_page(|hint| {
        vec![
            ("id_token_hint", hint.into()),
            ("post_logout_redirect_uri", "https://evil.example/out".into()),
        ]
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout_query_added_to_post_logout_redirect_uri() {
    signed_out_on_a_page(|hint| {
        vec![
            ("id_token_hint", hint.into()),
            ("post_logout_redirect_uri", format!("{POST_LOGOUT}?x=1")),
        ]
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout_modified_id_token_hint() {
    // The hint re-encoded with `alg: none` and no signature.
    signed_out_on_a_page(|hint| {
        let header = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, br#"{"alg":"none"}"#);
        let payload = hint.split('.').nth(1).expect("payload");
        vec![
            ("id_token_hint", format!("{header}.{payload}.")),
            ("post_logout_redirect_uri", POST_LOGOUT.into()),
        ]
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout_bad_id_token_hint() {
    // Signed by someone else.
    signed_out_on_a_page(|hint| {
        let mut parts: Vec<String> = hint.split('.').map(str::to_owned).collect();
        parts[2] = "c2lnbmVkIGJ5IHNvbWVvbmUgZWxzZQ".into();
        vec![
            ("id_token_hint", parts.join(".")),
            ("post_logout_redirect_uri", POST_LOGOUT.into()),
        ]
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout_no_id_token_hint() {
    signed_out_on_a_page(|_| vec![("post_logout_redirect_uri", POST_LOGOUT.into())]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout_no_params() {
    signed_out_on_a_page(|_| vec![]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout_only_state() {
    signed_out_on_a_page(|_| vec![("state", "s".into())]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout_no_post_logout_redirect_uri() {
    signed_out_on_a_page(|hint| vec![("id_token_hint", hint.into()), ("state", "s".into())]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout_no_state() {
    let endpoint = LogoutEndpoint::start(0);
    let s = setup_logout(&endpoint).await;
    let (session, tokens) = shop_tokens(&s).await;
    let hint = tokens["id_token"].as_str().expect("id token");
    let pairs = [("id_token_hint", hint), ("post_logout_redirect_uri", POST_LOGOUT)];
    let response = get(&s, &logout_url(&s, &pairs), &session).await;
    assert_eq!(
        onward(response).await.as_deref(),
        Some(POST_LOGOUT),
        "back to the registered URI, with no state"
    );
    assert_signed_out(&s, &session).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_id_identifies_the_client_only_when_it_agrees_with_the_hint() {
    let endpoint = LogoutEndpoint::start(0);
    let s = setup_logout(&endpoint).await;
    // A hint for one client with the client_id of another: no redirect.
    let (session, tokens) = shop_tokens(&s).await;
    let pairs = [
        ("id_token_hint", tokens["id_token"].as_str().expect("id token")),
        ("client_id", "web-app"),
        ("post_logout_redirect_uri", POST_LOGOUT),
    ];
    assert_eq!(onward(get(&s, &logout_url(&s, &pairs), &session).await).await, None);
    assert_signed_out(&s, &session).await;
    // client_id alone identifies the client (RP-Initiated Logout §2), by GET and by POST.
    let session = sign_in(&s, &authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]), PASSWORD)
        .await
        .expect("signed in");
    let response = s
        .client
        .post(format!("{}/logout", s.gateway.base_url))
        .header("cookie", format!("__Host-session={session}"))
        .form(&[
            ("client_id", "shop"),
            ("post_logout_redirect_uri", POST_LOGOUT),
            ("state", "posted"),
        ])
        .send()
        .await
        .expect("answers");
    // No relying party was signed in through this session: straight back, no page needed.
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.headers()["location"],
        format!("{POST_LOGOUT}?state=posted").as_str()
    );
    assert_signed_out(&s, &session).await;
}
