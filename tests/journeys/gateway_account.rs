//! "My account": the sessions a fan sees, "sign out everywhere", "download my data" and
//! "delete my account", each ending sessions at the relying parties through back-channel
//! logouts; the unhappy paths (no session, no CSRF token, a wrong password, no confirmation,
//! too many wrong passwords) change nothing.

use reqwest::StatusCode;
use serde_json::Value;
use tests::relying_party::LogoutEndpoint;

use crate::{
    gateway_support::*,
    oidc_logout::{assert_signed_out, setup_logout, verified},
};

/// The account page with the session; returns its HTML and the CSRF cookie and token.
async fn account_page(s: &Setup, session: &str) -> (String, String, String) {
    let page = s
        .client
        .get(format!("{}/account", s.gateway.base_url))
        .header("cookie", format!("__Host-session={session}"))
        .send()
        .await
        .expect("answers");
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let csrf_cookie = cookie_value(&cookie(&page, "__Host-csrf").expect("csrf cookie"));
    let html = page.text().await.expect("html");
    let csrf = hidden(&html, "csrf");
    (html, csrf_cookie, csrf)
}

async fn post(s: &Setup, path: &str, session: &str, csrf_cookie: &str, form: &[(&str, &str)]) -> reqwest::Response {
    s.client
        .post(format!("{}{path}", s.gateway.base_url))
        .header("cookie", format!("__Host-session={session}; __Host-csrf={csrf_cookie}"))
        .form(form)
        .send()
        .await
        .expect("answers")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_page_lists_sessions_and_exports_everything_held() {
    let s = setup().await;
    let anonymous = s
        .client
        .get(format!("{}/account", s.gateway.base_url))
        .send()
        .await
        .expect("answers");
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert_eq!(anonymous.headers()["location"], "/login?return_to=%2Faccount");

    let (phone, _) = shop_tokens(&s).await;
    let (laptop, _) = shop_tokens(&s).await;
    let (html, _, _) = account_page(&s, &laptop).await;
    assert_eq!(html.matches("<tr><td>").count(), 2, "two devices: {html}");
    assert_eq!(html.matches("this browser").count(), 1, "{html}");

    let export = s
        .client
        .get(format!("{}/account/export", s.gateway.base_url))
        .header("cookie", format!("__Host-session={phone}"))
        .send()
        .await
        .expect("answers");
    assert_eq!(export.status(), 200);
    assert!(
        export.headers()["content-disposition"]
            .to_str()
            .expect("header")
            .contains("attachment"),
        "a download"
    );
    let text = export.text().await.expect("body");
    assert!(!text.contains("$argon2"), "never the password hash");
    let data: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(data["account"]["login_email"], "jean.dupont@example.org");
    assert_eq!(data["account"]["password_set"], true);
    assert_eq!(data["contact"]["first_name"], "Jean");
    assert_eq!(data["contact"]["phone"], "+41791234567");
    assert_eq!(data["sessions"].as_array().expect("sessions").len(), 2);
    let tokens = data["refresh_tokens"].as_array().expect("refresh tokens");
    assert!(tokens.iter().all(|t| t["client_id"] == "shop"), "{tokens:?}");
    assert!(!text.contains("token_hash"), "never a token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_everywhere_ends_every_session_at_every_relying_party() {
    let endpoint = LogoutEndpoint::start(0);
    let s = setup_logout(&endpoint).await;
    let (phone, _) = shop_tokens(&s).await;
    let (laptop, _) = shop_tokens(&s).await;
    let (_, csrf_cookie, csrf) = account_page(&s, &laptop).await;

    let forged = post(
        &s,
        "/account/sessions/end",
        &laptop,
        &csrf_cookie,
        &[("csrf", "forged")],
    )
    .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let (still, _, _) = account_page(&s, &phone).await;
    assert_eq!(still.matches("<tr><td>").count(), 2, "nothing ended");

    let ended = post(&s, "/account/sessions/end", &laptop, &csrf_cookie, &[("csrf", &csrf)]).await;
    assert_eq!(ended.status(), 200);
    let cleared = cookie(&ended, "__Host-session").expect("cookie removed");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert!(ended.text().await.expect("html").contains("every device"));
    for session in [&phone, &laptop] {
        assert_signed_out(&s, session).await;
    }
    let logouts = verified(&s, &endpoint, 2).await;
    let mut sids: Vec<&str> = logouts.iter().map(|c| c["sid"].as_str().expect("sid")).collect();
    sids.dedup();
    assert_eq!(sids.len(), 2, "one logout per session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_account_erases_it_and_records_the_request() {
    let endpoint = LogoutEndpoint::start(0);
    let s = setup_logout(&endpoint).await;
    let (session, tokens) = shop_tokens(&s).await;
    let access = tokens["access_token"].as_str().expect("access token").to_owned();
    let (_, csrf_cookie, csrf) = account_page(&s, &session).await;

    let unconfirmed = post(
        &s,
        "/account/delete",
        &session,
        &csrf_cookie,
        &[("csrf", &csrf), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(unconfirmed.status(), StatusCode::BAD_REQUEST);
    assert!(unconfirmed.text().await.expect("html").contains("tick the box"));
    let wrong = post(
        &s,
        "/account/delete",
        &session,
        &csrf_cookie,
        &[("csrf", &csrf), ("password", "not-the-password"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    let html = wrong.text().await.expect("html");
    assert!(
        html.contains("role=\"alert\"") && html.contains("password is not right"),
        "{html}"
    );
    assert_eq!(
        s.db.count("SELECT count(*) AS n FROM accounts").await,
        1,
        "nothing deleted"
    );

    let deleted = post(
        &s,
        "/account/delete",
        &session,
        &csrf_cookie,
        &[("csrf", &csrf), ("password", PASSWORD), ("confirm", "yes")],
    )
    .await;
    assert_eq!(deleted.status(), 200);
    assert!(deleted.text().await.expect("html").contains("Your account is deleted"));
    assert_eq!(s.db.count("SELECT count(*) AS n FROM accounts").await, 0);
    assert_eq!(s.db.count("SELECT count(*) AS n FROM sessions").await, 0);
    assert_eq!(s.db.count("SELECT count(*) AS n FROM refresh_tokens").await, 0);
    assert_eq!(
        s.db.count("SELECT count(*) AS n FROM contacts WHERE contact_number = '0001234567'")
            .await,
        1,
        "the contact mirror stays: S-360 is its master"
    );
    assert_eq!(
        s.db.count(
            "SELECT count(*) AS n FROM erasure_requests WHERE contact_number = '0001234567' \
             AND completed_at IS NULL AND pending ? 'sso_link' AND NOT erased::text ILIKE '%@%'"
        )
        .await,
        1,
        "the request is recorded for the organisation, without the address"
    );
    assert_signed_out(&s, &session).await;
    assert_eq!(verified(&s, &endpoint, 1).await.len(), 1, "the shop heard it");
    let userinfo = s
        .client
        .get(format!("{}/userinfo", s.gateway.base_url))
        .bearer_auth(&access)
        .send()
        .await
        .expect("answers");
    assert_eq!(
        userinfo.status(),
        StatusCode::UNAUTHORIZED,
        "the access token names no one now"
    );
    let signing_in = sign_in(&s, &authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]), PASSWORD).await;
    assert!(signing_in.is_err(), "the password is gone with the account");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_at_deletion_lock_it_like_a_sign_in() {
    let s = setup().await;
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    let session = sign_in(&s, &authorize, PASSWORD).await.expect("signed in");
    let (_, csrf_cookie, csrf) = account_page(&s, &session).await;
    let form = [("csrf", csrf.as_str()), ("password", "guess"), ("confirm", "yes")];
    for _ in 0..store::auth::throttle::FREE_ATTEMPTS {
        let wrong = post(&s, "/account/delete", &session, &csrf_cookie, &form).await;
        assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    }
    let right = [("csrf", csrf.as_str()), ("password", PASSWORD), ("confirm", "yes")];
    let locked = post(&s, "/account/delete", &session, &csrf_cookie, &right).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.headers().contains_key("retry-after"));
    assert_eq!(
        s.db.count("SELECT count(*) AS n FROM accounts").await,
        1,
        "not even the right password passes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_is_mailed_to_the_data_protection_address_without_the_fans_address() {
    let broker = tests::TestBroker::create().await;
    let smtp = tests::SmtpServer::start().await;
    let s = setup_with(&[
        "--amqp-name-prefix",
        &broker.prefix,
        "--data-protection-email",
        "privacy@club.example",
    ])
    .await;
    let _worker = tests::spawn_worker_with(&broker.prefix, &s.db.url, &["--smtp-url", &smtp.url()]).await;
    let session = sign_in(&s, &authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]), PASSWORD)
        .await
        .expect("signed in");
    let (_, csrf_cookie, csrf) = account_page(&s, &session).await;
    let deleted = post(
        &s,
        "/account/delete",
        &session,
        &csrf_cookie,
        &[("csrf", &csrf), ("password", PASSWORD), ("confirm", "yes")],
    )
    .await;
    assert_eq!(deleted.status(), 200);
    let mail = tests::eventually(
        std::time::Duration::from_secs(20),
        "the erasure request mail",
        || async { smtp.messages().into_iter().find(|m| m.contains("privacy@club.example")) },
    )
    .await;
    assert!(
        mail.contains("Erasure request 1,") && mail.contains(&s.subject.to_string()),
        "{mail}"
    );
    assert!(!mail.contains("jean.dupont@example.org"), "never the fan's address");
}
