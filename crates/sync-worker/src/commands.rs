//! The command consumer: applies commands from `auth-gateway` (queue `sync-worker.commands`).
//! `SendMail` becomes an outbox row keyed by the command's mail id, so a redelivered command
//! queues one mail; the mailer sends it. `UpdateProfile` (routing key `profile.update`) changes
//! the contact mirror and queues the change for S-360 (`crate::profile`). A command that can
//! never apply is dead-lettered with its reason. A database outage is waited out with the
//! command held unacked (back-off from 100 ms to 5 s, counted in
//! `sync_worker_database_retries_total`): handing it back to the broker instead would count a
//! delivery each time, and past the queue's delivery limit the broker would dead-letter a valid
//! command.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures::StreamExt;
use lapin::{
    options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions, ConfirmSelectOptions},
    types::FieldTable,
};
use prost::Message;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

use crate::{
    db::{PgPool, schema::mail_outbox},
    deadletter,
    metrics::WorkerMetrics,
};
use infra::amqp::{Topology, connect_with_retry};

#[derive(Clone)]
pub struct CommandConsumer {
    pub amqp_url: SecretString,
    pub topology: Topology,
    pub pool: PgPool,
    pub metrics: WorkerMetrics,
}

/// Attempts of a command that fails while the database answers, before it is dead-lettered.
const ATTEMPTS_WITH_DATABASE_UP: u32 = 3;

impl CommandConsumer {
    pub async fn run(self, cancel: CancellationToken) {
        while !cancel.is_cancelled() {
            let Some(connection) = connect_with_retry(&self.amqp_url, "sync-worker commands", &cancel).await else {
                break;
            };
            if let Err(error) = self.consume(&connection, &cancel).await {
                tracing::warn!(%error, "Command consumer interrupted; reconnecting");
            }
            let _ = connection.close(200, "worker stopping".into()).await;
        }
    }

    async fn consume(&self, connection: &lapin::Connection, cancel: &CancellationToken) -> anyhow::Result<()> {
        let channel = connection.create_channel().await?;
        self.topology.declare(&channel).await?;
        channel.basic_qos(16, BasicQosOptions { global: false }).await?;
        let dead_letters = connection.create_channel().await?;
        dead_letters.confirm_select(ConfirmSelectOptions::default()).await?;
        let mut deliveries = channel
            .basic_consume(
                self.topology.commands_queue().as_str().into(),
                "sync-worker-commands".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        loop {
            let delivery = tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                next = deliveries.next() => match next {
                    Some(delivery) => delivery?,
                    None => return Ok(()),
                },
            };
            let Some(refused) = self.apply(&delivery, cancel).await else {
                // Shutting down: the unacked command goes back to the queue on close.
                return Ok(());
            };
            if let Some(reason) = refused {
                tracing::warn!(reason, "Dead-lettering a command that can never apply");
                let dlx = self.topology.dead_letter_exchange();
                deadletter::publish(&dead_letters, &dlx, &delivery, "invalid_command", reason).await?;
            }
            delivery.ack(BasicAckOptions::default()).await?;
        }
    }
}

impl CommandConsumer {
    /// Applies one command, waiting out a database outage; `Some(Some(reason))` when it can
    /// never apply, `None` when cancelled meanwhile.
    async fn apply(
        &self,
        delivery: &lapin::message::Delivery,
        cancel: &CancellationToken,
    ) -> Option<Option<&'static str>> {
        let mut delay = std::time::Duration::from_millis(100);
        let mut failures_with_database_up = 0;
        loop {
            let outcome = match delivery.routing_key.as_str() {
                model::bus::UPDATE_PROFILE_ROUTING_KEY => self.update_profile(&delivery.data).await,
                _ => self.send_mail(&delivery.data).await,
            };
            let error = match outcome {
                Ok(refused) => return Some(refused),
                Err(error) => error,
            };
            if crate::db::ping(&self.pool).await.is_ok() {
                failures_with_database_up += 1;
                tracing::warn!(%error, attempt = failures_with_database_up, "Command failed with the database up");
                if failures_with_database_up >= ATTEMPTS_WITH_DATABASE_UP {
                    return Some(Some("failed with the database up"));
                }
            } else {
                self.metrics.retries.inc();
                tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "Database unavailable; command held");
            }
            tokio::select! {
                _ = cancel.cancelled() => return None,
                _ = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(std::time::Duration::from_secs(5));
        }
    }

    /// Queues a mail; `Some(reason)` when the command can never apply.
    async fn send_mail(&self, data: &[u8]) -> anyhow::Result<Option<&'static str>> {
        let command = match model::bus::SendMail::decode(data) {
            Ok(command) if valid(&command) => command,
            _ => return Ok(Some("not a valid SendMail command")),
        };
        let mut conn = self.pool.get().await?;
        diesel::insert_into(mail_outbox::table)
            .values((
                mail_outbox::id.eq(uuid::Uuid::parse_str(&command.mail_id)?),
                mail_outbox::contact_number.eq(&command.contact_number),
                mail_outbox::recipient.eq(&command.recipient),
                mail_outbox::template.eq(&command.template),
                mail_outbox::payload.eq(serde_json::json!({ "link": command.link, "locale": command.locale })),
            ))
            .on_conflict_do_nothing()
            .execute(&mut conn)
            .await?;
        Ok(None)
    }

    /// Applies a profile change (see [`crate::profile`]); `Some(reason)` when it can never apply.
    async fn update_profile(&self, data: &[u8]) -> anyhow::Result<Option<&'static str>> {
        let command = match model::bus::UpdateProfile::decode(data) {
            Ok(command) if crate::profile::validate(&command).is_ok() => command,
            _ => return Ok(Some("not a valid UpdateProfile command")),
        };
        let mut conn = self.pool.get().await?;
        let outcome = crate::profile::apply(&mut conn, &command).await?;
        let contact_number = command.contact_number.as_str();
        tracing::info!(%contact_number, ?outcome, "Profile update");
        Ok(None)
    }
}

fn valid(command: &model::bus::SendMail) -> bool {
    uuid::Uuid::parse_str(&command.mail_id).is_ok()
        && model::ContactNumber::parse(command.contact_number.as_str()).is_ok()
        && model::Email::parse(command.recipient.as_str()).is_ok()
        && !command.template.is_empty()
}
