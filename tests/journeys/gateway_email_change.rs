//! A fan changes their login e-mail: the new address is proven by a mailed link first, the
//! change is written back towards S-360 (the contact mirror and the write-back queue), the old
//! address gets a notice, and an address another account signs in with is never taken over.

use std::time::Duration;

use reqwest::StatusCode;
use tests::{SmtpServer, TestBroker, eventually, spawn_worker_with};

use crate::gateway_support::*;

const NEW_EMAIL: &str = "jean.new@example.net";

struct Fan<'a> {
    s: &'a Setup,
    session: String,
}

impl Fan<'_> {
    /// Submits the change form; the answer's status and page.
    async fn ask(&self, email: &str, password: &str) -> (StatusCode, String) {
        let page = self
            .s
            .client
            .get(format!("{}/account/email", self.s.gateway.base_url))
            .header("cookie", format!("__Host-session={}", self.session))
            .send()
            .await
            .expect("answers");
        assert_eq!(page.status(), 200, "the change page for a signed-in fan");
        let csrf = cookie_value(&cookie(&page, "__Host-csrf").expect("csrf cookie"));
        let html = page.text().await.expect("html");
        assert!(html.contains("jean.dupont@example.org"), "the current address is shown");
        let answer = self
            .s
            .client
            .post(format!("{}/account/email", self.s.gateway.base_url))
            .header("cookie", format!("__Host-csrf={csrf}; __Host-session={}", self.session))
            .form(&[
                ("csrf", hidden(&html, "csrf")),
                ("email", email.to_owned()),
                ("password", password.to_owned()),
            ])
            .send()
            .await
            .expect("answers");
        (answer.status(), answer.text().await.expect("html"))
    }
}

/// Opens an e-mail link and presses its button.
async fn use_link(s: &Setup, link: &str) -> (StatusCode, String) {
    let local = link.replace("http://127.0.0.1:8080", &s.gateway.base_url);
    let page = s.client.get(&local).send().await.expect("answers");
    if page.status() != StatusCode::OK {
        return (page.status(), page.text().await.expect("html"));
    }
    let csrf = cookie_value(&cookie(&page, "__Host-csrf").expect("csrf cookie"));
    let html = page.text().await.expect("html");
    let answer = s
        .client
        .post(format!("{}/account/email/verify", s.gateway.base_url))
        .header("cookie", format!("__Host-csrf={csrf}"))
        .form(&[("csrf", hidden(&html, "csrf")), ("token", hidden(&html, "token"))])
        .send()
        .await
        .expect("answers");
    (answer.status(), answer.text().await.expect("html"))
}

fn link_in(mail: &str) -> String {
    let start = mail
        .find("http://127.0.0.1:8080/account/email/verify?token=")
        .expect("an e-mail link");
    mail[start..].split_whitespace().next().expect("link").to_owned()
}

async fn signed_in_fan(s: &Setup) -> Fan<'_> {
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    let session = sign_in(s, &authorize, PASSWORD).await.expect("signed in");
    Fan { s, session }
}

async fn another_account(s: &Setup, email: &str) {
    s.db.execute(
        "INSERT INTO contacts (contact_number, first_name, raw, version_time, version_event_id, source) \
         VALUES ('0007654321', 'Other', '{}', now(), gen_random_uuid(), 'webhook')",
    )
    .await;
    s.db.create_account("0007654321", email).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_address_is_proven_then_written_back_and_the_old_one_is_told() {
    let broker = TestBroker::create().await;
    let smtp = SmtpServer::start().await;
    let s = setup_with(&["--amqp-name-prefix", &broker.prefix]).await;
    let _worker = spawn_worker_with(&broker.prefix, &s.db.url, &["--smtp-url", &smtp.url()]).await;
    let fan = signed_in_fan(&s).await;

    let (status, page) = fan.ask(NEW_EMAIL, "not the password").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"password-error\""), "{page}");
    let (status, page) = fan.ask("JEAN.DUPONT@example.org", PASSWORD).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the same address: {page}");

    let (status, _) = fan.ask(NEW_EMAIL, PASSWORD).await;
    assert_eq!(status, 200);
    let mail = eventually(Duration::from_secs(20), "the link to the new address", || async {
        smtp.messages().into_iter().find(|m| m.contains(NEW_EMAIL))
    })
    .await;
    let link = link_in(&mail);
    assert_eq!(
        s.db.count("SELECT count(*) AS n FROM accounts WHERE login_email = 'jean.dupont@example.org'")
            .await,
        1,
        "nothing changes before the link is used"
    );

    let (status, page) = use_link(&s, &link).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        s.db.count(&format!(
            "SELECT count(*) AS n FROM accounts WHERE login_email = '{NEW_EMAIL}' AND pending_email IS NULL \
             AND email_verified"
        ))
        .await,
        1
    );
    eventually(
        Duration::from_secs(20),
        "the mirror and the write-back queue",
        || async {
            let mirrored =
                s.db.count(&format!(
                    "SELECT count(*) AS n FROM contacts WHERE contact_number = '0001234567' AND email = '{NEW_EMAIL}'"
                ))
                .await;
            let queued =
                s.db.count(&format!(
                    "SELECT count(*) AS n FROM writeback_outbox WHERE contact_number = '0001234567' \
                 AND fields::text LIKE '%{NEW_EMAIL}%'"
                ))
                .await;
            (mirrored == 1 && queued == 1).then_some(())
        },
    )
    .await;
    eventually(Duration::from_secs(20), "the notice to the old address", || async {
        smtp.messages()
            .into_iter()
            .find(|m| m.contains("To: jean.dupont@example.org") && m.contains("remplac"))
    })
    .await;
    assert_eq!(use_link(&s, &link).await.0, StatusCode::GONE, "the link works once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_accounts_address_is_never_taken_and_a_clash_meanwhile_is_reported() {
    let broker = TestBroker::create().await;
    let smtp = SmtpServer::start().await;
    let s = setup_with(&["--amqp-name-prefix", &broker.prefix]).await;
    let _worker = spawn_worker_with(&broker.prefix, &s.db.url, &["--smtp-url", &smtp.url()]).await;
    another_account(&s, "taken@example.net").await;
    let fan = signed_in_fan(&s).await;

    let (taken_status, taken_page) = fan.ask("Taken@example.net", PASSWORD).await;
    let (free_status, free_page) = fan.ask(NEW_EMAIL, PASSWORD).await;
    assert_eq!(
        (taken_status, &taken_page),
        (free_status, &free_page),
        "the same answer"
    );
    let mail = eventually(Duration::from_secs(20), "the link to the free address", || async {
        smtp.messages().into_iter().find(|m| m.contains(NEW_EMAIL))
    })
    .await;
    assert!(
        !smtp.messages().iter().any(|m| m.contains("taken@example.net")),
        "no link to another account's address"
    );

    // The free address becomes another account's before the link is used.
    s.db.execute(&format!(
        "UPDATE accounts SET login_email = '{NEW_EMAIL}' WHERE login_email = 'taken@example.net'"
    ))
    .await;
    let (status, page) = use_link(&s, &link_in(&mail)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert_eq!(
        s.db.count(
            "SELECT count(*) AS n FROM accounts WHERE login_email = 'jean.dupont@example.org' \
                    AND pending_email IS NULL"
        )
        .await,
        1,
        "the fan's account is as it was"
    );
    assert_eq!(
        s.db.count(&format!(
            "SELECT count(*) AS n FROM accounts WHERE login_email = '{NEW_EMAIL}' AND contact_number = '0007654321'"
        ))
        .await,
        1,
        "so is the other"
    );
    assert_eq!(
        s.db.count(&format!(
            "SELECT count(*) AS n FROM account_issues WHERE kind = 'email_clash' AND subject_id = '{}' \
             AND details->>'changed_by' = 'fan' AND details::text NOT LIKE '%@%'",
            s.subject
        ))
        .await,
        1,
        "reported for the support desk, without addresses"
    );
}
