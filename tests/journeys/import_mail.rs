//! After an import, the running worker mails each new account its set-your-password link
//! (a real SMTP server receives it), the link opens the gateway's set-password page, the
//! password set there signs the fan in; and the queued `addLink` calls reach S-360 (the
//! simulator), each outcome recorded.

use std::time::Duration;

use serde_json::{Value, json};
use tests::{SmtpServer, TestBroker, eventually, spawn_worker_with};

use crate::{
    gateway_password::{link_in, set_password},
    gateway_support::*,
    import_support::*,
};

fn sim_contact(number: &str, email: &str, language: &str) -> Value {
    json!({
        "contactNumber": number,
        "individualContact": {
            "firstname": "Jean", "lastname": "Dupont", "email": email, "languageCode": language,
            "role": "PUBLIC", "hasLogin": true,
        },
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_fans_set_their_password_from_the_mail_and_are_linked_in_s360() {
    let broker = TestBroker::create().await;
    let smtp = SmtpServer::start().await;
    let sim = start_sim(|_| {}).await;
    let s = setup_with(&["--amqp-name-prefix", &broker.prefix]).await;
    s.db.execute("DELETE FROM accounts").await;
    s.db.execute("DELETE FROM contacts").await;
    let store = &sim.state().store;
    store
        .create(&sim_contact("0001234567", "jean.dupont@example.org", "fr"))
        .expect("created");
    store
        .create(&sim_contact("0001234568", "marie@example.org", "en"))
        .expect("created");
    // A contact already linked to another SSO id of this provider: S-360 refuses the link.
    store
        .create(&sim_contact("0001234569", "linked@example.org", "en"))
        .expect("created");
    store
        .add_link("0001234569", "secutix-bridge", "someone-else")
        .expect("linked");
    // The export file is what S-360 holds.
    let export: Vec<Value> = ["0001234567", "0001234568", "0001234569"]
        .iter()
        .map(|n| store.get(n).expect("in S-360").contact)
        .collect();
    let file = write_file("jsonl", &jsonl(&export));
    let report = import(&s.db.url, &["--file", file.to_str().expect("path")]).await;
    assert_eq!(report.counts.accounts_created, 3, "{report}");

    let mut flags = vec!["--smtp-url".to_owned(), smtp.url()];
    flags.extend(secutix_flags(&sim));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let _worker = spawn_worker_with(&broker.prefix, &s.db.url, &flags).await;

    let mail = eventually(Duration::from_secs(20), "the set-password mail", || async {
        smtp.messages()
            .into_iter()
            .find(|m| m.contains("jean.dupont@example.org"))
    })
    .await;
    assert!(
        mail.contains("Choisissez votre mot de passe"),
        "in the contact's language: {mail}"
    );
    let link = link_in(&mail);
    let (status, page, _) = set_password(&s, &link, "my first password here", "my first password here").await;
    assert_eq!(status, 200, "{page}");
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    assert!(
        sign_in(&s, &authorize, "my first password here").await.is_ok(),
        "the fan signs in with the password set from the mail"
    );
    let (status, _, _) = set_password(&s, &link, "another password!!", "another password!!").await;
    assert_eq!(status, 410, "the link works once");

    // The links: two made, one refused by S-360 and recorded as such.
    eventually(Duration::from_secs(20), "every link attempted", || async {
        let done =
            s.db.count("SELECT count(*) AS n FROM import_links WHERE state <> 'pending'")
                .await;
        (done == 3).then_some(())
    })
    .await;
    assert_eq!(
        s.db.count("SELECT count(*) AS n FROM import_links WHERE state = 'linked'")
            .await,
        2
    );
    assert_eq!(
        s.db.count(
            "SELECT count(*) AS n FROM import_links WHERE state = 'failed' \
             AND contact_number = '0001234569' AND last_error = 'rejected_409_contact_already_linked'"
        )
        .await,
        1
    );
    let subject =
        s.db.accounts()
            .await
            .into_iter()
            .find(|(_, n)| n == "0001234567")
            .expect("account")
            .0;
    let linked = store
        .find_by_sso("secutix-bridge", &subject.to_string())
        .expect("S-360 knows our subject id");
    assert_eq!(linked.contact_number, "0001234567");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_of_contact_numbers_is_imported_through_get_contact_data() {
    let db = tests::TestDatabase::create().await;
    let sim = start_sim(|_| {}).await;
    let store = &sim.state().store;
    for n in ["N001", "N002"] {
        store
            .create(&sim_contact(n, &format!("{}@example.org", n.to_lowercase()), "de"))
            .expect("created");
    }
    let numbers = write_file("txt", "N001\n\nN002\nN404\n");
    let mut flags = vec!["--numbers".to_owned(), numbers.to_str().expect("path").to_owned()];
    flags.extend(secutix_flags(&sim));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let report = import(&db.url, &flags).await;
    assert_eq!(report.counts.accounts_created, 2, "{report}");
    let missing = std::fs::read_to_string(format!("{}.missing", numbers.display())).expect("missing list");
    assert_eq!(missing, "N404\n", "numbers S-360 does not know are listed");
    let calls = sim.state().stats.api_calls.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(calls, 3);

    // Again: nothing fetched twice, nothing imported twice.
    let again = import(&db.url, &flags).await;
    assert_eq!(again.counts.accounts_created, 0, "{again}");
    assert_eq!(
        sim.state().stats.api_calls.load(std::sync::atomic::Ordering::Relaxed),
        3
    );
}
