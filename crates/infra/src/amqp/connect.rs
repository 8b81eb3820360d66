//! Opening AMQP connections, once or with back-off until the broker answers.

use std::time::Duration;

use lapin::{Connection, ConnectionProperties};
use secrecy::{ExposeSecret, SecretString};
use tokio_util::sync::CancellationToken;

/// Opens one connection, named after the service so operators can find it in the
/// management UI. `url` may name the nodes of a cluster, separated by commas: each is tried in
/// turn and the first that answers is used, so a service fails over to the nodes still up when
/// it reconnects; the error is that of the last node tried.
pub async fn connect(url: &SecretString, name: &str) -> lapin::Result<Connection> {
    let mut last = None;
    for (node, address) in url.expose_secret().split(',').map(str::trim).enumerate() {
        let properties = ConnectionProperties::default().with_connection_name(name.into());
        match Connection::connect(address, properties).await {
            Ok(connection) => return Ok(connection),
            Err(error) => {
                tracing::warn!(node, %error, "RabbitMQ node unreachable; trying the next");
                last = Some(error);
            }
        }
    }
    Err(last.unwrap_or_else(|| lapin::ErrorKind::InvalidConnectionState(lapin::ConnectionState::Closed).into()))
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
