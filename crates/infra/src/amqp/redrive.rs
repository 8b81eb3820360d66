//! Listing and redriving the dead-letter queue: one implementation for `sync-worker redrive`
//! and the support console's sync page.
//!
//! Listing takes up to N messages with `basic.get` without acking them and then closes its
//! channel: the broker puts every unacked message back where it was (nothing is republished,
//! so nothing can be lost or reordered; the dead-letter queue has no delivery limit that
//! these returns could reach). Only headers are read: reason, code, contact number, message id,
//! never the payload.
//!
//! Redrive examines every message waiting once: a selected one is re-published to the
//! contacts exchange (its dead-lettering headers removed) with a broker confirm *before* it is
//! acked, so a crash midway loses nothing; the others go back to the tail of the dead-letter
//! queue, unchanged, also confirmed before the ack.

use lapin::{
    Channel,
    options::{BasicAckOptions, BasicGetOptions, ConfirmSelectOptions, QueueDeclareOptions},
    types::FieldTable,
};
use secrecy::SecretString;

use super::{Topology, connect, deadletter};

/// Which dead letters a redrive moves; every criterion given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Only these message ids (empty: any).
    pub message_ids: Vec<String>,
    /// Only this reason code (ours, e.g. `database`, or the broker's, e.g. `delivery_limit`).
    pub reason: Option<String>,
    /// Only dead letters of this contact number.
    pub contact_number: Option<String>,
}

impl Selection {
    fn matches(&self, letter: &DeadLetter) -> bool {
        (self.message_ids.is_empty()
            || letter
                .message_id
                .as_ref()
                .is_some_and(|id| self.message_ids.contains(id)))
            && self
                .reason
                .as_ref()
                .is_none_or(|r| letter.reason_code.as_ref() == Some(r))
            && self
                .contact_number
                .as_ref()
                .is_none_or(|n| letter.contact_number.as_ref() == Some(n))
    }
}

/// What a redrive did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RedriveReport {
    pub examined: u64,
    pub redriven: u64,
    pub kept: u64,
}

/// A dead letter as listed: its headers only, never its payload.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeadLetter {
    pub message_id: Option<String>,
    pub reason_code: Option<String>,
    pub reason: Option<String>,
    pub contact_number: Option<String>,
    pub routing_key: Option<String>,
}

impl DeadLetter {
    fn of(properties: &lapin::BasicProperties) -> Self {
        let headers = properties.headers().as_ref();
        Self {
            message_id: properties.message_id().as_ref().map(|id| id.as_str().to_owned()),
            reason_code: deadletter::reason_code(headers),
            reason: deadletter::reason(headers),
            contact_number: deadletter::contact_number(headers),
            routing_key: deadletter::original_routing_key(headers),
        }
    }
}

/// The first `limit` dead letters, and how many are waiting in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub waiting: u32,
    pub letters: Vec<DeadLetter>,
}

/// Lists up to `limit` dead letters without consuming any (see the module's comment).
pub async fn list(url: &SecretString, topology: &Topology, limit: u32, name: &str) -> anyhow::Result<Listing> {
    let connection = connect(url, name).await?;
    let channel = connection.create_channel().await?;
    let queue = topology.dead_letter_queue();
    let waiting = waiting(&channel, &queue).await?;
    let mut letters = Vec::new();
    while letters.len() < limit.min(waiting) as usize {
        let Some(message) = channel
            .basic_get(queue.as_str().into(), BasicGetOptions { no_ack: false })
            .await?
        else {
            break;
        };
        letters.push(DeadLetter::of(&message.delivery.properties));
    }
    // Closing the channel returns every unacked message to the queue, in its place.
    let _ = channel.close(200, "listed".into()).await;
    let _ = connection.close(200, "listed".into()).await;
    Ok(Listing { waiting, letters })
}

/// Moves the selected dead letters back to the contacts exchange (`fallback_routing_key` for
/// a dead letter that does not say where it came from); with `dry_run`, only counts them.
pub async fn redrive(
    url: &SecretString,
    topology: &Topology,
    selection: &Selection,
    dry_run: bool,
    fallback_routing_key: &str,
    name: &str,
) -> anyhow::Result<RedriveReport> {
    let connection = connect(url, name).await?;
    let channel = connection.create_channel().await?;
    topology.declare(&channel).await?;
    channel.confirm_select(ConfirmSelectOptions::default()).await?;
    let queue = topology.dead_letter_queue();
    let mut report = RedriveReport::default();
    for _ in 0..waiting(&channel, &queue).await? {
        let Some(message) = channel
            .basic_get(queue.as_str().into(), BasicGetOptions { no_ack: false })
            .await?
        else {
            break;
        };
        let delivery = message.delivery;
        report.examined += 1;
        let headers = delivery.properties.headers().as_ref();
        let matches = selection.matches(&DeadLetter::of(&delivery.properties));
        if matches && !dry_run {
            let routing_key = deadletter::original_routing_key(headers).unwrap_or_else(|| fallback_routing_key.into());
            let properties = delivery.properties.clone().with_headers(without_death(headers));
            deadletter::confirm(
                &channel,
                &topology.contacts_exchange(),
                &routing_key,
                &delivery.data,
                properties,
            )
            .await?;
            report.redriven += 1;
        } else {
            if matches {
                report.redriven += 1;
            } else {
                report.kept += 1;
            }
            // Back to the tail of the dead-letter queue, unchanged.
            deadletter::confirm(
                &channel,
                &topology.dead_letter_exchange(),
                delivery.routing_key.as_str(),
                &delivery.data,
                delivery.properties.clone(),
            )
            .await?;
        }
        delivery.acker.ack(BasicAckOptions::default()).await?;
    }
    let _ = connection.close(200, "redrive done".into()).await;
    Ok(report)
}

/// Messages ready in `queue`, by a passive declare.
async fn waiting(channel: &Channel, queue: &str) -> anyhow::Result<u32> {
    let passive = QueueDeclareOptions {
        passive: true,
        ..Default::default()
    };
    Ok(channel
        .queue_declare(queue.into(), passive, FieldTable::default())
        .await?
        .message_count())
}

/// The original headers without the dead-lettering ones, so a redriven message starts afresh.
fn without_death(headers: Option<&FieldTable>) -> FieldTable {
    let mut clean = FieldTable::default();
    if let Some(headers) = headers {
        for (key, value) in headers.inner() {
            let name = key.as_str();
            let dead = name == "x-death"
                || name.starts_with("x-first-death")
                || name.starts_with("x-last-death")
                || [
                    deadletter::REASON_CODE,
                    deadletter::REASON,
                    deadletter::ORIGINAL_EXCHANGE,
                    deadletter::ORIGINAL_ROUTING_KEY,
                ]
                .contains(&name);
            if !dead {
                clean.insert(key.clone(), value.clone());
            }
        }
    }
    clean
}
