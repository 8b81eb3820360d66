//! Repeated deliveries are answered 200 and not published twice.

use serde_json::Value;
use tests::{INGEST_TOKEN, TestBroker, sample_contact, spawn_ingest};

async fn post(url: &str, body: &Value, id: Option<&str>) -> Value {
    let mut request = reqwest::Client::new().post(url).bearer_auth(INGEST_TOKEN).json(body);
    if let Some(id) = id {
        request = request.header("webhook-id", id);
    }
    let response = request.send().await.expect("answers");
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_delivery_or_payload_is_published_once() {
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &[]).await;
    let url = format!("{}/webhooks/secutix/contacts", ingest.base_url);
    let queue = broker.topology.worker_queue();

    let first = post(&url, &sample_contact("0001"), Some("msg_a")).await;
    assert_eq!(
        first,
        serde_json::json!({ "accepted": 1, "published": 1, "duplicates": 0 })
    );
    let again = post(&url, &sample_contact("0001"), Some("msg_a")).await;
    assert_eq!(again["published"], 0);
    assert_eq!(broker.ready_count(&queue).await, 1);

    // Same payload under another delivery id: still a repeat of the last confirmed one.
    let repeat = post(&url, &sample_contact("0001"), Some("msg_b")).await;
    assert_eq!(repeat["duplicates"], 1);
    assert_eq!(broker.ready_count(&queue).await, 1);

    // A real change is published, and so is a change back to the earlier payload.
    let mut changed = sample_contact("0001");
    changed["individualContact"]["firstname"] = "Jeanne".into();
    assert_eq!(post(&url, &changed, None).await["published"], 1);
    assert_eq!(post(&url, &sample_contact("0001"), None).await["published"], 1);
    assert_eq!(broker.ready_count(&queue).await, 3);

    // In an array, only the repeated element is skipped.
    let batch = serde_json::json!([sample_contact("0001"), sample_contact("0002")]);
    let answer = post(&url, &batch, None).await;
    assert_eq!(
        answer,
        serde_json::json!({ "accepted": 2, "published": 1, "duplicates": 1 })
    );
    assert_eq!(broker.ready_count(&queue).await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zero_window_publishes_every_delivery() {
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &["--dedup-window", "0"]).await;
    let url = format!("{}/webhooks/secutix/contacts", ingest.base_url);
    post(&url, &sample_contact("0001"), Some("msg_a")).await;
    post(&url, &sample_contact("0001"), Some("msg_a")).await;
    assert_eq!(broker.ready_count(&broker.topology.worker_queue()).await, 2);
}
