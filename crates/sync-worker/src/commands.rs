//! The command consumer: applies commands from `auth-gateway` (queue `sync-worker.commands`).
//! `SendMail` becomes an outbox row keyed by the command's mail id, so a redelivered command
//! queues one mail; the mailer sends it. `UpdateProfile` (routing key `profile.update`) changes
//! the contact mirror and queues the change for S-360 (`crate::profile`). A command that can
//! never apply is dead-lettered with its reason.

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
};
use infra::amqp::{Topology, connect_with_retry};

#[derive(Clone)]
pub struct CommandConsumer {
    pub amqp_url: SecretString,
    pub topology: Topology,
    pub pool: PgPool,
}

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
            // Until the database answers, a command stays unacked and is redelivered.
            let refused = match delivery.routing_key.as_str() {
                model::bus::UPDATE_PROFILE_ROUTING_KEY => self.update_profile(&delivery.data).await?,
                _ => self.send_mail(&delivery.data).await?,
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
