//! S-360 is the master of a contact's e-mail: its change makes the login e-mail follow, with a
//! notice to the old address; an address another account signs in with is reported and taken
//! by no one; a fan's own change still on its way to S-360 is not undone by an older payload.

use tests::{
    TestDatabase,
    events::{event, update},
};

fn with_email(number: &str, email: &str) -> serde_json::Value {
    let mut payload = update(number, "Jean");
    payload["individualContact"]["email"] = email.into();
    payload
}

async fn apply(db: &TestDatabase, payload: serde_json::Value, minute: u32, id: u128) {
    let version = chrono::DateTime::parse_from_rfc3339(&format!("2026-01-01T10:{minute:02}:00Z"))
        .expect("time")
        .to_utc();
    let mut conn = db.pool.get().await.expect("connection");
    sync_worker::apply::apply_batch(&mut conn, &[event(payload, version, id)])
        .await
        .expect("applied");
}

async fn login_of(db: &TestDatabase, number: &str) -> i64 {
    db.count(&format!(
        "SELECT count(*) AS n FROM accounts WHERE contact_number = '{number}' AND login_email = 'new@example.org'"
    ))
    .await
}

#[tokio::test]
async fn the_login_follows_s360_and_the_old_address_is_told() {
    let db = TestDatabase::create().await;
    apply(&db, with_email("C1", "old@example.org"), 0, 1).await;
    db.create_account("C1", "old@example.org").await;
    apply(&db, with_email("C1", "New@Example.org"), 1, 2).await;
    assert_eq!(
        db.count("SELECT count(*) AS n FROM accounts WHERE contact_number = 'C1' AND login_email = 'New@Example.org'")
            .await,
        1,
        "the login follows"
    );
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM mail_outbox WHERE contact_number = 'C1' AND recipient = 'old@example.org' \
             AND template = 'email-changed'"
        )
        .await,
        1,
        "the old address is told"
    );
    // The same payload again, or another change of the contact, sends nothing more.
    apply(&db, with_email("C1", "new@example.org"), 2, 3).await;
    assert_eq!(
        db.count("SELECT count(*) AS n FROM mail_outbox WHERE template = 'email-changed'")
            .await,
        1
    );
}

#[tokio::test]
async fn another_accounts_address_is_reported_once_and_taken_by_no_one() {
    let db = TestDatabase::create().await;
    apply(&db, with_email("C1", "old@example.org"), 0, 1).await;
    apply(&db, with_email("C2", "new@example.org"), 0, 2).await;
    let first = db.create_account("C1", "old@example.org").await;
    db.create_account("C2", "new@example.org").await;
    apply(&db, with_email("C1", "new@example.org"), 1, 3).await;
    apply(&db, with_email("C1", "NEW@example.org"), 2, 4).await;
    assert_eq!(login_of(&db, "C1").await, 0, "the first account keeps its login");
    assert_eq!(login_of(&db, "C2").await, 1, "the other keeps its own");
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM account_issues WHERE subject_id = '{first}' AND kind = 'email_clash' \
             AND details->>'changed_by' = 's360' AND contact_number = 'C1'"
        ))
        .await,
        1,
        "reported once, however often S-360 sends it"
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM mail_outbox").await, 0, "no notice");
}

#[tokio::test]
async fn a_fans_change_on_its_way_to_s360_is_not_undone() {
    let db = TestDatabase::create().await;
    apply(&db, with_email("C1", "old@example.org"), 0, 1).await;
    db.create_account("C1", "new@example.org").await;
    db.execute(
        "INSERT INTO writeback_outbox (command_id, contact_number, fields) \
         VALUES (gen_random_uuid(), 'C1', '{\"email\": \"new@example.org\"}')",
    )
    .await;
    // S-360 sends the contact as it was before the write-back reached it.
    apply(&db, with_email("C1", "old@example.org"), 1, 2).await;
    assert_eq!(login_of(&db, "C1").await, 1, "the fan's new address stays");
    db.execute("UPDATE writeback_outbox SET state = 'done', completed_at = now()")
        .await;
    apply(&db, with_email("C1", "new@example.org"), 2, 3).await;
    assert_eq!(login_of(&db, "C1").await, 1);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM mail_outbox").await,
        0,
        "nothing to tell"
    );
}
