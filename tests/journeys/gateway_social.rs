//! Social sign-in against a real, independent OpenID provider (oidc-provider playing
//! "Google"): a new fan signs up through it and the shop gets `amr: ["fed"]`; the request
//! upstream carries state, nonce and PKCE; and each attack is tried and refused: a wrong
//! state, a replayed callback, a callback in another browser, an upstream ID token with a bad
//! signature or for another audience. An upstream that refuses or cannot be reached ends on a
//! page of ours, with the way back to sign-in.

use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    gateway_support::*,
    social_support::{self, Jar, at_upstream, get, location, sign_up, social, start, through_google},
};

const ANNA: &str = "anna.muster@example.net";

/// The ID token the shop gets for the authorization request `authorize` with `session`.
async fn shop_id_token(s: &Setup, authorize: &str, session: &str) -> Value {
    let code = redirect_params(s, authorize, Some(session)).await["code"].clone();
    let (status, tokens) = token(
        s,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
        true,
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    verify_id_token(s, tokens["id_token"].as_str().expect("id token")).await
}

/// Nobody was signed in by `response`, which is a page of ours leading back to sign-in.
async fn refused(response: reqwest::Response, status: StatusCode, says: &str) -> String {
    assert_eq!(response.status(), status);
    assert!(cookie(&response, "__Host-session").is_none(), "nobody is signed in");
    let page = response.text().await.expect("html");
    assert!(page.contains(says), "{says}: {page}");
    assert!(page.contains("href=\"/login"), "a way back to sign-in: {page}");
    page
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_fan_signs_up_through_google_and_the_shop_gets_amr_fed() {
    let g = social("normal").await;
    let s = &g.s;
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    let html = s
        .client
        .get(&authorize)
        .send()
        .await
        .expect("answers")
        .text()
        .await
        .expect("html");
    assert!(html.contains("Continue with Google"), "{html}");
    let return_to = hidden(&html, "return_to");

    let mut browser = Jar::default();
    let upstream_request = start(s, &mut browser, &return_to).await;
    assert!(
        upstream_request.starts_with(&format!("{}/auth?", g.upstream.issuer)),
        "{upstream_request}"
    );
    let query: std::collections::HashMap<String, String> = url::Url::parse(&upstream_request)
        .expect("url")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    for name in ["state", "nonce", "code_challenge"] {
        assert!(
            query.get(name).is_some_and(|v| v.len() >= 22),
            "{name}: {upstream_request}"
        );
    }
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["client_id"], social_support::UPSTREAM_CLIENT);
    assert_eq!(
        query["redirect_uri"],
        format!("{}/login/social/google/callback", social_support::ISSUER)
    );
    assert!(query["scope"].contains("openid") && query["scope"].contains("email"));
    assert!(!upstream_request.contains("code_verifier"));

    let callback = at_upstream(s, &upstream_request, ANNA, true, false).await;
    let answer = get(&s.client, &mut browser, &callback).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&answer), "/login/social/signup");
    let form = get(
        &s.client,
        &mut browser,
        &format!("{}/login/social/signup", s.gateway.base_url),
    )
    .await;
    let html = form.text().await.expect("html");
    assert!(
        html.contains(ANNA) && html.contains("value=\"Anna\"") && html.contains("value=\"Muster\""),
        "{html}"
    );
    assert!(!html.contains("type=\"password\""), "no password asked");

    // The privacy policy is required, as on /signup.
    let csrf = hidden(&html, "csrf");
    let unaccepted = social_support::post(
        &s.client,
        &mut browser,
        &format!("{}/login/social/signup", s.gateway.base_url),
        &[
            ("csrf", &csrf),
            ("given_name", "Anna"),
            ("family_name", "Muster"),
            ("language", "en"),
        ],
    )
    .await;
    assert_eq!(unaccepted.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let answer = sign_up(s, &mut browser).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&answer), return_to, "back to the shop's authorization request");
    let session = browser.get("__Host-session").expect("signed in").to_owned();

    let claims = shop_id_token(s, &format!("{}{return_to}", s.gateway.base_url), &session).await;
    assert_eq!(claims["amr"], serde_json::json!(["fed"]), "RFC 8176: federated");
    assert_eq!(claims["email"], ANNA);
    assert_eq!(claims["email_verified"], true);
    let subject = claims["sub"].as_str().expect("sub").to_owned();
    // The support console's sign-in history shows it.
    let history =
        format!("SELECT count(*) AS n FROM sign_in_audit WHERE subject_id = '{subject}' AND outcome = 'success'");
    tests::eventually(
        std::time::Duration::from_secs(10),
        "the sign-in in the history",
        || async { (s.db.count(&history).await == 1).then_some(()) },
    )
    .await;
    let row = format!(
        "SELECT count(*) AS n FROM accounts a JOIN contact_creations c USING (subject_id) \
         WHERE a.subject_id = '{subject}' AND a.email_verified AND a.password_hash IS NULL \
         AND a.given_name = 'Anna' AND a.privacy_accepted_at IS NOT NULL"
    );
    assert_eq!(
        s.db.count(&row).await,
        1,
        "verified, no password, its S-360 contact asked for"
    );
    assert_eq!(
        s.db.count(&format!(
            "SELECT count(*) AS n FROM federated_identities WHERE subject_id = '{subject}' \
             AND provider_id = 'google' AND upstream_subject = 'google-{ANNA}'"
        ))
        .await,
        1
    );

    // Next time, in another browser: straight in, to the same account.
    let mut other = Jar::default();
    let answer = through_google(s, &mut other, &return_to, ANNA, true).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER, "a linked identity signs in");
    assert_eq!(location(&answer), return_to);
    let session = other.get("__Host-session").expect("signed in").to_owned();
    let claims = shop_id_token(s, &format!("{}{return_to}", s.gateway.base_url), &session).await;
    assert_eq!(
        (claims["sub"].as_str(), &claims["amr"]),
        (Some(subject.as_str()), &serde_json::json!(["fed"]))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_with_another_state_is_refused_and_spends_the_request() {
    let g = social("normal").await;
    let s = &g.s;
    let mut browser = Jar::default();
    let authorize = start(s, &mut browser, "/").await;
    let callback = at_upstream(s, &authorize, ANNA, true, false).await;
    let state = url::Url::parse(&callback)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("state");
    let forged = callback.replace(&format!("state={state}"), "state=forged-state-of-an-attacker");
    assert_ne!(forged, callback);
    let answer = get(&s.client, &mut browser.clone(), &forged).await;
    refused(answer, StatusCode::BAD_REQUEST, "expired or was already used").await;
    // The request was spent by that attempt: the genuine answer finds nothing either.
    let answer = get(&s.client, &mut browser, &callback).await;
    refused(answer, StatusCode::BAD_REQUEST, "expired or was already used").await;
    assert_eq!(s.db.count("SELECT count(*) AS n FROM accounts").await, 1, "only Jean");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_callback_and_one_in_another_browser_are_refused() {
    let g = social("normal").await;
    let s = &g.s;
    // A callback to a browser that did not start the sign-in (login CSRF): refused.
    let mut browser = Jar::default();
    let authorize = start(s, &mut browser, "/").await;
    let callback = at_upstream(s, &authorize, ANNA, true, false).await;
    let mut attacker = Jar::default();
    attacker.0.insert("__Host-federation".into(), "x".repeat(43));
    let answer = get(&s.client, &mut attacker, &callback).await;
    refused(answer, StatusCode::BAD_REQUEST, "expired or was already used").await;
    let answer = get(&s.client, &mut Jar::default(), &callback).await;
    refused(answer, StatusCode::BAD_REQUEST, "expired or was already used").await;

    let before_replay = browser.clone();
    let answer = get(&s.client, &mut browser, &callback).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER, "the genuine callback goes on");
    let mut replaying = before_replay;
    let answer = get(&s.client, &mut replaying, &callback).await;
    refused(answer, StatusCode::BAD_REQUEST, "expired or was already used").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_refusal_and_an_upstream_outage_are_friendly_pages() {
    let g = social("normal").await;
    let s = &g.s;
    let mut browser = Jar::default();
    let authorize = start(s, &mut browser, "/profile").await;
    let callback = at_upstream(s, &authorize, ANNA, true, true).await;
    assert!(callback.contains("error=access_denied"), "{callback}");
    let answer = get(&s.client, &mut browser, &callback).await;
    let page = refused(answer, StatusCode::BAD_REQUEST, "was cancelled").await;
    assert!(page.contains("href=\"/login?return_to=%2Fprofile\""), "{page}");

    // A provider nobody answers for: 503 with Retry-After, never a 500.
    let port = tests::sim::free_port();
    let file = social_support::upstreams_file(&format!("http://127.0.0.1:{port}"));
    let down = setup_with(&["--upstreams-file", &file]).await;
    let answer = down
        .client
        .get(format!("{}/login/social/google?return_to=%2F", down.gateway.base_url))
        .send()
        .await
        .expect("answers");
    assert!(answer.headers().contains_key("retry-after"));
    refused(answer, StatusCode::SERVICE_UNAVAILABLE, "could not reach Google").await;
}

/// Signs in through a misbehaving upstream: refused with 401, and nothing created.
async fn refused_id_token(mode: &str) {
    let g = social(mode).await;
    let s = &g.s;
    let mut browser = Jar::default();
    let answer = through_google(s, &mut browser, "/", ANNA, true).await;
    refused(answer, StatusCode::UNAUTHORIZED, "could not be verified").await;
    assert_eq!(
        s.db.count("SELECT count(*) AS n FROM federation_requests WHERE stage <> 'upstream'")
            .await,
        0
    );
    assert_eq!(s.db.count("SELECT count(*) AS n FROM federated_identities").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_id_token_with_a_bad_signature_is_refused() {
    refused_id_token("bad-signature").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_id_token_for_another_audience_is_refused() {
    refused_id_token("wrong-audience").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_post_answer_as_apple_sends_it_is_taken_once() {
    let g = social_support::social_with("normal", "response_mode = \"form_post\"\n").await;
    let s = &g.s;
    let mut browser = Jar::default();
    let authorize = start(s, &mut browser, "/").await;
    assert!(authorize.contains("response_mode=form_post"), "{authorize}");
    let (callback, fields) = social_support::at_upstream_posting(s, &authorize, ANNA).await;
    assert!(
        !callback.contains('?'),
        "the answer is posted, not in the URL: {callback}"
    );
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert!(fields.iter().any(|(k, _)| *k == "code") && fields.iter().any(|(k, _)| *k == "state"));
    let mut replaying = browser.clone();
    let answer = social_support::post(&s.client, &mut browser, &callback, &fields).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER, "the posted answer goes on");
    assert_eq!(location(&answer), "/login/social/signup");
    let answer = social_support::post(&s.client, &mut replaying, &callback, &fields).await;
    refused(answer, StatusCode::BAD_REQUEST, "expired or was already used").await;
}
