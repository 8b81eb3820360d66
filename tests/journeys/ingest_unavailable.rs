//! A 200 means "durably in RabbitMQ": when the broker is unreachable or cannot route the
//! message, the answer is 503 with `Retry-After`, so S-360 sends the contact again.

use lapin::options::QueueDeleteOptions;
use tests::{TestBroker, sample_contact, spawn_ingest};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_broker_gives_503_with_retry_after() {
    // Nothing listens on port 1.
    let ingest = spawn_ingest(
        "unreachable.",
        Some("amqp://guest:guest@127.0.0.1:1/%2f"),
        &[],
    )
    .await;
    let response = reqwest::Client::new()
        .post(format!("{}/webhooks/secutix/contacts", ingest.base_url))
        .json(&sample_contact("0001"))
        .send()
        .await
        .expect("ingest answers");
    assert_eq!(response.status(), 503);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().ok()),
        Some(Some("5"))
    );
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"], "broker_unavailable");

    let ready = reqwest::get(format!("{}/readyz", ingest.base_url))
        .await
        .expect("answers");
    assert_eq!(ready.status(), 503);
    assert!(ready.headers().contains_key("retry-after"));
    let health = reqwest::get(format!("{}/healthz", ingest.base_url))
        .await
        .expect("answers");
    assert_eq!(health.status(), 200, "alive even when a dependency is down");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unroutable_contact_is_not_acknowledged() {
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &[]).await;
    // Remove every queue bound to the contacts exchange: the broker acks the publish but
    // returns the mandatory message, which must not count as stored.
    for queue in [broker.topology.worker_queue(), broker.topology.log_stream()] {
        broker
            .channel
            .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
            .await
            .expect("queue deleted");
    }
    let response = reqwest::Client::new()
        .post(format!("{}/webhooks/secutix/contacts", ingest.base_url))
        .json(&sample_contact("0001"))
        .send()
        .await
        .expect("ingest answers");
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
}
