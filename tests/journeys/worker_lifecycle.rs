//! Merges and anonymisations through the real pipeline: webhook → RabbitMQ → worker.

use std::time::Duration;

use tests::{
    TestBroker, TestDatabase,
    events::{anonymise, merge, modified_at, update},
    eventually, post_contacts, spawn_ingest, spawn_worker,
};

async fn wait_for_state(db: &TestDatabase, number: &str, state: &str) -> sync_worker::apply::ContactRow {
    eventually(Duration::from_secs(10), &format!("{number} {state}"), || async {
        db.contact(number).await.filter(|c| c.state == state)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymisation_erases_everything_and_nothing_comes_back() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &[]).await;
    let _worker = spawn_worker(&broker.prefix, &db.url).await;

    post_contacts(
        &ingest.base_url,
        &modified_at(update("A1", "Jean"), "2025-01-01T00:00:00Z"),
    )
    .await;
    wait_for_state(&db, "A1", "active").await;
    let subject = db.create_account("A1", "jean.dupont@example.org").await;
    db.execute(&format!(
        "INSERT INTO sessions (id, subject_id, expires_at) VALUES ('\\x01', '{subject}', now() + interval '1 hour')"
    ))
    .await;
    db.execute(&format!(
        "INSERT INTO refresh_tokens (token_hash, family_id, subject_id, client_id, expires_at) \
         VALUES ('\\x02', gen_random_uuid(), '{subject}', 'shop', now() + interval '1 day')"
    ))
    .await;
    db.execute("INSERT INTO mail_outbox (contact_number, recipient, template) VALUES ('A1', 'jean.dupont@example.org', 'set-password')")
        .await;
    db.execute(
        "INSERT INTO writeback_outbox (command_id, contact_number, fields) \
         VALUES (gen_random_uuid(), 'A1', '{\"cellPhoneNumber\": \"+41790000001\"}')",
    )
    .await;
    db.execute("INSERT INTO import_runs (source_key, format) VALUES ('f', 'jsonl')")
        .await;
    db.execute(
        "INSERT INTO import_issues (run_id, contact_number, reason, email_group) \
         SELECT id, 'A1', 'duplicate_email', 'jean.dupont@example.org' FROM import_runs",
    )
    .await;

    post_contacts(&ingest.base_url, &modified_at(anonymise("A1"), "2025-02-01T00:00:00Z")).await;
    let row = wait_for_state(&db, "A1", "anonymised").await;
    assert_eq!(
        (row.first_name, row.last_name, row.email, row.phone, row.birth_date),
        (None, None, None, None, None)
    );
    assert_eq!(row.addresses[0]["town"], "Lausanne", "S-360 keeps the town");
    assert_eq!(row.addresses[0]["zip_code"], "1003");
    assert_eq!(row.addresses[0]["country_code"], "CH");
    assert_eq!(row.addresses[0]["lines"], serde_json::json!([]));
    for personal in ["Jean", "Dupont", "jean.dupont", "+41", "1985", "Rue du Lac"] {
        assert!(!row.raw.to_string().contains(personal), "{personal} kept in raw");
    }
    assert_eq!(db.accounts().await, vec![], "the account and its credentials are gone");
    assert_eq!(db.count("SELECT count(*) AS n FROM sessions").await, 0);
    assert_eq!(db.count("SELECT count(*) AS n FROM refresh_tokens").await, 0);
    assert_eq!(db.count("SELECT count(*) AS n FROM mail_outbox").await, 0);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM writeback_outbox").await,
        0,
        "nothing is written back"
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM import_issues").await, 0);
    let audit = db.count("SELECT count(*) AS n FROM contact_audit WHERE contact_number = 'A1' AND action = 'anonymised' AND details::text NOT LIKE '%jean%'").await;
    assert_eq!(audit, 1);

    // A later update, even with a newer version, never brings data back.
    post_contacts(
        &ingest.base_url,
        &modified_at(update("A1", "Jean"), "2025-03-01T00:00:00Z"),
    )
    .await;
    post_contacts(&ingest.base_url, &update("A2", "Marker")).await;
    wait_for_state(&db, "A2", "active").await;
    let after = db.contact("A1").await.expect("row");
    assert_eq!(after.state, "anonymised");
    assert_eq!(after.first_name, None);
    assert!(!after.raw.to_string().contains("Jean"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_moves_the_account_to_the_head_and_revokes_sessions() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &[]).await;
    let _worker = spawn_worker(&broker.prefix, &db.url).await;

    for number in ["M1", "H1", "M2", "H2"] {
        post_contacts(
            &ingest.base_url,
            &modified_at(update(number, number), "2025-01-01T00:00:00Z"),
        )
        .await;
        wait_for_state(&db, number, "active").await;
    }
    let absorbed = db.create_account("M1", "m1@example.org").await;
    db.execute(&format!(
        "INSERT INTO sessions (id, subject_id, expires_at) VALUES ('\\x01', '{absorbed}', now() + interval '1 hour')"
    ))
    .await;
    // H2 has its own account: M2's is dropped instead of moved.
    let dropped = db.create_account("M2", "m2@example.org").await;
    let head_own = db.create_account("H2", "h2@example.org").await;

    post_contacts(
        &ingest.base_url,
        &modified_at(merge("M1", "H1"), "2025-02-01T00:00:00Z"),
    )
    .await;
    post_contacts(
        &ingest.base_url,
        &modified_at(merge("M2", "H2"), "2025-02-01T00:00:00Z"),
    )
    .await;
    let m1 = wait_for_state(&db, "M1", "merged").await;
    assert_eq!(m1.head_contact_number.as_deref(), Some("H1"));
    wait_for_state(&db, "M2", "merged").await;

    let accounts = db.accounts().await;
    assert!(
        accounts.contains(&(absorbed, "H1".to_owned())),
        "same subject id, now on the head: {accounts:?}"
    );
    assert!(accounts.contains(&(head_own, "H2".to_owned())), "{accounts:?}");
    assert!(!accounts.iter().any(|(s, _)| *s == dropped), "{accounts:?}");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM sessions WHERE revoked_at IS NULL")
            .await,
        0,
        "sessions revoked"
    );
    assert_eq!(db.contact("H1").await.expect("head").state, "active");
}
