//! The worker converges whatever the order or duplication of deliveries, and a message that
//! can never apply is dead-lettered instead of blocking the queue.

use std::time::Duration;

use lapin::{BasicProperties, options::BasicPublishOptions};
use serde_json::{Value, json};
use tests::{TestBroker, TestDatabase, eventually, post_contacts, sample_contact, spawn_ingest, spawn_worker};

/// The worker's event counter for one outcome, read from its `/metrics`.
async fn events(worker_url: &str, outcome: &str) -> u64 {
    tests::metric(
        worker_url,
        &format!("sync_worker_contact_events_total{{outcome=\"{outcome}\"}}"),
    )
    .await
}

fn version(number: &str, first_name: &str, modified: &str) -> Value {
    let mut contact = sample_contact(number);
    contact["individualContact"]["firstname"] = json!(first_name);
    contact["lastModificationDate"] = json!(modified);
    contact
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_version_never_overwrites_a_newer_one() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &[]).await;
    let worker = spawn_worker(&broker.prefix, &db.url).await;

    post_contacts(
        &ingest.base_url,
        &version("0007", "Newer", "2025-02-01T10:00:00.000+01:00"),
    )
    .await;
    post_contacts(
        &ingest.base_url,
        &version("0007", "Older", "2025-01-01T10:00:00.000+01:00"),
    )
    .await;

    eventually(Duration::from_secs(10), "both events handled", || async {
        let handled = events(&worker.base_url, "active").await + events(&worker.base_url, "stale").await;
        (handled == 2).then_some(())
    })
    .await;
    let row = db.contact("0007").await.expect("row");
    assert_eq!(row.first_name.as_deref(), Some("Newer"));
    assert_eq!(events(&worker.base_url, "active").await, 1);
    assert_eq!(events(&worker.base_url, "stale").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_version_replaces_the_row() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &[]).await;
    let _worker = spawn_worker(&broker.prefix, &db.url).await;

    post_contacts(
        &ingest.base_url,
        &version("0008", "First", "2025-01-01T10:00:00.000+01:00"),
    )
    .await;
    post_contacts(
        &ingest.base_url,
        &version("0008", "Second", "2025-03-01T10:00:00.000+01:00"),
    )
    .await;
    eventually(Duration::from_secs(10), "the newer name", || async {
        let row = db.contact("0008").await?;
        (row.first_name.as_deref() == Some("Second")).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecodable_message_is_dead_lettered_and_the_queue_moves_on() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &[]).await;
    let worker = spawn_worker(&broker.prefix, &db.url).await;

    broker
        .channel
        .basic_publish(
            broker.topology.contacts_exchange().as_str().into(),
            "contact.changed".into(),
            BasicPublishOptions::default(),
            b"\xff\xfenot protobuf",
            BasicProperties::default().with_delivery_mode(2),
        )
        .await
        .expect("published");
    post_contacts(&ingest.base_url, &sample_contact("0009")).await;

    eventually(Duration::from_secs(10), "the dead letter", || async {
        (broker.ready_count(&broker.topology.dead_letter_queue()).await == 1).then_some(())
    })
    .await;
    eventually(Duration::from_secs(10), "the valid contact behind it", || async {
        db.contact("0009").await
    })
    .await;
    assert_eq!(events(&worker.base_url, "dead_lettered").await, 1);

    let dead = broker
        .get(&broker.topology.dead_letter_queue())
        .await
        .expect("the dead letter");
    let headers = dead.delivery.properties.headers().clone().expect("headers");
    let header = |name: &str| match headers.inner().get(name) {
        Some(lapin::types::AMQPValue::LongString(s)) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
        other => panic!("header {name}: {other:?}"),
    };
    assert_eq!(header("x-secutix-error-code"), "undecodable");
    assert!(header("x-secutix-error").starts_with("not a ContactChanged message"));
    assert_eq!(header("x-original-routing-key"), "contact.changed");
    assert_eq!(dead.delivery.data, b"\xff\xfenot protobuf", "the original body is kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_is_waited_out_without_losing_or_dead_lettering() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let proxy = tests::TcpProxy::start("127.0.0.1:5432".parse().expect("address")).await;
    let through_proxy = db.url.replace("127.0.0.1:5432", &format!("127.0.0.1:{}", proxy.port));
    let ingest = spawn_ingest(&broker.prefix, None, &[]).await;
    let worker = spawn_worker(&broker.prefix, &through_proxy).await;

    post_contacts(&ingest.base_url, &sample_contact("0100")).await;
    eventually(Duration::from_secs(10), "the first contact", || async {
        db.contact("0100").await
    })
    .await;

    proxy.set_down(true);
    let during: Vec<Value> = (0..20).map(|i| sample_contact(&format!("02{i:02}"))).collect();
    post_contacts(&ingest.base_url, &Value::Array(during)).await;
    eventually(Duration::from_secs(10), "retries during the outage", || async {
        (tests::metric(&worker.base_url, "sync_worker_database_retries_total").await >= 2).then_some(())
    })
    .await;
    let ready = reqwest::get(format!("{}/readyz", worker.base_url))
        .await
        .expect("answers");
    assert_eq!(ready.status(), 503, "not ready while the database is down");
    assert_eq!(db.contact("0200").await, None);

    proxy.set_down(false);
    for i in 0..20 {
        let number = format!("02{i:02}");
        eventually(Duration::from_secs(15), "contacts after the outage", || async {
            db.contact(&number).await
        })
        .await;
    }
    assert_eq!(
        broker.ready_count(&broker.topology.dead_letter_queue()).await,
        0,
        "nothing dead-lettered"
    );
    assert_eq!(events(&worker.base_url, "dead_lettered").await, 0);
}
