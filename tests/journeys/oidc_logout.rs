//! The conformance suite's `oidcc-rp-initiated-logout-certification-test-plan` and
//! `oidcc-backchannel-rp-initiated-logout-certification-test-plan`, module by module, and the
//! back-channel logouts sent whenever a session ends: sign-out, a password change, a merge and
//! an anonymisation applied by the worker, an administrator's revocation, and an endpoint that
//! is down for a while ("sign out everywhere" and account deletion: `gateway_account`).

use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::Value;
use tests::{TestDatabase, eventually, relying_party::LogoutEndpoint};

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

fn logout_url(s: &Setup, pairs: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&format!("{}/logout", s.gateway.base_url)).expect("url");
    url.query_pairs_mut().extend_pairs(pairs);
    url.to_string()
}

async fn get(s: &Setup, url: &str, session: &str) -> reqwest::Response {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout_and_oidcc_backchannel_rp_initiated_logout() {
    let endpoint = LogoutEndpoint::start(0);
    let s = setup_logout(&endpoint).await;
    let (session, tokens) = shop_tokens(&s).await;
    let id_claims = id_claims(&s, &tokens).await;
    let sid = id_claims["sid"].as_str().expect("sid in the ID token").to_owned();
    let hint = tokens["id_token"].as_str().expect("id token");

    let started = Instant::now();
    let response = get(
        &s,
        &logout_url(
            &s,
            &[
                ("id_token_hint", hint),
                ("post_logout_redirect_uri", POST_LOGOUT),
                ("state", "bye"),
            ],
        ),
        &session,
    )
    .await;
    let answered = started.elapsed();
    // Front-channel iframes first: the page goes on to the registered URI by itself.
    assert_eq!(response.status(), 200);
    assert!(
        cookie(&response, "__Host-session").is_some_and(|c| c.contains("Max-Age=0")),
        "cookie cleared"
    );
    let html = response.text().await.expect("html");
    assert!(html.contains(&format!("url={POST_LOGOUT}?state=bye")), "{html}");
    assert!(
        html.contains(&format!(
            "{FRONT_CHANNEL}?iss=http%3A%2F%2F127.0.0.1%3A8080&amp;sid={sid}"
        )),
        "{html}"
    );
    assert_signed_out(&s, &session).await;

    let logouts = verified(&s, &endpoint, 1).await;
    assert_eq!(logouts.len(), 1, "one token per session and client");
    assert_eq!(logouts[0]["sid"], sid.as_str());
    assert_eq!(logouts[0]["sub"], s.subject.to_string());
    assert!(
        answered < Duration::from_secs(1),
        "the sign-out does not wait for deliveries: {answered:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout_refuses_every_redirect_it_cannot_trust() {
    let endpoint = LogoutEndpoint::start(0);
    let s = setup_logout(&endpoint).await;
    let (_, tokens) = shop_tokens(&s).await;
    let hint = tokens["id_token"].as_str().expect("id token").to_owned();
    let mut parts: Vec<String> = hint.split('.').map(str::to_owned).collect();
    let alg_none = {
        let header = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, br#"{"alg":"none"}"#);
        format!("{header}.{}.", parts[1])
    };
    parts[2] = "c2lnbmVkIGJ5IHNvbWVvbmUgZWxzZQ".into();
    let bad_signature = parts.join(".");
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "oidcc-rp-initiated-logout-bad-post-logout-redirect-uri",
            vec![
                ("id_token_hint", &hint),
                ("post_logout_redirect_uri", "https://evil.example/out"),
            ],
        ),
        (
            "oidcc-rp-initiated-logout-modified-id-token-hint (query added)",
            vec![
                ("id_token_hint", &hint),
                ("post_logout_redirect_uri", "https://shop.example.org/signed-out?x=1"),
            ],
        ),
        (
            "oidcc-rp-initiated-logout-no-id-token-hint",
            vec![("post_logout_redirect_uri", POST_LOGOUT)],
        ),
        (
            "oidcc-rp-initiated-logout-id-token-hint-alg-none",
            vec![("id_token_hint", &alg_none), ("post_logout_redirect_uri", POST_LOGOUT)],
        ),
        (
            "oidcc-rp-initiated-logout-bad-id-token-hint",
            vec![
                ("id_token_hint", &bad_signature),
                ("post_logout_redirect_uri", POST_LOGOUT),
            ],
        ),
        (
            "a hint for one client with client_id of another",
            vec![
                ("id_token_hint", &hint),
                ("client_id", "web-app"),
                ("post_logout_redirect_uri", POST_LOGOUT),
            ],
        ),
        ("oidcc-rp-initiated-logout-no-params", vec![]),
        ("oidcc-rp-initiated-logout-only-state", vec![("state", "s")]),
        ("oidcc-rp-initiated-logout-no-state", vec![("id_token_hint", &hint)]),
    ];
    for (module, pairs) in cases {
        let session = sign_in(&s, &authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]), PASSWORD)
            .await
            .expect("signed in");
        let response = get(&s, &logout_url(&s, &pairs), &session).await;
        assert_eq!(response.status(), 200, "{module}: a page, no redirect");
        let html = response.text().await.expect("html");
        assert!(!html.contains("http-equiv=\"refresh\""), "{module}: no onward redirect");
        assert!(html.contains("signed out"), "{module}: the page says so");
        assert_signed_out(&s, &session).await;
    }
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

/// Applies contact events as the worker's consumer does.
async fn apply(db: &TestDatabase, payloads: Vec<Value>) {
    let mut conn = AsyncPgConnection::establish(&db.url).await.expect("connection");
    let events: Vec<_> = payloads
        .into_iter()
        .enumerate()
        .map(|(i, payload)| tests::events::event(payload, chrono::Utc::now(), 1000 + i as u128))
        .collect();
    sync_worker::apply::apply_batch(&mut conn, &events)
        .await
        .expect("applied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_way_a_session_ends_reaches_the_relying_party() {
    let endpoint = LogoutEndpoint::start(0);
    let s = setup_logout(&endpoint).await;

    // A password change (the set-password link's last step).
    let (_, first) = shop_tokens(&s).await;
    let mut conn = AsyncPgConnection::establish(&s.db.url).await.expect("connection");
    store::auth::accounts::set_password(&mut conn, s.subject, "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA")
        .await
        .expect("password set");
    let after_reset = verified(&s, &endpoint, 1).await;
    assert_eq!(after_reset[0]["sid"], id_claims(&s, &first).await["sid"]);

    // A merge at S-360, applied by the worker: the absorbed contact's sessions end.
    seed_password(&s).await;
    let (_, second) = shop_tokens(&s).await;
    apply(
        &s.db,
        vec![
            tests::events::update("0009999999", "Head"),
            tests::events::merge("0001234567", "0009999999"),
        ],
    )
    .await;
    let after_merge = verified(&s, &endpoint, 2).await;
    assert_eq!(after_merge[1]["sid"], id_claims(&s, &second).await["sid"]);

    // An anonymisation: the account goes, and its sessions' relying parties hear of it first.
    let moved =
        s.db.count(&format!(
            "SELECT count(*) AS n FROM accounts WHERE subject_id = '{}' AND contact_number = '0009999999'",
            s.subject
        ))
        .await;
    assert_eq!(moved, 1, "the account moved to the head");
    let (_, third) = shop_tokens(&s).await;
    apply(&s.db, vec![tests::events::anonymise("0009999999")]).await;
    let after_anonymisation = verified(&s, &endpoint, 3).await;
    assert_eq!(after_anonymisation[2]["sid"], id_claims(&s, &third).await["sid"]);
    assert_eq!(s.db.count("SELECT count(*) AS n FROM accounts").await, 0);
}

/// Gives the account [`PASSWORD`] again (the test changed it).
async fn seed_password(s: &Setup) {
    let hash = auth_gateway::passwords::Passwords::new(1)
        .expect("hasher")
        .hash(PASSWORD)
        .await
        .expect("hash");
    s.db.execute(&format!(
        "UPDATE accounts SET password_hash = '{hash}' WHERE subject_id = '{}'",
        s.subject
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_is_retried_without_slowing_the_sign_out() {
    let endpoint = LogoutEndpoint::start(2);
    let s = setup_logout(&endpoint).await;
    let (session, _) = shop_tokens(&s).await;
    let started = Instant::now();
    let response = get(&s, &logout_url(&s, &[]), &session).await;
    assert_eq!(response.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(1));
    // Refused twice (1 s, then 2 s later), delivered at the third attempt.
    let logouts = verified(&s, &endpoint, 1).await;
    assert_eq!((logouts.len(), endpoint.refused()), (1, 2));
    let state =
        s.db.count("SELECT count(*) AS n FROM logout_deliveries WHERE state = 'delivered' AND attempts = 3")
            .await;
    assert_eq!(state, 1, "one row, delivered at the third attempt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrators_revocation_reaches_the_relying_party() {
    let endpoint = LogoutEndpoint::start(0);
    let s = setup_logout(&endpoint).await;
    let (session, tokens) = shop_tokens(&s).await;
    let database = tests::database::database_args(&s.db.url);
    let whose = |email: &str| auth_gateway::sessions_admin::Whose {
        subject: None,
        email: Some(email.into()),
    };
    let unknown = auth_gateway::sessions_admin::run(
        auth_gateway::sessions_admin::SessionsCommand::End(whose("nobody@example.org")),
        &database,
    )
    .await;
    assert!(unknown.is_err(), "an unknown address is an error, not a silent success");
    let listed = auth_gateway::sessions_admin::run(
        auth_gateway::sessions_admin::SessionsCommand::List(whose("jean.dupont@example.org")),
        &database,
    )
    .await
    .expect("listed");
    let sid = id_claims(&s, &tokens).await["sid"].as_str().expect("sid").to_owned();
    assert!(
        listed.starts_with("1 live session(s)") && listed.contains(&sid),
        "{listed}"
    );
    let ended = auth_gateway::sessions_admin::run(
        auth_gateway::sessions_admin::SessionsCommand::End(whose("jean.dupont@example.org")),
        &database,
    )
    .await
    .expect("ended");
    assert!(ended.starts_with("ended 1 live session(s)"), "{ended}");
    assert_signed_out(&s, &session).await;
    let logouts = verified(&s, &endpoint, 1).await;
    assert_eq!(logouts[0]["sid"], sid.as_str());
    let (status, _) = token(
        &s,
        &[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                tokens["refresh_token"].as_str().expect("refresh token"),
            ),
        ],
        true,
    )
    .await;
    assert_eq!(status, 400, "the refresh token ended with the session");
}
