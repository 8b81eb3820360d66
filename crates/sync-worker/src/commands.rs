//! The command consumer: applies commands from `auth-gateway` (queue `sync-worker.commands`).
//! `SendMail` becomes an outbox row keyed by the command's mail id, so a redelivered command
//! queues one mail; the mailer sends it. A command that can never apply is dead-lettered with
//! its reason.

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
            match model::bus::SendMail::decode(delivery.data.as_slice()) {
                Ok(command) if valid(&command) => {
                    // Until the database answers, the command stays unacked and is redelivered.
                    let mut conn = self.pool.get().await?;
                    diesel::insert_into(mail_outbox::table)
                        .values((
                            mail_outbox::id.eq(uuid::Uuid::parse_str(&command.mail_id)?),
                            mail_outbox::contact_number.eq(&command.contact_number),
                            mail_outbox::recipient.eq(&command.recipient),
                            mail_outbox::template.eq(&command.template),
                            mail_outbox::payload
                                .eq(serde_json::json!({ "link": command.link, "locale": command.locale })),
                        ))
                        .on_conflict_do_nothing()
                        .execute(&mut conn)
                        .await?;
                }
                _ => {
                    tracing::warn!("Dead-lettering a command that can never apply");
                    let dlx = self.topology.dead_letter_exchange();
                    deadletter::publish(
                        &dead_letters,
                        &dlx,
                        &delivery,
                        "invalid_command",
                        "not a valid SendMail command",
                    )
                    .await?;
                }
            }
            delivery.ack(BasicAckOptions::default()).await?;
        }
    }
}

fn valid(command: &model::bus::SendMail) -> bool {
    uuid::Uuid::parse_str(&command.mail_id).is_ok()
        && model::ContactNumber::parse(command.contact_number.as_str()).is_ok()
        && model::Email::parse(command.recipient.as_str()).is_ok()
        && !command.template.is_empty()
}
