//! A sign-up account is attached to the contact S-360 links to its subject id when the contact
//! arrives by webhook (`sso_link`): `shop` mode leaves the row `waiting` until the simulated
//! shop creates the contact at the fan's first SSO sign-in; redelivering the webhook, or
//! delivering versions out of order, changes nothing more; an account that has a contact is
//! never moved, and a contact another account holds is not given a second one (`ambiguous`).

use std::time::Duration;

use serde_json::{Value, json};
use tests::{
    TestBroker, TestDatabase, eventually, metric, post_contacts, sample_contact, sim::spawn_sim_posting_to,
    spawn_ingest, spawn_worker_with,
};

use crate::signup_support::*;

async fn run_webhook(sim: &secutix_sim::SimHandle) {
    let response = reqwest::Client::new()
        .post(format!("{}/admin/webhook/run", sim.base_url()))
        .send()
        .await
        .expect("admin answers");
    assert!(response.status().is_success());
}

/// The active contact events the worker applied so far, written or found stale (a redelivery
/// of the same version has a newer event id, and is written again identically).
async fn applied(worker_url: &str) -> u64 {
    metric(worker_url, r#"sync_worker_contact_events_total{outcome="active"}"#).await
        + metric(worker_url, r#"sync_worker_contact_events_total{outcome="stale"}"#).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shop_mode_waits_then_the_contact_the_shop_creates_arrives_by_webhook_and_attaches() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &["--dedup-window", "0"]).await;
    // The webhook runs when the test says.
    let sim = spawn_sim_posting_to(&format!("{}/webhooks/secutix/contacts", ingest.base_url), |c| {
        c.webhook.webhook_interval = Duration::from_secs(3600);
    })
    .await;
    let ana = signup_account(&db, "ana.alt@example.org", ("Ana", "Alt"), true).await;
    let flags = worker_flags(&sim, "shop");
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let worker = spawn_worker_with(&broker.prefix, &db.url, &flags).await;
    let row = settled(&db, ana, "waiting").await;
    assert_eq!((row.attached_by, row.contact_number), (None, None));
    assert!(sim.state().store.list().is_empty(), "shop mode creates nothing");

    // The fan's first SSO sign-in at the shop: a contact from the userinfo claims, linked.
    let userinfo = json!({ "sub": ana.to_string(), "email": "ana.alt@example.org",
                           "given_name": "Ana", "family_name": "Alt", "locale": "fr" });
    let record = match secutix_sim::shop::link::link(&sim.state().store, "secutix-bridge", &ana.to_string(), &userinfo)
        .expect("the shop links")
    {
        secutix_sim::shop::link::Linked::Created(record) => record,
        other => panic!("expected a new contact, got {other:?}"),
    };
    run_webhook(&sim).await;
    let row = settled(&db, ana, "attached").await;
    let number = record.contact_number.clone();
    assert_eq!(
        (row.attached_by.as_deref(), row.contact_number.as_deref()),
        (Some("sso_link"), Some(number.as_str()))
    );
    let attached = account(&db, ana).await;
    assert_eq!(
        (attached.0.as_deref(), attached.1.as_deref()),
        (Some(number.as_str()), Some(number.as_str()))
    );
    assert_eq!(
        metric(
            &worker.base_url,
            r#"sync_worker_accounts_attached_total{by="sso_link"}"#
        )
        .await,
        1
    );

    // S-360 sends the contact again (and an older version of it): nothing changes.
    let latest = sim.state().store.get(&number).expect("in S-360").contact;
    let mut older = latest.clone();
    older["lastModificationDate"] = json!("2020-01-01T00:00:00.000+00:00");
    let before = applied(&worker.base_url).await;
    post_contacts(&ingest.base_url, &latest).await;
    post_contacts(&ingest.base_url, &json!([older, latest])).await;
    eventually(Duration::from_secs(20), "the redeliveries applied", || async {
        (applied(&worker.base_url).await >= before + 3).then_some(())
    })
    .await;
    assert_eq!(creation(&db, ana).await, row, "the row is untouched");
    assert_eq!(account(&db, ana).await, attached, "the account is untouched");
    assert_eq!(
        metric(
            &worker.base_url,
            r#"sync_worker_accounts_attached_total{by="sso_link"}"#
        )
        .await,
        1
    );
}

/// A webhook contact (the sample contact) linked by S-360 to `subject`, with its own e-mail.
fn linked_contact(number: &str, subject: &str, version: &str) -> Value {
    let mut contact = sample_contact(number);
    contact["individualContact"]["email"] = json!(format!("{number}@example.org"));
    contact["lastModificationDate"] = json!(version);
    contact["socialConnections"] = json!([{ "provider": "secutix-bridge", "providerUserReference": subject }]);
    contact
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_with_a_contact_is_never_moved_and_a_held_contact_gets_no_second_account() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &["--dedup-window", "0"]).await;
    // No contact API: the SSO links of webhook contacts attach on their own.
    let worker = spawn_worker_with(&broker.prefix, &db.url, &[]).await;

    // Already attached: another contact naming it leaves it where it is.
    let settled_fan = signup_account(&db, "settled@example.org", ("Sam", "Set"), false).await;
    db.execute(&format!(
        "UPDATE accounts SET contact_number = 'A001', origin_contact_number = 'A001' WHERE subject_id = '{settled_fan}'"
    ))
    .await;
    db.execute(&format!(
        "UPDATE contact_creations SET state = 'attached', attached_by = 'email_match', contact_number = 'A001' \
         WHERE subject_id = '{settled_fan}'"
    ))
    .await;
    // An imported account holds B001; a sign-up account S-360 also links B001 to stays without.
    let holder = db.create_account("B001", "holder@example.org").await;
    let late = signup_account(&db, "late@example.org", ("Lea", "Late"), false).await;
    // A third one is linked by two versions delivered newest first.
    let fresh = signup_account(&db, "fresh@example.org", ("Fay", "Fresh"), false).await;

    let settled_before = account(&db, settled_fan).await;
    post_contacts(
        &ingest.base_url,
        &json!([
            linked_contact("A002", &settled_fan.to_string(), "2026-01-02T00:00:00.000+00:00"),
            linked_contact("B001", &late.to_string(), "2026-01-02T00:00:00.000+00:00"),
            linked_contact("C001", &fresh.to_string(), "2026-01-03T00:00:00.000+00:00"),
        ]),
    )
    .await;
    post_contacts(
        &ingest.base_url,
        &linked_contact("C001", &fresh.to_string(), "2026-01-02T00:00:00.000+00:00"),
    )
    .await;
    let row = settled(&db, late, "ambiguous").await;
    assert_eq!(
        row.last_error.as_deref(),
        Some("contact B001 is already the contact of another account")
    );
    let row = settled(&db, fresh, "attached").await;
    assert_eq!(
        (row.attached_by.as_deref(), row.contact_number.as_deref()),
        (Some("sso_link"), Some("C001"))
    );
    eventually(Duration::from_secs(20), "the four events applied", || async {
        (applied(&worker.base_url).await >= 4).then_some(())
    })
    .await;

    assert_eq!(account(&db, settled_fan).await, settled_before, "never moved");
    assert_eq!(creation(&db, settled_fan).await.contact_number.as_deref(), Some("A001"));
    assert_eq!(account(&db, late).await.0, None);
    assert_eq!(account(&db, fresh).await.0.as_deref(), Some("C001"));
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM accounts WHERE subject_id = '{holder}' AND contact_number = 'B001'"
        ))
        .await,
        1,
        "the holder keeps its contact"
    );

    // Redelivered: the ambiguity is not recorded again, nothing moves.
    let late_row = creation(&db, late).await;
    post_contacts(
        &ingest.base_url,
        &linked_contact("B001", &late.to_string(), "2026-01-02T00:00:00.000+00:00"),
    )
    .await;
    eventually(Duration::from_secs(20), "the redelivery applied", || async {
        (applied(&worker.base_url).await >= 5).then_some(())
    })
    .await;
    assert_eq!(creation(&db, late).await, late_row);
    assert_eq!(
        metric(
            &worker.base_url,
            r#"sync_worker_contact_creations_total{outcome="ambiguous"}"#
        )
        .await,
        1
    );
}
