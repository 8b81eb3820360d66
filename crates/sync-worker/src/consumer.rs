//! The contact-event consumer: reads `sync-worker.contacts`, applies each event in its own
//! transaction and acks only after the commit. A database outage is waited out with back-off
//! (the message stays unacked, so it is neither lost nor dead-lettered); a message that can
//! never apply is rejected and dead-lettered by the broker.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use diesel_async::AsyncConnection;
use futures::StreamExt;
use lapin::{
    message::Delivery,
    options::{BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions},
    types::FieldTable,
};
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::{
    apply::{self, Applied, ContactEvent},
    db::PgPool,
    metrics::WorkerMetrics,
};
use infra::amqp::{Topology, connect_with_retry, propagation};

/// Everything the consumer needs.
#[derive(Clone)]
pub struct Consumer {
    pub amqp_url: SecretString,
    pub topology: Topology,
    pub prefetch: u16,
    pub pool: PgPool,
    pub metrics: WorkerMetrics,
    /// True while a consumer is registered with the broker (read by `/readyz`).
    pub consuming: Arc<AtomicBool>,
}

enum Outcome {
    /// Committed or known stale: ack.
    Done,
    /// Can never apply: reject without requeue, the broker dead-letters it.
    Invalid,
    /// Shutdown interrupted a retry: leave unacked, the broker redelivers it.
    Interrupted,
}

impl Consumer {
    /// Consumes until `cancel` fires, reconnecting after broker failures.
    pub async fn run(self, cancel: CancellationToken) {
        while !cancel.is_cancelled() {
            let Some(connection) = connect_with_retry(&self.amqp_url, "sync-worker", &cancel).await
            else {
                break;
            };
            match self.consume(&connection, &cancel).await {
                Ok(()) => {}
                Err(error) => tracing::warn!(%error, "Consumer interrupted; reconnecting"),
            }
            self.consuming.store(false, Ordering::Relaxed);
            let _ = connection.close(200, "worker stopping".into()).await;
        }
        tracing::info!("Consumer stopped");
    }

    async fn consume(
        &self,
        connection: &lapin::Connection,
        cancel: &CancellationToken,
    ) -> lapin::Result<()> {
        let channel = connection.create_channel().await?;
        self.topology.declare(&channel).await?;
        // Per-consumer prefetch (global QoS on a quorum queue closes the connection).
        channel
            .basic_qos(self.prefetch, BasicQosOptions { global: false })
            .await?;
        let mut deliveries = channel
            .basic_consume(
                self.topology.worker_queue().as_str().into(),
                "sync-worker".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        self.consuming.store(true, Ordering::Relaxed);
        tracing::info!(queue = %self.topology.worker_queue(), prefetch = self.prefetch, "Consuming contact events");
        loop {
            let delivery = tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                next = deliveries.next() => match next {
                    Some(delivery) => delivery?,
                    None => return Ok(()),
                },
            };
            self.handle(delivery, cancel).await?;
        }
    }

    async fn handle(&self, delivery: Delivery, cancel: &CancellationToken) -> lapin::Result<()> {
        let span = tracing::info_span!(
            "contact.apply",
            event_id = tracing::field::Empty,
            outcome = tracing::field::Empty
        );
        propagation::continue_trace(&span, delivery.properties.headers().as_ref());
        let outcome = self
            .process(&delivery.data, cancel)
            .instrument(span.clone())
            .await;
        match outcome {
            Outcome::Done => delivery.ack(BasicAckOptions::default()).await.map(drop),
            Outcome::Invalid => delivery
                .nack(BasicNackOptions {
                    requeue: false,
                    ..Default::default()
                })
                .await
                .map(drop),
            Outcome::Interrupted => Ok(()),
        }
    }

    async fn process(&self, data: &[u8], cancel: &CancellationToken) -> Outcome {
        let event = match ContactEvent::decode(data) {
            Ok(event) => event,
            Err(error) => {
                tracing::warn!(%error, "Rejecting a contact event that can never apply");
                self.metrics.events.with_label_values(&["invalid"]).inc();
                return Outcome::Invalid;
            }
        };
        tracing::Span::current().record("event_id", tracing::field::display(event.event_id));
        let mut delay = Duration::from_millis(100);
        loop {
            let timer = self.metrics.apply_seconds.start_timer();
            match self.apply_once(&event).await {
                Ok(applied) => {
                    timer.observe_duration();
                    let outcome = match applied {
                        Applied::Written => "written",
                        Applied::Stale => "stale",
                    };
                    self.metrics.events.with_label_values(&[outcome]).inc();
                    tracing::Span::current().record("outcome", outcome);
                    tracing::debug!(contact_number = %event.contact.contact_number, outcome, "Contact event applied");
                    return Outcome::Done;
                }
                Err(error) => {
                    timer.stop_and_discard();
                    self.metrics.retries.inc();
                    tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "Database unavailable; retrying");
                }
            }
            tokio::select! {
                _ = cancel.cancelled() => return Outcome::Interrupted,
                _ = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }

    async fn apply_once(&self, event: &ContactEvent) -> anyhow::Result<Applied> {
        let mut conn = self.pool.get().await?;
        let applied = conn
            .transaction(async |tx| apply::apply_contact(tx, event).await)
            .await?;
        Ok(applied)
    }
}
