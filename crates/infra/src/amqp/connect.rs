//! Opening AMQP connections, once or with back-off until the broker answers.

use std::time::Duration;

use lapin::{Connection, ConnectionProperties};
use secrecy::{ExposeSecret, SecretString};
use tokio_util::sync::CancellationToken;

/// Opens one connection, named after the service so operators can find it in the
/// management UI.
pub async fn connect(url: &SecretString, name: &str) -> lapin::Result<Connection> {
    let properties = ConnectionProperties::default().with_connection_name(name.into());
    Connection::connect(url.expose_secret(), properties).await
}

/// Retries [`connect`] with exponential back-off (capped at 10 s) until it succeeds or
/// `cancel` fires; `None` when cancelled.
pub async fn connect_with_retry(url: &SecretString, name: &str, cancel: &CancellationToken) -> Option<Connection> {
    let mut delay = Duration::from_millis(200);
    loop {
        match connect(url, name).await {
            Ok(connection) => return Some(connection),
            Err(error) => {
                tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "RabbitMQ unreachable");
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return None,
            _ = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}
