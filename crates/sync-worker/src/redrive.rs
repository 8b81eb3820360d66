//! `sync-worker redrive`: moves dead letters back to the contacts exchange, all of them or
//! those matching a reason code or a contact number, and prints the counts. Each message is
//! re-published with a broker confirm before it is acked, so a crash midway loses nothing;
//! dead letters that do not match go back to the tail of the dead-letter queue.

use lapin::{
    options::{BasicAckOptions, BasicGetOptions, ConfirmSelectOptions, QueueDeclareOptions},
    types::FieldTable,
};

use crate::deadletter;
use infra::{
    amqp::{Topology, connect},
    config::{AmqpArgs, TelemetryArgs},
};

#[derive(Debug, Clone, clap::Args)]
pub struct RedriveArgs {
    /// Only dead letters with this reason code (ours, e.g. `database` or `payload_not_a_contact`,
    /// or the broker's, e.g. `delivery_limit`).
    #[arg(long)]
    pub reason: Option<String>,
    /// Only dead letters of this contact number.
    #[arg(long)]
    pub contact_number: Option<String>,
    /// Report what would be moved without moving anything.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub amqp: AmqpArgs,
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

/// What a redrive did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RedriveReport {
    pub examined: u64,
    pub redriven: u64,
    pub kept: u64,
}

/// Examines every message in the dead-letter queue once.
pub async fn run(args: &RedriveArgs) -> anyhow::Result<RedriveReport> {
    let topology = Topology::new(args.amqp.amqp_name_prefix.clone());
    let connection = connect(&args.amqp.amqp_url, "sync-worker redrive").await?;
    let channel = connection.create_channel().await?;
    topology.declare(&channel).await?;
    channel.confirm_select(ConfirmSelectOptions::default()).await?;
    let queue = topology.dead_letter_queue();
    let waiting = channel
        .queue_declare(
            queue.as_str().into(),
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await?
        .message_count();
    let mut report = RedriveReport::default();
    for _ in 0..waiting {
        let Some(message) = channel
            .basic_get(queue.as_str().into(), BasicGetOptions { no_ack: false })
            .await?
        else {
            break;
        };
        let delivery = message.delivery;
        report.examined += 1;
        let headers = delivery.properties.headers().as_ref();
        let matches = args
            .reason
            .as_ref()
            .is_none_or(|r| deadletter::reason_code(headers).as_ref() == Some(r))
            && args
                .contact_number
                .as_ref()
                .is_none_or(|n| deadletter::contact_number(headers).as_ref() == Some(n));
        if matches && !args.dry_run {
            let routing_key = deadletter::original_routing_key(headers)
                .unwrap_or_else(|| model::bus::CONTACT_CHANGED_ROUTING_KEY.into());
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
