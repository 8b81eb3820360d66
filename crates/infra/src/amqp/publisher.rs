//! A publisher that cannot lie: every message is persistent and mandatory, every publish waits
//! for the broker's confirm under a timeout, and success means "acked and not returned".
//!
//! The connection is owned here and re-opened on demand after any failure, so a broker restart
//! heals without restarting the process. Several confirm-mode channels are used round-robin so
//! concurrent requests do not queue behind one channel.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use futures::future::join_all;
use lapin::{
    BasicProperties, Channel, Confirmation, Connection,
    options::{BasicPublishOptions, ConfirmSelectOptions},
    types::FieldTable,
};
use secrecy::SecretString;
use tokio::sync::Mutex;

use super::{Topology, connect};

/// AMQP delivery mode 2: the broker writes the message to disk before confirming it.
const PERSISTENT: u8 = 2;

/// One message to publish.
#[derive(Debug, Clone)]
pub struct OutgoingMessage {
    pub exchange: String,
    pub routing_key: String,
    pub payload: Vec<u8>,
    /// Stable id of the event; consumers and the broker's tooling show it.
    pub message_id: String,
    /// Seconds since the Unix epoch.
    pub timestamp: u64,
    pub content_type: &'static str,
    pub headers: FieldTable,
}

/// Tuning of a [`Publisher`].
#[derive(Debug, Clone)]
pub struct PublisherOptions {
    /// Shown in the broker's management UI.
    pub connection_name: String,
    /// Confirm-mode channels used round-robin.
    pub channels: usize,
    /// Longest wait for the broker to confirm a batch (a closing connection can leave a
    /// confirm pending forever).
    pub confirm_timeout: Duration,
    /// Longest wait to open a connection.
    pub connect_timeout: Duration,
    /// After a failed connection attempt, publishes fail fast for this long instead of each
    /// waiting for its own attempt.
    pub reconnect_backoff: Duration,
}

impl Default for PublisherOptions {
    fn default() -> Self {
        Self {
            connection_name: "secutix-bridge".into(),
            channels: 4,
            confirm_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(3),
            reconnect_backoff: Duration::from_millis(500),
        }
    }
}

/// Why a batch was not confirmed. Every variant means "not durably accepted: send again".
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("the broker is unavailable: {0}")]
    Unavailable(String),
    #[error("the broker did not confirm within {0:?}")]
    Timeout(Duration),
    #[error("the broker refused a message (nack)")]
    Nacked,
    #[error("a message could not be routed to any queue ({0})")]
    Unroutable(String),
}

struct Live {
    connection: Connection,
    channels: Vec<Channel>,
    next: AtomicUsize,
}

impl Live {
    fn healthy(&self) -> bool {
        self.connection.status().connected() && self.channels.iter().all(|c| c.status().connected())
    }

    fn channel(&self) -> &Channel {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.channels.len();
        &self.channels[index]
    }
}

enum State {
    Connected(Arc<Live>),
    Down { retry_at: Instant, reason: String },
}

/// See the module documentation.
pub struct Publisher {
    url: SecretString,
    topology: Topology,
    options: PublisherOptions,
    state: Mutex<State>,
    /// The healthy connection, read without waiting: the per-publish fast path. Only the
    /// holder of `state` sets or clears it.
    current: std::sync::RwLock<Option<Arc<Live>>>,
}

impl Publisher {
    /// Creates the publisher without connecting: the first publish (or [`Self::ensure_connected`])
    /// connects and declares the topology.
    pub fn new(url: SecretString, topology: Topology, options: PublisherOptions) -> Self {
        let state = State::Down {
            retry_at: Instant::now(),
            reason: "not connected yet".into(),
        };
        Self {
            url,
            topology,
            options,
            state: Mutex::new(state),
            current: std::sync::RwLock::new(None),
        }
    }

    /// Connects now if not connected; `Err` says why the broker is unavailable.
    pub async fn ensure_connected(&self) -> Result<(), PublishError> {
        self.live().await.map(|_| ())
    }

    /// Publishes every message and waits for all confirms. `Ok` only when each message was
    /// acked by the broker and none was returned as unroutable.
    pub async fn publish_all(&self, messages: Vec<OutgoingMessage>) -> Result<(), PublishError> {
        if messages.is_empty() {
            return Ok(());
        }
        let live = self.live().await?;
        let timeout = self.options.confirm_timeout;
        let outcome = tokio::time::timeout(timeout, publish_and_confirm(live.channel(), messages)).await;
        let outcome = outcome.unwrap_or(Err(PublishError::Timeout(timeout)));
        if matches!(outcome, Err(PublishError::Unavailable(_) | PublishError::Timeout(_))) {
            self.invalidate(&live).await;
        }
        outcome
    }

    /// The connection, opened or re-opened as needed. While it is healthy, callers only read
    /// [`Self::current`]; otherwise one caller reconnects at a time and the others wait for its
    /// result.
    async fn live(&self) -> Result<Arc<Live>, PublishError> {
        if let Some(live) = self.cached()
            && live.healthy()
        {
            return Ok(live);
        }
        let mut state = self.state.lock().await;
        match &*state {
            State::Connected(live) if live.healthy() => return Ok(live.clone()),
            State::Down { retry_at, reason } if Instant::now() < *retry_at => {
                return Err(PublishError::Unavailable(reason.clone()));
            }
            _ => {}
        }
        match tokio::time::timeout(self.options.connect_timeout, self.open()).await {
            Ok(Ok(live)) => {
                tracing::info!(connection = %self.options.connection_name, "Connected to RabbitMQ");
                let live = Arc::new(live);
                *state = State::Connected(live.clone());
                self.cache(Some(live.clone()));
                Ok(live)
            }
            failed => {
                let reason = match failed {
                    Ok(Err(error)) => error.to_string(),
                    _ => "connection attempt timed out".to_owned(),
                };
                tracing::warn!(%reason, "RabbitMQ unavailable");
                self.cache(None);
                *state = State::Down {
                    retry_at: Instant::now() + self.options.reconnect_backoff,
                    reason: reason.clone(),
                };
                Err(PublishError::Unavailable(reason))
            }
        }
    }

    async fn open(&self) -> lapin::Result<Live> {
        let connection = connect(&self.url, &self.options.connection_name).await?;
        let setup = connection.create_channel().await?;
        self.topology.declare(&setup).await?;
        let _ = setup.close(200, "topology declared".into()).await;
        let mut channels = Vec::with_capacity(self.options.channels.max(1));
        for _ in 0..self.options.channels.max(1) {
            let channel = connection.create_channel().await?;
            channel.confirm_select(ConfirmSelectOptions::default()).await?;
            channels.push(channel);
        }
        Ok(Live {
            connection,
            channels,
            next: AtomicUsize::new(0),
        })
    }

    /// Drops a failed connection so the next publish opens a fresh one.
    async fn invalidate(&self, failed: &Arc<Live>) {
        let mut state = self.state.lock().await;
        if let State::Connected(current) = &*state
            && Arc::ptr_eq(current, failed)
        {
            self.cache(None);
            *state = State::Down {
                retry_at: Instant::now(),
                reason: "the previous connection failed".into(),
            };
            let failed = failed.clone();
            tokio::spawn(async move {
                let _ = failed.connection.close(320, "reconnecting".into()).await;
            });
        }
    }

    fn cached(&self) -> Option<Arc<Live>> {
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn cache(&self, live: Option<Arc<Live>>) {
        *self.current.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = live;
    }

    /// Whether a healthy connection is open right now (used by `/readyz`).
    pub async fn is_connected(&self) -> bool {
        matches!(&*self.state.lock().await, State::Connected(live) if live.healthy())
    }
}

/// Pipelines every publish on one channel, then awaits all confirms together.
async fn publish_and_confirm(channel: &Channel, messages: Vec<OutgoingMessage>) -> Result<(), PublishError> {
    let mut confirms = Vec::with_capacity(messages.len());
    for message in messages {
        let properties = BasicProperties::default()
            .with_delivery_mode(PERSISTENT)
            .with_message_id(message.message_id.into())
            .with_timestamp(message.timestamp)
            .with_content_type(message.content_type.into())
            .with_headers(message.headers);
        let options = BasicPublishOptions {
            mandatory: true,
            ..Default::default()
        };
        let confirm = channel
            .basic_publish(
                message.exchange.as_str().into(),
                message.routing_key.as_str().into(),
                options,
                &message.payload,
                properties,
            )
            .await
            .map_err(|e| PublishError::Unavailable(e.to_string()))?;
        confirms.push(confirm);
    }
    for confirmation in join_all(confirms).await {
        match confirmation.map_err(|e| PublishError::Unavailable(e.to_string()))? {
            Confirmation::Ack(None) => {}
            Confirmation::Ack(Some(returned)) => {
                return Err(PublishError::Unroutable(returned.reply_text.to_string()));
            }
            Confirmation::Nack(_) => return Err(PublishError::Nacked),
            Confirmation::NotRequested => {
                return Err(PublishError::Unavailable("channel is not in confirm mode".into()));
            }
        }
    }
    Ok(())
}
