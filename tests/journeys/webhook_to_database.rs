//! The walking skeleton: a contact posted to the webhook becomes a row in `contacts`.

use std::time::Duration;

use serde_json::json;
use tests::{TestBroker, TestDatabase, eventually, sample_contact, spawn_ingest, spawn_worker};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_posted_contact_becomes_a_row() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &[]).await;
    let worker = spawn_worker(&broker.prefix, &db.url).await;

    let response = reqwest::Client::new()
        .post(format!("{}/webhooks/secutix/contacts", ingest.base_url))
        .bearer_auth(tests::INGEST_TOKEN)
        .json(&sample_contact("0001234567"))
        .send()
        .await
        .expect("ingest answers");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<serde_json::Value>().await.expect("json"),
        json!({ "accepted": 1, "published": 1, "duplicates": 0 })
    );

    let row = eventually(Duration::from_secs(10), "the contact row", || async {
        db.contact("0001234567").await
    })
    .await;
    assert_eq!(row.first_name.as_deref(), Some("Jean"));
    assert_eq!(row.last_name.as_deref(), Some("Dupont"));
    assert_eq!(row.email.as_deref(), Some("jean.dupont@example.org"));
    assert_eq!(row.language.as_deref(), Some("fr"));
    assert_eq!(row.state, "active");
    assert_eq!(row.source, "webhook");
    assert_eq!(row.addresses[0]["town"], "Lausanne");
    assert_eq!(row.authorizations[0], json!({ "code": "NEWSLTR", "allowed": true }));
    assert_eq!(
        row.raw["contactCriteria"][0]["criterionCode"], "SEASONTK",
        "unmodelled fields are kept"
    );

    // The event is also kept in the replay stream, and nothing is left unapplied.
    assert_eq!(broker.ready_count(&broker.topology.worker_queue()).await, 0);
    worker.stop().await.expect("worker stops cleanly");
    ingest.stop().await.expect("ingest stops cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_array_posts_every_contact() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &[]).await;
    let _worker = spawn_worker(&broker.prefix, &db.url).await;

    let numbers: Vec<String> = (0..25).map(|i| format!("00{i:05}")).collect();
    let body: Vec<_> = numbers.iter().map(|n| sample_contact(n)).collect();
    let response = reqwest::Client::new()
        .post(format!("{}/webhooks/secutix/contacts", ingest.base_url))
        .bearer_auth(tests::INGEST_TOKEN)
        .json(&body)
        .send()
        .await
        .expect("ingest answers");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<serde_json::Value>().await.expect("json")["accepted"],
        25
    );

    for number in &numbers {
        eventually(Duration::from_secs(10), "every contact row", || async {
            db.contact(number).await
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_export_row_becomes_a_row() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &[]).await;
    let _worker = spawn_worker(&broker.prefix, &db.url).await;

    let rows: serde_json::Value =
        serde_json::from_str(include_str!("../../crates/model/fixtures/data-export-row.sample.json")).expect("fixture");
    let response = reqwest::Client::new()
        .post(format!("{}/webhooks/secutix/exports", ingest.base_url))
        .bearer_auth(tests::INGEST_TOKEN)
        .json(&rows)
        .send()
        .await
        .expect("ingest answers");
    assert_eq!(response.status(), 200);

    let row = eventually(Duration::from_secs(10), "the exported contact", || async {
        db.contact("0001234567").await
    })
    .await;
    assert_eq!(row.first_name.as_deref(), Some("Jean"));
    assert_eq!(row.role.as_deref(), Some("PUBLIC"));
    assert_eq!(
        row.raw["socialConnections.providerUserReference"],
        "7f3c2a9e-5b1d-4c8e-9a61-2d4f8b0e6c13"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_context_travels_from_http_to_the_message() {
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &[]).await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let response = reqwest::Client::new()
        .post(format!("{}/webhooks/secutix/contacts", ingest.base_url))
        .bearer_auth(tests::INGEST_TOKEN)
        .header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))
        .json(&sample_contact("0042"))
        .send()
        .await
        .expect("ingest answers");
    assert_eq!(response.status(), 200);

    let message = broker
        .get(&broker.topology.worker_queue())
        .await
        .expect("one message queued");
    let properties = &message.delivery.properties;
    assert_eq!(properties.delivery_mode(), &Some(2), "persistent");
    assert!(properties.message_id().is_some());
    let headers = properties.headers().as_ref().expect("headers");
    let traceparent = headers.inner().get("traceparent").expect("traceparent header");
    let lapin::types::AMQPValue::LongString(value) = traceparent else {
        panic!("string header")
    };
    let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
    assert!(value.starts_with(&format!("00-{trace_id}-")), "same trace: {value}");
    assert!(
        !value.contains("00f067aa0ba902b7"),
        "a child span of the caller's, not the caller's own"
    );
}
