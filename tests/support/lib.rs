//! Test support for the cross-service tests: an isolated PostgreSQL database and RabbitMQ name
//! prefix per test, and the real services started in-process on port 0.

pub mod broker;
pub mod database;
pub mod events;
pub mod proxy;
pub mod relying_party;
pub mod services;
pub mod sim;
pub mod smtp;

pub use broker::TestBroker;
pub use database::TestDatabase;
pub use proxy::TcpProxy;
pub use services::{
    INGEST_TOKEN, Process, Running, binary, metric, redrive_args, replay_args, spawn_gateway, spawn_gateway_with,
    spawn_ingest, spawn_worker, spawn_worker_with, start_process,
};
pub use smtp::SmtpServer;

use std::{future::Future, time::Duration};

/// Where tests reach PostgreSQL as a superuser (to create and drop their databases).
pub fn admin_database_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Where tests reach RabbitMQ.
pub fn amqp_url() -> String {
    std::env::var("TEST_AMQP_URL").unwrap_or_else(|_| infra::config::DEFAULT_AMQP_URL.into())
}

/// Polls `probe` every 50 ms until it returns `Some`, failing the test after `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The S-360 sample contact (`getContactData` result) with another contact number.
pub fn sample_contact(contact_number: &str) -> serde_json::Value {
    let mut contact: serde_json::Value =
        serde_json::from_str(include_str!("../../crates/model/fixtures/getContactData.sample.json")).expect("fixture");
    contact["contactNumber"] = contact_number.into();
    contact
}

/// Posts contacts to the ingest's Contact Webhook V2 endpoint as S-360 would, expecting 200.
pub async fn post_contacts(ingest_url: &str, body: &serde_json::Value) {
    let response = reqwest::Client::new()
        .post(format!("{ingest_url}/webhooks/secutix/contacts"))
        .bearer_auth(INGEST_TOKEN)
        .json(body)
        .send()
        .await
        .expect("ingest answers");
    assert_eq!(response.status(), 200);
}
