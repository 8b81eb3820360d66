//! The worker's contact-creation task against the simulated S-360: a verified sign-up account
//! is searched by e-mail; one unlinked contact is linked and attached (`email_match`); several,
//! or one linked or owned, are `ambiguous` and nothing is linked; with none, `api` mode creates
//! the contact from the sign-up profile, links and attaches it (`api_created`), and a retry after
//! a crash between creating and attaching does not create a second one.

use serde_json::json;
use tests::{TestBroker, TestDatabase, metric, spawn_worker_with};

use crate::{import_support::start_sim, signup_support::*};

fn flags(flags: &[String]) -> Vec<&str> {
    flags.iter().map(String::as_str).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_mode_creates_one_contact_with_the_profile_links_and_attaches_it() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let sim = start_sim(|_| {}).await;
    let store = &sim.state().store;
    let nia = signup_account(&db, "nia.neu@example.org", ("Nia", "Neu"), true).await;
    // A crash after S-360 created Bo's contact and its number was stored on the row, before
    // addLink: the retry links that contact, it creates none.
    let bo = signup_account(&db, "bo@example.org", ("Bo", "Berg"), false).await;
    let created_before = store.create(&sim_contact("bo@example.org", true)).expect("created");
    db.execute(&format!(
        "UPDATE contact_creations SET contact_number = '{}', attached_by = 'api_created', attempts = 1 \
         WHERE subject_id = '{bo}'",
        created_before.contact_number
    ))
    .await;

    let worker_flags = worker_flags(&sim, "api");
    let worker = spawn_worker_with(&broker.prefix, &db.url, &flags(&worker_flags)).await;
    let row = settled(&db, nia, "attached").await;
    assert_eq!(row.attached_by.as_deref(), Some("api_created"));
    let number = row.contact_number.clone().expect("the contact number");
    let with_email = store.search_by_email("nia.neu@example.org", None);
    assert_eq!(with_email.len(), 1, "exactly one contact created");
    let contact = &with_email[0].0.contact;
    assert_eq!(with_email[0].0.contact_number, number);
    assert_eq!(
        contact["individualContact"],
        json!({ "firstname": "Nia", "lastname": "Neu", "email": "nia.neu@example.org", "languageCode": "fr",
                "role": "PUBLIC", "hasLogin": true })
    );
    assert_eq!(
        contact["authorizations"],
        json!([{ "authorizationCode": "NEWSLETTER", "allowed": true }])
    );
    assert_eq!(contact["socialConnections"], our_link(nia), "linked to the account");
    let (current, origin, _) = account(&db, nia).await;
    assert_eq!(
        (current.as_deref(), origin.as_deref()),
        (Some(number.as_str()), Some(number.as_str()))
    );
    assert!(
        db.contact(&number).await.is_some(),
        "the created contact is in the mirror"
    );

    let row = settled(&db, bo, "attached").await;
    assert_eq!(
        (row.attached_by.as_deref(), row.contact_number.as_deref()),
        (Some("api_created"), Some(created_before.contact_number.as_str()))
    );
    assert_eq!(
        store.search_by_email("bo@example.org", None).len(),
        1,
        "no second contact"
    );
    assert_eq!(links(&sim, &created_before.contact_number), our_link(bo));
    assert_eq!(store.list().len(), 2);
    assert_eq!(
        metric(
            &worker.base_url,
            r#"sync_worker_accounts_attached_total{by="api_created"}"#
        )
        .await,
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_unlinked_contact_with_the_email_is_linked_and_attached() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let sim = start_sim(|_| {}).await;
    let known = sim
        .state()
        .store
        .create(&sim_contact("Mia.Moll@Example.org", true))
        .expect("created");
    let mia = signup_account(&db, "mia.moll@example.org", ("Mia", "Moll"), false).await;

    let worker_flags = worker_flags(&sim, "api");
    let worker = spawn_worker_with(&broker.prefix, &db.url, &flags(&worker_flags)).await;
    let row = settled(&db, mia, "attached").await;
    assert_eq!(
        (row.attached_by.as_deref(), row.contact_number.as_deref()),
        (Some("email_match"), Some(known.contact_number.as_str()))
    );
    assert_eq!(links(&sim, &known.contact_number), our_link(mia), "addLink was called");
    assert_eq!(sim.state().store.list().len(), 1, "nothing created");
    assert_eq!(account(&db, mia).await.0, Some(known.contact_number.clone()));
    assert!(
        db.contact(&known.contact_number).await.is_some(),
        "read and mirrored with the attachment"
    );
    assert_eq!(
        metric(
            &worker.base_url,
            r#"sync_worker_accounts_attached_total{by="email_match"}"#
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_linked_or_owned_contacts_are_ambiguous_and_nothing_is_linked() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let sim = start_sim(|_| {}).await;
    let store = &sim.state().store;
    // Two contacts with the e-mail (one PUBLIC login per e-mail: the other is a prospect).
    let first = store.create(&sim_contact("twice@example.org", true)).expect("created");
    let second = store.create(&sim_contact("twice@example.org", false)).expect("created");
    let twice = signup_account(&db, "twice@example.org", ("Tom", "Twin"), true).await;
    // One contact, already linked to another SSO id of our provider.
    let linked = store.create(&sim_contact("linked@example.org", true)).expect("created");
    store
        .add_link(&linked.contact_number, "secutix-bridge", "someone-else")
        .expect("linked");
    let lena = signup_account(&db, "linked@example.org", ("Lena", "Link"), false).await;
    // One contact, unlinked, but already some account's contact here.
    let owned = store.create(&sim_contact("owned@example.org", true)).expect("created");
    db.execute(&format!(
        "INSERT INTO accounts (contact_number, origin_contact_number, login_email) VALUES ('{0}', '{0}', 'old-login@example.org')",
        owned.contact_number
    ))
    .await;
    let otto = signup_account(&db, "owned@example.org", ("Otto", "Own"), false).await;
    let contacts_before = store.list().len();

    let worker_flags = worker_flags(&sim, "api");
    let worker = spawn_worker_with(&broker.prefix, &db.url, &flags(&worker_flags)).await;
    let row = settled(&db, twice, "ambiguous").await;
    assert_eq!(
        row.last_error.as_deref(),
        Some(
            format!(
                "2 contacts have the e-mail: {}, {}",
                first.contact_number, second.contact_number
            )
            .as_str()
        )
    );
    let row = settled(&db, lena, "ambiguous").await;
    assert!(
        row.last_error
            .as_deref()
            .is_some_and(|e| e.contains(&linked.contact_number) && e.contains("already linked")),
        "{row:?}"
    );
    let row = settled(&db, otto, "ambiguous").await;
    assert!(
        row.last_error
            .as_deref()
            .is_some_and(|e| e.contains(&owned.contact_number) && e.contains("already has an account")),
        "{row:?}"
    );
    for subject in [twice, lena, otto] {
        let row = creation(&db, subject).await;
        assert_eq!((row.attached_by, row.contact_number), (None, None), "nothing guessed");
        assert_eq!(account(&db, subject).await.0, None);
        assert!(!row.last_error.unwrap_or_default().contains('@'), "no personal data");
    }
    for number in [&first.contact_number, &second.contact_number, &owned.contact_number] {
        assert_eq!(links(&sim, number), json!([]), "nothing linked");
    }
    assert_eq!(store.list().len(), contacts_before, "nothing created");
    assert_eq!(
        metric(
            &worker.base_url,
            r#"sync_worker_contact_creations_total{outcome="ambiguous"}"#
        )
        .await,
        3
    );
}
