//! A worker killed with SIGKILL in the middle of its batches loses nothing and resurrects
//! nothing: after a restart every event is applied and anonymised contacts stay erased.

use std::{process::Stdio, time::Duration};

use serde_json::Value;
use tests::{
    INGEST_TOKEN, TestBroker, TestDatabase, binary,
    events::{anonymise, modified_at, update},
    eventually, spawn_ingest,
};

fn start_worker(prefix: &str, database_url: &str) -> tokio::process::Child {
    tokio::process::Command::new(binary("sync-worker"))
        .arg("run")
        .env("DATABASE_URL", database_url)
        .env("AMQP_URL", tests::amqp_url())
        .env("AMQP_NAME_PREFIX", prefix)
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("WORKER_BATCH_SIZE", "20")
        .env("WORKER_PREFETCH", "40")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("sync-worker starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_batch_loses_and_resurrects_nothing() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &["--dedup-window", "0"]).await;
    let client = reqwest::Client::new();
    let post = |body: Value| {
        let request = client
            .post(format!("{}/webhooks/secutix/contacts", ingest.base_url))
            .bearer_auth(INGEST_TOKEN)
            .json(&body);
        async move { assert_eq!(request.send().await.expect("ingest answers").status(), 200) }
    };

    // 1,500 contacts, then 50 of them anonymised, then stale and newer updates of those 50.
    for chunk in 0..15 {
        let body: Vec<Value> = (0..100)
            .map(|i| {
                modified_at(
                    update(&format!("K{:04}", chunk * 100 + i), "Before"),
                    "2025-01-01T00:00:00Z",
                )
            })
            .collect();
        post(Value::Array(body)).await;
    }
    let anonymised: Vec<Value> = (0..50)
        .map(|i| modified_at(anonymise(&format!("K{i:04}")), "2025-02-01T00:00:00Z"))
        .collect();
    post(Value::Array(anonymised)).await;
    let late: Vec<Value> = (0..50)
        .map(|i| modified_at(update(&format!("K{i:04}"), "Late"), "2025-01-15T00:00:00Z"))
        .collect();
    post(Value::Array(late)).await;
    let newer: Vec<Value> = (0..50)
        .map(|i| modified_at(update(&format!("K{i:04}"), "Newer"), "2025-03-01T00:00:00Z"))
        .collect();
    post(Value::Array(newer)).await;

    let mut worker = start_worker(&broker.prefix, &db.url);
    eventually(Duration::from_secs(20), "the worker half-way", || async {
        (db.count("SELECT count(*) AS n FROM contacts").await >= 200).then_some(())
    })
    .await;
    worker.start_kill().expect("SIGKILL");
    worker.wait().await.expect("killed");
    let at_kill = db.count("SELECT count(*) AS n FROM contacts").await;
    assert!(at_kill < 1500, "killed before the end ({at_kill} rows)");

    let _restarted = start_worker(&broker.prefix, &db.url);
    eventually(Duration::from_secs(30), "every contact applied", || async {
        let done = db.count("SELECT count(*) AS n FROM contacts").await == 1500
            && db
                .count("SELECT count(*) AS n FROM contacts WHERE state = 'anonymised'")
                .await
                == 50
            && broker.ready_count(&broker.topology.worker_queue()).await == 0;
        done.then_some(())
    })
    .await;
    let resurrected = db
        .count(
            "SELECT count(*) AS n FROM contacts WHERE state = 'anonymised' \
         AND (first_name IS NOT NULL OR email IS NOT NULL OR raw::text LIKE '%Dupont%')",
        )
        .await;
    assert_eq!(resurrected, 0, "no personal data came back");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM contacts WHERE state = 'active' AND first_name = 'Before'")
            .await,
        1450
    );
    assert_eq!(
        broker.ready_count(&broker.topology.dead_letter_queue()).await,
        0,
        "nothing dead-lettered"
    );
}
