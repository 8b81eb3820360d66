//! The worker's jobs: replay from the `contacts.log` stream (its dry-run diff, printed and recorded,
//! and one replay at a time), and redrive of dead letters.

use std::time::Duration;

use lapin::{
    BasicProperties,
    options::BasicPublishOptions,
    types::{AMQPValue, FieldTable, ShortString},
};
use serde_json::Value;
use tests::{
    TestBroker, TestDatabase,
    events::{anonymise, merge, modified_at, update},
    eventually, post_contacts, redrive_args, replay_args, spawn_ingest, spawn_worker,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_restores_a_wiped_contacts_table_identically() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &[]).await;
    let worker = spawn_worker(&broker.prefix, &db.url).await;

    let mut batch: Vec<Value> = (0..30)
        .map(|i| modified_at(update(&format!("R{i:02}"), "First"), "2025-01-01T00:00:00Z"))
        .collect();
    batch.push(modified_at(update("R00", "Second"), "2025-02-01T00:00:00Z"));
    batch.push(modified_at(update("R01", "Older"), "2024-12-01T00:00:00Z"));
    post_contacts(&ingest.base_url, &Value::Array(batch)).await;
    post_contacts(&ingest.base_url, &modified_at(anonymise("R02"), "2025-03-01T00:00:00Z")).await;
    post_contacts(
        &ingest.base_url,
        &modified_at(merge("R03", "R04"), "2025-03-01T00:00:00Z"),
    )
    .await;
    post_contacts(&ingest.base_url, &update("R99", "Last")).await;
    eventually(Duration::from_secs(15), "every event applied", || async {
        let done = db.contact("R99").await.is_some()
            && db.contact("R02").await.is_some_and(|c| c.state == "anonymised")
            && db.contact("R03").await.is_some_and(|c| c.state == "merged");
        done.then_some(())
    })
    .await;
    worker.stop().await.expect("worker stops");
    let before = db.contacts().await;
    assert_eq!(before.len(), 31);

    // A contact left at an older version (an update missed), and one lost: the dry run's diff
    // says what the replay would put back, contact by contact, and changes nothing.
    db.execute(
        "UPDATE contacts SET first_name = 'Tampered', version_time = '2020-01-01Z' WHERE contact_number = 'R05'",
    )
    .await;
    db.execute("DELETE FROM contacts WHERE contact_number = 'R06'").await;
    let tampered = db.contacts().await;
    let dry = sync_worker::replay::run(
        &replay_args(&broker.prefix, &db.url, &["--from-offset", "first", "--dry-run"]),
        &Default::default(),
    )
    .await
    .expect("dry run");
    assert_eq!(db.contacts().await, tampered, "a dry run writes nothing");
    let diff = dry.diff.clone().expect("a dry run's diff");
    let text = diff.to_string();
    assert!(
        text.contains("R05 updated: first_name: \"Tampered\" -> \"First\"\n"),
        "{text}"
    );
    assert!(text.contains("R06 created: "), "{text}");
    assert!(text.ends_with("diff: 1 created, 1 updated, 29 unchanged\n"), "{text}");
    let mut conn = db.pool.get().await.expect("connection");
    let recorded = store::replay_runs::find(&mut conn, dry.run_id)
        .await
        .expect("query")
        .expect("recorded");
    drop(conn);
    assert_eq!((recorded.state.as_str(), recorded.dry_run), ("finished", true));
    assert_eq!(recorded.diff, Some(serde_json::to_value(&diff).expect("json")));
    assert_eq!(recorded.totals, Some(serde_json::to_value(dry.report).expect("json")));

    // The command line prints the same diff, and records it the same way.
    let output = tokio::process::Command::new(tests::binary("sync-worker"))
        .args([
            "replay",
            "--from-offset",
            "first",
            "--dry-run",
            "--amqp-name-prefix",
            &broker.prefix,
        ])
        .args(["--amqp-url", &tests::amqp_url(), "--database-url", &db.url])
        .output()
        .await
        .expect("sync-worker replay runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(printed.starts_with(&text), "{printed}");
    let mut conn = db.pool.get().await.expect("connection");
    let runs = store::replay_runs::recent(&mut conn, 10).await.expect("runs");
    drop(conn);
    assert_eq!(runs.len(), 2);
    assert_eq!(
        runs[0].diff, recorded.diff,
        "the command line's dry run records the same diff"
    );
    assert_eq!(runs[0].requested_by, "command line");

    db.execute("DELETE FROM contacts").await;
    let dry = sync_worker::replay::run(
        &replay_args(&broker.prefix, &db.url, &["--from-offset", "first", "--dry-run"]),
        &Default::default(),
    )
    .await
    .expect("dry run")
    .report;
    assert_eq!(dry.read, 35, "every event of the stream is read");
    assert!(dry.written >= 31, "{dry:?}");
    assert!(db.contacts().await.is_empty(), "a dry run writes nothing");

    let report = sync_worker::replay::run(
        &replay_args(&broker.prefix, &db.url, &["--from-offset", "first"]),
        &Default::default(),
    )
    .await
    .expect("replay")
    .report;
    assert_eq!((report.read, report.invalid, report.refused), (35, 0, 0), "{report:?}");
    assert_eq!(db.contacts().await, before, "the replay restores the same rows");

    // Replaying again changes nothing.
    let again = sync_worker::replay::run(
        &replay_args(&broker.prefix, &db.url, &["--since", "1h"]),
        &Default::default(),
    )
    .await
    .expect("replay")
    .report;
    assert_eq!((again.read, again.written, again.stale), (35, 0, 35), "{again:?}");
    assert_eq!(db.contacts().await, before);
}

fn header(value: &str) -> AMQPValue {
    AMQPValue::LongString(value.into())
}

async fn dead_letter(broker: &TestBroker, body: &[u8], code: &str, contact_number: &str) {
    let mut headers = FieldTable::default();
    headers.insert(ShortString::from("x-secutix-error-code"), header(code));
    headers.insert(ShortString::from("x-secutix-error"), header("set aside by the test"));
    headers.insert(ShortString::from("x-original-routing-key"), header("contact.changed"));
    headers.insert(ShortString::from("x-contact-number"), header(contact_number));
    broker
        .channel
        .basic_publish(
            broker.topology.dead_letter_exchange().as_str().into(),
            "contact.changed".into(),
            BasicPublishOptions::default(),
            body,
            BasicProperties::default().with_delivery_mode(2).with_headers(headers),
        )
        .await
        .expect("published")
        .await
        .expect("confirmed");
}

fn event_bytes(number: &str, topology: &infra::amqp::Topology) -> Vec<u8> {
    let json = update(number, "Redriven").to_string();
    let envelope = model::secutix::envelope(&json).expect("valid");
    let contact = webhook_ingest::payload::Incoming { envelope, json: &json };
    let kind = webhook_ingest::payload::Kind::Contacts;
    webhook_ingest::events::to_message(topology, kind, &contact, chrono::Utc::now()).payload
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redrive_moves_back_only_the_chosen_dead_letters() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let _worker = spawn_worker(&broker.prefix, &db.url).await;
    let dlq = broker.topology.dead_letter_queue();

    dead_letter(&broker, &event_bytes("D1", &broker.topology), "database", "D1").await;
    dead_letter(&broker, &event_bytes("D2", &broker.topology), "database", "D2").await;
    dead_letter(&broker, b"garbage", "undecodable", "D3").await;
    eventually(Duration::from_secs(5), "three dead letters", || async {
        (broker.ready_count(&dlq).await == 3).then_some(())
    })
    .await;

    let dry = sync_worker::redrive::run(&redrive_args(&broker.prefix, &["--reason", "database", "--dry-run"]))
        .await
        .expect("dry run");
    assert_eq!((dry.examined, dry.redriven, dry.kept), (3, 2, 1));
    assert_eq!(broker.ready_count(&dlq).await, 3, "a dry run moves nothing");

    let one = sync_worker::redrive::run(&redrive_args(&broker.prefix, &["--contact-number", "D2"]))
        .await
        .expect("redrive");
    assert_eq!((one.examined, one.redriven, one.kept), (3, 1, 2));
    eventually(Duration::from_secs(10), "D2 applied", || async {
        db.contact("D2").await
    })
    .await;
    assert!(db.contact("D1").await.is_none());

    let by_reason = sync_worker::redrive::run(&redrive_args(&broker.prefix, &["--reason", "database"]))
        .await
        .expect("redrive");
    assert_eq!((by_reason.examined, by_reason.redriven, by_reason.kept), (2, 1, 1));
    let d1 = eventually(Duration::from_secs(10), "D1 applied", || async {
        db.contact("D1").await
    })
    .await;
    assert_eq!(d1.first_name.as_deref(), Some("Redriven"));
    assert_eq!(broker.ready_count(&dlq).await, 1, "the undecodable one stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replay_runs_at_a_time_and_a_second_is_recorded_as_failed() {
    let db = TestDatabase::create().await;
    // Another replica's replay holds the lock.
    let mut holder = db.pool.get().await.expect("connection");
    let held = store::lease::try_lock(&mut holder, sync_worker::replay::REPLAY_LOCK).await;
    assert_eq!(held, Ok(true));
    let error = sync_worker::replay::run(
        &replay_args("no-broker-needed", &db.url, &["--from-offset", "first", "--dry-run"]),
        &Default::default(),
    )
    .await
    .expect_err("refused while another runs");
    assert!(error.to_string().contains("another replay is running"), "{error}");
    let mut conn = db.pool.get().await.expect("connection");
    let runs = store::replay_runs::recent(&mut conn, 10).await.expect("runs");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].state, "failed");
    assert_eq!(
        runs[0].totals,
        Some(serde_json::json!({ "error": "another replay is running" }))
    );
    store::lease::unlock(&mut holder, sync_worker::replay::REPLAY_LOCK)
        .await
        .expect("released");
    drop(holder);

    // A replay whose process was killed left its row running; the next replay records it failed.
    let start = store::replay_runs::Start {
        from_offset: None,
        since: None,
    };
    let killed = store::replay_runs::start(&mut conn, "command line", start, false)
        .await
        .expect("run");
    drop(conn);
    let broker = TestBroker::create().await;
    sync_worker::replay::run(
        &replay_args(
            &broker.prefix,
            &db.url,
            &["--from-offset", "first", "--idle-timeout", "1"],
        ),
        &Default::default(),
    )
    .await
    .expect("replay");
    let mut conn = db.pool.get().await.expect("connection");
    let killed = store::replay_runs::find(&mut conn, killed)
        .await
        .expect("query")
        .expect("kept");
    assert_eq!(killed.state, "failed");
    assert!(killed.finished_at.is_some());
    let runs = store::replay_runs::recent(&mut conn, 10).await.expect("runs");
    assert_eq!(runs[0].state, "finished", "the new replay ran");
}
