//! Every service answers `/healthz`, `/readyz` and `/metrics`, and stops gracefully.

use tests::{TestBroker, TestDatabase, spawn_gateway, spawn_ingest, spawn_worker};

async fn status(url: String) -> (u16, serde_json::Value) {
    let response = reqwest::get(url).await.expect("answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_service_reports_health_and_readiness() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &[]).await;
    let worker = spawn_worker(&broker.prefix, &db.url).await;
    let gateway = spawn_gateway(&db.url).await;

    for service in [&ingest, &worker, &gateway] {
        let (code, body) = status(format!("{}/healthz", service.base_url)).await;
        assert_eq!(
            (code, body["status"].as_str()),
            (200, Some("ok")),
            "{}",
            service.base_url
        );
    }
    let (code, body) = status(format!("{}/readyz", ingest.base_url)).await;
    assert_eq!((code, body["checks"]["rabbitmq"].as_str()), (200, Some("ok")));
    let (code, body) = status(format!("{}/readyz", gateway.base_url)).await;
    assert_eq!((code, body["checks"]["postgres"].as_str()), (200, Some("ok")));
    let worker_ready = tests::eventually(std::time::Duration::from_secs(10), "worker ready", || async {
        let (code, body) = status(format!("{}/readyz", worker.base_url)).await;
        (code == 200).then_some(body)
    })
    .await;
    assert_eq!(
        worker_ready["checks"],
        serde_json::json!({ "postgres": "ok", "rabbitmq": "ok" })
    );

    let metrics = reqwest::get(format!("{}/metrics", ingest.base_url))
        .await
        .expect("metrics");
    assert_eq!(metrics.status(), 200);
    assert!(
        metrics
            .text()
            .await
            .expect("text")
            .contains("webhook_ingest_publish_seconds")
    );

    for service in [ingest, worker, gateway] {
        service.stop().await.expect("graceful stop");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_when_the_database_is_down() {
    // Nothing listens on port 1.
    let gateway = spawn_gateway("postgres://postgres@127.0.0.1:1/none").await;
    let response = reqwest::get(format!("{}/readyz", gateway.base_url))
        .await
        .expect("answers");
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.headers().get("retry-after").and_then(|v| v.to_str().ok()),
        Some("5")
    );
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["status"], "unavailable");
    assert_ne!(body["checks"]["postgres"], "ok");
}
