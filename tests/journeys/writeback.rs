//! Profile changes queued for S-360 (`writeback_outbox`) are pushed by the running worker with
//! `saveIndividualContactData`; when S-360 changed the contact after the version the user
//! edited, S-360 wins, the mirror takes S-360's data, and the user's change stays in the row
//! marked `conflict`.

use std::time::Duration;

use serde_json::{Value, json};
use tests::{TestBroker, TestDatabase, eventually, spawn_worker_with};

use crate::import_support::*;

fn sim_contact(number: &str, email: &str) -> Value {
    json!({
        "contactNumber": number,
        "individualContact": { "firstname": "Jean", "lastname": "Dupont", "email": email, "role": "PUBLIC", "hasLogin": true },
    })
}

async fn queue_change(db: &TestDatabase, number: &str, fields: Value) {
    db.execute(&format!(
        "INSERT INTO writeback_outbox (command_id, contact_number, fields, base_modified_at) \
         SELECT gen_random_uuid(), contact_number, '{fields}'::jsonb, version_time FROM contacts \
         WHERE contact_number = '{number}'"
    ))
    .await;
}

async fn states(db: &TestDatabase) -> Vec<(String, String)> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        contact_number: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        state: String,
    }
    use diesel_async::RunQueryDsl;
    let mut conn = db.pool.get().await.expect("connection");
    diesel::sql_query("SELECT contact_number::text, state FROM writeback_outbox ORDER BY id")
        .load::<Row>(&mut conn)
        .await
        .expect("query")
        .into_iter()
        .map(|r| (r.contact_number, r.state))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_are_pushed_and_a_newer_s360_version_wins_without_losing_the_users_change() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let sim = start_sim(|_| {}).await;
    let store = &sim.state().store;
    store.create(&sim_contact("W001", "one@example.org")).expect("created");
    store.create(&sim_contact("W002", "two@example.org")).expect("created");
    store.create(&sim_contact("W004", "four@example.org")).expect("created");
    let export: Vec<Value> = ["W001", "W002", "W004"]
        .iter()
        .map(|n| store.get(n).expect("in S-360").contact)
        .collect();
    let file = write_file("jsonl", &jsonl(&export));
    import(&db.url, &["--file", file.to_str().expect("path")]).await;

    // W001: two changes edited on the same version, pushed in order, neither a conflict.
    queue_change(&db, "W001", json!({ "firstname": "Jeanne" })).await;
    queue_change(
        &db,
        "W001",
        json!({ "lastname": "Durand", "authorizations": [{ "authorizationCode": "NEWSLTR", "allowed": false }] }),
    )
    .await;
    // W002: S-360 changes the contact after the version the user edited.
    tokio::time::sleep(Duration::from_millis(5)).await;
    store
        .update(
            "W002",
            &json!({ "individualContact": { "firstname": "Back-office" } }),
            None,
        )
        .expect("updated in S-360");
    queue_change(&db, "W002", json!({ "firstname": "Mine" })).await;
    // W004: S-360 changed another field since: no conflict, both changes kept.
    store
        .update("W004", &json!({ "individualContact": { "lastname": "Changed" } }), None)
        .expect("updated in S-360");
    queue_change(&db, "W004", json!({ "firstname": "Mine too" })).await;

    let flags = secutix_flags(&sim);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let _worker = spawn_worker_with(&broker.prefix, &db.url, &flags).await;
    eventually(Duration::from_secs(20), "every change handled", || async {
        let states = states(&db).await;
        states.iter().all(|(_, s)| s != "pending").then_some(())
    })
    .await;
    assert_eq!(
        states(&db).await,
        [
            ("W001".to_owned(), "done".to_owned()),
            ("W001".to_owned(), "done".to_owned()),
            ("W002".to_owned(), "conflict".to_owned()),
            ("W004".to_owned(), "done".to_owned())
        ]
    );
    let w1 = store.get("W001").expect("in S-360").contact;
    assert_eq!(w1["individualContact"]["firstname"], "Jeanne");
    assert_eq!(w1["individualContact"]["lastname"], "Durand");
    assert_eq!(w1["authorizations"][0]["allowed"], false);
    let mirror = db.contact("W001").await.expect("mirrored");
    assert_eq!(
        (mirror.first_name.as_deref(), mirror.last_name.as_deref()),
        (Some("Jeanne"), Some("Durand"))
    );

    let w4 = store.get("W004").expect("in S-360").contact;
    assert_eq!(
        (
            &w4["individualContact"]["firstname"],
            &w4["individualContact"]["lastname"]
        ),
        (&json!("Mine too"), &json!("Changed"))
    );
    let w2 = store.get("W002").expect("in S-360").contact;
    assert_eq!(w2["individualContact"]["firstname"], "Back-office", "S-360 wins");
    let mirror = db.contact("W002").await.expect("mirrored");
    assert_eq!(
        mirror.first_name.as_deref(),
        Some("Back-office"),
        "the mirror takes S-360's data"
    );
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM writeback_outbox WHERE state = 'conflict' \
             AND fields->>'firstname' = 'Mine' AND last_error = 's360_newer'"
        )
        .await,
        1,
        "the user's change is kept and the conflict named"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_waits_while_s360_is_unreachable_and_goes_through_after() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let sim = start_sim(|_| {}).await;
    let store = &sim.state().store;
    store
        .create(&sim_contact("W003", "three@example.org"))
        .expect("created");
    let file = write_file("jsonl", &jsonl(&[store.get("W003").expect("in S-360").contact]));
    import(&db.url, &["--file", file.to_str().expect("path")]).await;
    queue_change(&db, "W003", json!({ "firstname": "Later" })).await;

    let proxy = tests::TcpProxy::start(format!("127.0.0.1:{}", sim.port()).parse().expect("address")).await;
    proxy.set_down(true);
    let mut flags = secutix_flags(&sim);
    flags[1] = format!("http://127.0.0.1:{}/tnco/backend-apis", proxy.port);
    flags.extend(["--secutix-max-attempts".to_owned(), "1".to_owned()]);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let _worker = spawn_worker_with(&broker.prefix, &db.url, &flags).await;
    eventually(Duration::from_secs(10), "a failed attempt recorded", || async {
        (db.count("SELECT count(*) AS n FROM writeback_outbox WHERE state = 'pending' AND last_error = 'unreachable'")
            .await
            == 1)
            .then_some(())
    })
    .await;
    proxy.set_down(false);
    // The retry is scheduled 30 s later; bring it forward rather than wait.
    db.execute("UPDATE writeback_outbox SET next_attempt_at = now()").await;
    eventually(Duration::from_secs(10), "the change pushed", || async {
        (db.count("SELECT count(*) AS n FROM writeback_outbox WHERE state = 'done'")
            .await
            == 1)
            .then_some(())
    })
    .await;
    assert_eq!(
        store.get("W003").expect("in S-360").contact["individualContact"]["firstname"],
        "Later"
    );
}
