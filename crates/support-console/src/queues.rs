//! Queue depths and consumer counts for the sync page, by a passive declare of each of the
//! worker's queues (nothing is created or consumed): the contacts to apply, the commands (mail,
//! profile changes) and the dead letters. A queue that does not exist shows as absent.

use std::time::Duration;

use lapin::{options::QueueDeclareOptions, types::FieldTable};
use secrecy::SecretString;

/// How long the broker may take to answer, so the page never hangs on it.
pub const TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueState {
    pub name: String,
    /// `None` when the queue does not exist.
    pub depth: Option<(u32, u32)>,
}

/// Each queue's `(messages ready, consumers)`; `Err` when the broker cannot be reached.
pub async fn depths(url: &SecretString, topology: &infra::amqp::Topology) -> Result<Vec<QueueState>, String> {
    tokio::time::timeout(TIMEOUT, read(url, topology))
        .await
        .map_err(|_| "timed out".to_owned())?
}

async fn read(url: &SecretString, topology: &infra::amqp::Topology) -> Result<Vec<QueueState>, String> {
    let connection = infra::amqp::connect(url, "support-console")
        .await
        .map_err(|e| e.to_string())?;
    let mut states = Vec::new();
    for name in [
        topology.worker_queue(),
        topology.commands_queue(),
        topology.dead_letter_queue(),
    ] {
        // A passive declare of a missing queue closes its channel: one channel per queue.
        let channel = connection.create_channel().await.map_err(|e| e.to_string())?;
        let passive = QueueDeclareOptions {
            passive: true,
            ..Default::default()
        };
        let depth = channel
            .queue_declare(name.as_str().into(), passive, FieldTable::default())
            .await
            .ok()
            .map(|queue| (queue.message_count(), queue.consumer_count()));
        let _ = channel.close(200, "done".into()).await;
        states.push(QueueState { name, depth });
    }
    let _ = connection.close(200, "done".into()).await;
    Ok(states)
}
