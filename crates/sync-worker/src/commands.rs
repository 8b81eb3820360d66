//! The command consumer: applies commands from `auth-gateway` (queue `sync-worker.commands`).
//! `SendMail` becomes an outbox row keyed by the command's mail id, so a redelivered command
//! queues one mail; the mailer sends it. `UpdateProfile` (routing key `profile.update`) changes
//! the contact mirror and queues the change for S-360 (`crate::profile`). `ReconcileContact`
//! (routing key `contact.reconcile`, from the support console) reconciles one contact with S-360
//! ([`crate::reconcile`]); `ReplayRequest` (routing key `replay.request`, also from the console)
//! starts a replay (`crate::replay_command`). A command that can never apply is dead-lettered
//! with its reason. Failures are held unacked and retried in place
//! (back-off from 100 ms to 5 s): handing a command back to the broker would count a delivery
//! each time, and past the queue's delivery limit the broker would dead-letter a valid command.
//! A database outage is waited out (counted in `sync_worker_database_retries_total`); with the
//! database up, an integrity violation is dead-lettered at once and any other failure (a
//! deadlock, a read-only failover, a full disk) after [`ATTEMPTS_WITH_DATABASE_UP`] attempts.
//! A command is held [`LONGEST_HOLD`] at most, below the broker's consumer timeout; then it goes
//! back to the queue.

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

use crate::metrics::WorkerMetrics;
use infra::amqp::deadletter;
use infra::amqp::{Topology, connect_with_retry};
use store::{PgPool, schema::mail_outbox};

#[derive(Clone)]
pub struct CommandConsumer {
    pub amqp_url: SecretString,
    pub topology: Topology,
    pub pool: PgPool,
    pub metrics: WorkerMetrics,
    /// Reconciles a contact on request; `None` without the contact API (`SECUTIX_API_URL`).
    pub reconciler: Option<crate::reconcile::Reconciler>,
    /// The detection rules a requested replay applies events with.
    pub rules: crate::apply::DetectionRules,
}

/// Attempts of a command that fails while the database answers, before it is dead-lettered.
pub const ATTEMPTS_WITH_DATABASE_UP: u32 = 10;
/// How long a command is held through failures before it goes back to the queue (RabbitMQ
/// closes a channel that holds a delivery past its `consumer_timeout`, 30 minutes by default).
pub const LONGEST_HOLD: std::time::Duration = std::time::Duration::from_secs(20 * 60);

/// What became of one command.
enum Handled {
    Applied,
    /// It can never apply: dead-letter it with this reason.
    Refused(&'static str),
    /// Held past [`LONGEST_HOLD`]: back to the queue.
    GiveBack(anyhow::Error),
    Cancelled,
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
            match self.apply(&delivery, cancel).await {
                Handled::Applied => {}
                Handled::Refused(reason) => {
                    tracing::warn!(reason, "Dead-lettering a command that can never apply");
                    let dlx = self.topology.dead_letter_exchange();
                    deadletter::publish(&dead_letters, &dlx, &delivery, "invalid_command", reason).await?;
                }
                // Closing the channel returns the unacked command to the queue.
                Handled::GiveBack(error) => return Err(error.context("a command failed for too long")),
                Handled::Cancelled => return Ok(()),
            }
            delivery.ack(BasicAckOptions::default()).await?;
        }
    }
}

impl CommandConsumer {
    /// Applies one command, holding it through failures (see the module documentation).
    async fn apply(&self, delivery: &lapin::message::Delivery, cancel: &CancellationToken) -> Handled {
        let started = std::time::Instant::now();
        let mut delay = std::time::Duration::from_millis(100);
        let mut failures_with_database_up = 0;
        loop {
            let outcome = match delivery.routing_key.as_str() {
                model::bus::UPDATE_PROFILE_ROUTING_KEY => self.update_profile(&delivery.data).await,
                model::bus::RECONCILE_CONTACT_ROUTING_KEY => self.reconcile_contact(&delivery.data, cancel),
                model::bus::REPLAY_REQUEST_ROUTING_KEY => self.replay_requested(&delivery.data, cancel).await,
                _ => self.send_mail(&delivery.data).await,
            };
            let error = match outcome {
                Ok(None) => return Handled::Applied,
                Ok(Some(reason)) => return Handled::Refused(reason),
                Err(error) => error,
            };
            if store::ping(&self.pool).await.is_ok() {
                if is_integrity_violation(&error) {
                    tracing::warn!(%error, "The database refuses the command");
                    return Handled::Refused("the database refuses it (integrity violation)");
                }
                failures_with_database_up += 1;
                tracing::warn!(%error, attempt = failures_with_database_up, "Command failed with the database up");
                if failures_with_database_up >= ATTEMPTS_WITH_DATABASE_UP {
                    return Handled::Refused("failed repeatedly with the database up");
                }
            } else {
                self.metrics.retries.inc();
                tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "Database unavailable; command held");
            }
            if started.elapsed() >= LONGEST_HOLD {
                return Handled::GiveBack(error);
            }
            tokio::select! {
                _ = cancel.cancelled() => return Handled::Cancelled,
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
                // Empty for an account that has no S-360 contact yet (a fan who just signed up).
                mail_outbox::contact_number.eq(Some(command.contact_number.as_str()).filter(|n| !n.is_empty())),
                mail_outbox::recipient.eq(&command.recipient),
                mail_outbox::template.eq(&command.template),
                mail_outbox::payload.eq(serde_json::json!({
                    "link": command.link, "locale": command.locale, "reference": command.reference
                })),
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

impl CommandConsumer {
    /// Starts reconciling one contact (see [`crate::reconcile`]); `Some(reason)` when the
    /// command can never apply. The call waits its turn in the shared S-360 budget, which an
    /// import may have reserved minutes ahead: it runs beside the consumer, so mails and profile
    /// changes are not held behind it. A worker stopped meanwhile drops the request (the
    /// console's page shows no newer check; staff ask again).
    fn reconcile_contact(&self, data: &[u8], cancel: &CancellationToken) -> anyhow::Result<Option<&'static str>> {
        let command = match model::bus::ReconcileContact::decode(data) {
            Ok(command) if model::ContactNumber::parse(command.contact_number.as_str()).is_ok() => command,
            _ => return Ok(Some("not a valid ReconcileContact command")),
        };
        let Some(reconciler) = self.reconciler.clone() else {
            return Ok(Some("the S-360 contact API is not configured (SECUTIX_API_URL)"));
        };
        let cancel = cancel.clone();
        tokio::spawn(async move {
            let contact_number = command.contact_number;
            match reconciler
                .reconcile(Some(vec![contact_number.clone()]), 1, false, &cancel)
                .await
            {
                Ok(report) => tracing::info!(
                    %contact_number,
                    in_step = report.in_step,
                    errors = report.errors,
                    "Contact reconciled on request"
                ),
                Err(error) => tracing::warn!(%contact_number, %error, "Contact not reconciled on request"),
            }
        });
        Ok(None)
    }
}

fn valid(command: &model::bus::SendMail) -> bool {
    uuid::Uuid::parse_str(&command.mail_id).is_ok()
        && (command.contact_number.is_empty() || model::ContactNumber::parse(command.contact_number.as_str()).is_ok())
        && model::Email::parse(command.recipient.as_str()).is_ok()
        && !command.template.is_empty()
}

/// Whether PostgreSQL refused the command's data itself (a constraint), which no retry changes.
fn is_integrity_violation(error: &anyhow::Error) -> bool {
    use diesel::result::{DatabaseErrorKind as Kind, Error};
    matches!(
        error.downcast_ref::<Error>(),
        Some(Error::DatabaseError(
            Kind::UniqueViolation
                | Kind::ForeignKeyViolation
                | Kind::NotNullViolation
                | Kind::CheckViolation
                | Kind::RestrictViolation
                | Kind::ExclusionViolation,
            _
        ))
    )
}

#[cfg(test)]
mod tests {
    use diesel::result::{DatabaseErrorKind as Kind, Error};

    use super::*;

    fn database_error(kind: Kind) -> anyhow::Error {
        Error::DatabaseError(kind, Box::new(String::from("refused"))).into()
    }

    #[test]
    fn only_constraint_violations_are_final() {
        assert!(is_integrity_violation(&database_error(Kind::UniqueViolation)));
        assert!(is_integrity_violation(&database_error(Kind::CheckViolation)));
        let wrapped = database_error(Kind::ForeignKeyViolation).context("while applying");
        assert!(is_integrity_violation(&wrapped));
        for transient in [
            Kind::SerializationFailure,
            Kind::ReadOnlyTransaction,
            Kind::ClosedConnection,
            Kind::Unknown,
        ] {
            assert!(!is_integrity_violation(&database_error(transient)), "{transient:?}");
        }
        assert!(!is_integrity_violation(&anyhow::anyhow!("pool timed out")));
    }
}
