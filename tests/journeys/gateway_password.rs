//! Forgotten password end to end: the gateway asks the worker (over the bus) to mail a
//! single-use link, a real SMTP server receives it, the link sets a new password, and every
//! older session stops working.

use std::time::Duration;

use reqwest::StatusCode;
use tests::{SmtpServer, TestBroker, eventually, spawn_worker_with};

use crate::gateway_support::*;

pub(crate) fn link_in(mail: &str) -> String {
    let start = mail
        .find("http://127.0.0.1:8080/password/reset?token=")
        .expect("a reset link");
    mail[start..]
        .split_whitespace()
        .next()
        .expect("link")
        .trim_end_matches('=')
        .to_owned()
}

async fn forgot(s: &Setup, email: &str) -> (StatusCode, String) {
    let response = post_forgot(
        s,
        email,
        &[("host", "evil.example"), ("x-forwarded-host", "evil.example")],
    )
    .await;
    (response.status(), response.text().await.expect("text"))
}

pub(crate) async fn set_password(s: &Setup, link: &str, password: &str, repeat: &str) -> (StatusCode, String, bool) {
    let local = link.replace("http://127.0.0.1:8080", &s.gateway.base_url);
    let page = s.client.get(&local).send().await.expect("answers");
    if page.status() != StatusCode::OK {
        return (page.status(), page.text().await.unwrap_or_default(), false);
    }
    assert_eq!(
        page.headers().get("referrer-policy").and_then(|v| v.to_str().ok()),
        Some("no-referrer")
    );
    let csrf_cookie = cookie(&page, "__Host-csrf").expect("csrf cookie");
    let html = page.text().await.expect("html");
    let response = s
        .client
        .post(format!("{}/password/reset", s.gateway.base_url))
        .header("cookie", format!("__Host-csrf={}", cookie_value(&csrf_cookie)))
        .form(&[
            ("csrf", hidden(&html, "csrf")),
            ("token", hidden(&html, "token")),
            ("password", password.to_owned()),
            ("repeat", repeat.to_owned()),
        ])
        .send()
        .await
        .expect("answers");
    let signed_in = cookie(&response, "__Host-session").is_some();
    (response.status(), response.text().await.expect("text"), signed_in)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_password_is_reset_through_a_mailed_single_use_link() {
    let broker = TestBroker::create().await;
    let smtp = SmtpServer::start().await;
    let s = setup_with(&["--amqp-name-prefix", &broker.prefix]).await;
    let _worker = spawn_worker_with(&broker.prefix, &s.db.url, &["--smtp-url", &smtp.url()]).await;
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    let old_session = sign_in(&s, &authorize, PASSWORD).await.expect("signed in");

    let (known_status, known_page) = forgot(&s, "jean.dupont@example.org").await;
    let (unknown_status, unknown_page) = forgot(&s, "nobody@example.org").await;
    assert_eq!(known_status, 200);
    assert_eq!(
        (unknown_status, unknown_page.as_str()),
        (known_status, known_page.as_str()),
        "no account enumeration"
    );

    let mail = eventually(Duration::from_secs(15), "the reset mail", || async {
        smtp.messages()
            .into_iter()
            .find(|m| m.contains("jean.dupont@example.org"))
    })
    .await;
    let link = link_in(&mail);
    assert!(
        !mail.contains("evil.example"),
        "the link comes from the configured issuer, not the Host header"
    );

    let (status, _, _) = set_password(&s, &link, "short", "short").await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the password policy is enforced"
    );
    let (status, _, _) = set_password(&s, &link, "a brand new password", "a different one!!").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "both fields must match");
    let (status, page, signed_in) = set_password(&s, &link, "a brand new password", "a brand new password").await;
    assert_eq!(status, 200, "{page}");
    assert!(!signed_in, "no automatic sign-in after a reset");

    let (status, _, _) = set_password(&s, &link, "another new password", "another new password").await;
    assert_eq!(status, StatusCode::GONE, "the link works once");
    let verify = s
        .client
        .get(format!("{}/auth/verify", s.gateway.base_url))
        .header("cookie", format!("__Host-session={old_session}"))
        .send()
        .await
        .expect("answers");
    assert_eq!(verify.status(), 401, "older sessions end with the reset");
    assert_eq!(
        sign_in(&s, &authorize, PASSWORD).await,
        Err(StatusCode::UNAUTHORIZED),
        "the old password is gone"
    );
    assert!(sign_in(&s, &authorize, "a brand new password").await.is_ok());

    eventually(Duration::from_secs(15), "the change notice", || async {
        smtp.messages().into_iter().find(|m| m.contains("password was changed"))
    })
    .await;
    assert!(
        !smtp.messages().iter().any(|m| m.contains("nobody@example.org")),
        "nothing is sent to unknown addresses"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_links_expire_and_are_limited_per_hour() {
    let broker = TestBroker::create().await;
    let smtp = SmtpServer::start().await;
    let s = setup_with(&["--amqp-name-prefix", &broker.prefix]).await;
    let _worker = spawn_worker_with(&broker.prefix, &s.db.url, &["--smtp-url", &smtp.url()]).await;

    forgot(&s, "jean.dupont@example.org").await;
    let first = eventually(Duration::from_secs(15), "a first mail", || async {
        smtp.messages().first().cloned()
    })
    .await;
    forgot(&s, "jean.dupont@example.org").await;
    eventually(Duration::from_secs(15), "a second mail", || async {
        (smtp.messages().len() == 2).then_some(())
    })
    .await;
    let (status, _, _) = set_password(&s, &link_in(&first), "a brand new password", "a brand new password").await;
    assert_eq!(status, StatusCode::GONE, "a newer link retires the older one");

    forgot(&s, "jean.dupont@example.org").await;
    forgot(&s, "jean.dupont@example.org").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        s.db.count("SELECT count(*) AS n FROM password_tokens").await,
        3,
        "at most 3 links an hour"
    );

    // Of the three links mailed, only the newest opens the form.
    let mut open = Vec::new();
    for mail in smtp.messages() {
        let link = link_in(&mail);
        let local = link.replace("http://127.0.0.1:8080", &s.gateway.base_url);
        if s.client.get(&local).send().await.expect("answers").status() == StatusCode::OK {
            open.push(link);
        }
    }
    assert_eq!(open.len(), 1, "exactly one live link");
    s.db.execute("UPDATE password_tokens SET expires_at = now() - interval '1 second'")
        .await;
    let (status, _, _) = set_password(&s, &open[0], "a brand new password", "a brand new password").await;
    assert_eq!(status, StatusCode::GONE, "an expired link is refused");
}
