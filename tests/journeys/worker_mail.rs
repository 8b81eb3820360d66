//! The worker's mailer: mail waiting in the outbox reaches a real SMTP server once, in the
//! recipient's language, and its single-use link is not kept after sending.

use std::time::Duration;

use tests::{SmtpServer, TestBroker, TestDatabase, eventually, spawn_worker_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_mail_is_sent_once_and_its_link_forgotten() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let smtp = SmtpServer::start().await;
    db.execute(
        "INSERT INTO mail_outbox (contact_number, recipient, template, payload) VALUES \
         ('0001', 'jean.dupont@example.org', 'password-reset', \
          '{\"link\": \"https://login.example.org/password/reset?token=secret-token-1\", \"locale\": \"fr\"}'), \
         ('0002', 'anna@example.org', 'set-password', \
          '{\"link\": \"https://login.example.org/password/set?token=secret-token-2\", \"locale\": \"de-CH\"}')",
    )
    .await;
    let _worker = spawn_worker_with(&broker.prefix, &db.url, &["--smtp-url", &smtp.url()]).await;

    let messages = eventually(Duration::from_secs(15), "two mails", || async {
        let messages = smtp.messages();
        (messages.len() == 2).then_some(messages)
    })
    .await;
    let reset = messages
        .iter()
        .find(|m| m.contains("jean.dupont@example.org"))
        .expect("the reset mail");
    assert!(reset.contains("secret-token-1"), "{reset}");
    assert!(reset.contains("valable une fois"), "in French: {reset}");
    let welcome = messages
        .iter()
        .find(|m| m.contains("anna@example.org"))
        .expect("the welcome mail");
    assert!(
        welcome.contains("secret-token-2") && welcome.contains("Passwort"),
        "in German: {welcome}"
    );
    for mail in [reset, welcome] {
        assert!(
            mail.contains("multipart/alternative") && mail.contains("text/plain") && mail.contains("text/html"),
            "plain text with an HTML alternative: {mail}"
        );
    }

    // The mailer marks its round sent when its transaction commits, just after the SMTP
    // server has the messages.
    eventually(Duration::from_secs(5), "both mails marked sent", || async {
        (db.count("SELECT count(*) AS n FROM mail_outbox WHERE sent_at IS NULL")
            .await
            == 0)
            .then_some(())
    })
    .await;
    assert_eq!(
        db.count("SELECT count(*) AS n FROM mail_outbox WHERE payload::text LIKE '%secret-token%'")
            .await,
        0,
        "links are not kept"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.messages().len(), 2, "each mail is sent once");
}
