//! A 200 means "durably in RabbitMQ": when the broker is unreachable or cannot route the
//! message, the answer is 503 with `Retry-After`, so S-360 sends the contact again.

use lapin::options::QueueDeleteOptions;
use tests::{TestBroker, sample_contact, spawn_ingest};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_broker_gives_503_with_retry_after() {
    // Nothing listens on port 1.
    let ingest = spawn_ingest("unreachable.", Some("amqp://guest:guest@127.0.0.1:1/%2f"), &[]).await;
    let response = reqwest::Client::new()
        .post(format!("{}/webhooks/secutix/contacts", ingest.base_url))
        .bearer_auth(tests::INGEST_TOKEN)
        .json(&sample_contact("0001"))
        .send()
        .await
        .expect("ingest answers");
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.headers().get("retry-after").map(|v| v.to_str().ok()),
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
        .bearer_auth(tests::INGEST_TOKEN)
        .json(&sample_contact("0001"))
        .send()
        .await
        .expect("ingest answers");
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
}

/// Posts one distinct contact; `true` for a 200.
async fn post_one(url: &str, number: usize) -> bool {
    let response = reqwest::Client::new()
        .post(url)
        .bearer_auth(tests::INGEST_TOKEN)
        .json(&sample_contact(&format!("{number:08}")))
        .send()
        .await
        .expect("ingest answers");
    match response.status().as_u16() {
        200 => true,
        503 => {
            assert!(response.headers().contains_key("retry-after"));
            false
        }
        other => panic!("unexpected status {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_recovers_and_no_200_is_a_lie() {
    let broker = TestBroker::create().await;
    let proxy = tests::TcpProxy::start("127.0.0.1:5672".parse().expect("address")).await;
    let ingest = spawn_ingest(&broker.prefix, Some(&proxy.amqp_url()), &[]).await;
    let url = format!("{}/webhooks/secutix/contacts", ingest.base_url);
    let mut confirmed = Vec::new();
    let mut sent = 0;

    assert!(post_one(&url, sent).await);
    confirmed.push(sent);
    sent += 1;

    // The connection drops under the ingest: it reconnects by itself.
    proxy.cut();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let ok = post_one(&url, sent).await;
        sent += 1;
        if ok {
            confirmed.push(sent - 1);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no recovery after the connection dropped"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // The broker becomes unreachable: every answer is 503, never 200.
    proxy.set_down(true);
    for _ in 0..5 {
        assert!(!post_one(&url, sent).await, "a 200 while the broker is unreachable");
        sent += 1;
    }
    let ready = reqwest::get(format!("{}/readyz", ingest.base_url))
        .await
        .expect("answers");
    assert_eq!(ready.status(), 503);

    // It comes back: the ingest recovers without a restart.
    proxy.set_down(false);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let ok = post_one(&url, sent).await;
        sent += 1;
        if ok {
            confirmed.push(sent - 1);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no recovery after the broker came back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Every contact answered 200 is in the queue. (A 503 may still have been stored before
    // the connection dropped; S-360 sends it again and the worker is idempotent.)
    let mut queued = std::collections::HashSet::new();
    while let Some(message) = broker.get(&broker.topology.worker_queue()).await {
        let event = model::bus::ContactChanged::decode_from(&message.delivery.data).expect("event");
        queued.insert(event.contact_number);
    }
    for number in confirmed {
        let number = format!("{number:08}");
        assert!(
            queued.contains(&number),
            "contact {number} was answered 200 but is not queued"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_stop_finishes_the_confirms_in_flight() {
    let broker = TestBroker::create().await;
    let proxy = tests::TcpProxy::start("127.0.0.1:5672".parse().expect("address")).await;
    let ingest = spawn_ingest(&broker.prefix, Some(&proxy.amqp_url()), &[]).await;
    let url = format!("{}/webhooks/secutix/contacts", ingest.base_url);
    assert!(post_one(&url, 1).await, "connected");

    // The broker becomes slow: a publish waits about a second for its confirm.
    proxy.set_delay(std::time::Duration::from_millis(700));
    let in_flight = tokio::spawn({
        let url = url.clone();
        async move { post_one(&url, 2).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let stopping = tokio::spawn(ingest.stop());
    assert!(
        in_flight.await.expect("request task"),
        "the request in flight is answered 200 during the stop"
    );
    stopping.await.expect("stop task").expect("graceful stop");

    let mut queued = Vec::new();
    while let Some(message) = broker.get(&broker.topology.worker_queue()).await {
        queued.push(
            model::bus::ContactChanged::decode_from(&message.delivery.data)
                .expect("event")
                .contact_number,
        );
    }
    assert!(queued.contains(&"00000002".to_owned()), "{queued:?}");
}
