//! The contact-event consumer: takes up to `batch_size` deliveries at a time from
//! `sync-worker.contacts`, applies them in one transaction and acks them together after the
//! commit. A database outage is waited out (the messages stay unacked, so they are neither
//! lost nor dead-lettered); a message that can never apply is copied to the dead-letter queue
//! with its reason, then acked.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use futures::{FutureExt, StreamExt};
use lapin::{
    Channel,
    message::Delivery,
    options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions, ConfirmSelectOptions},
    types::FieldTable,
};
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::{
    apply::{Applied, ContactEvent, DetectionRules},
    metrics::WorkerMetrics,
    writer::Writer,
};
use infra::amqp::{Topology, connect_with_retry, deadletter, propagation};

/// Everything the consumer needs.
#[derive(Clone)]
pub struct Consumer {
    pub amqp_url: SecretString,
    pub topology: Topology,
    pub prefetch: u16,
    pub batch_size: usize,
    pub rules: DetectionRules,
    pub writer: Writer,
    pub metrics: WorkerMetrics,
    /// True while a consumer is registered with the broker (read by `/readyz`).
    pub consuming: Arc<AtomicBool>,
}

impl Consumer {
    /// Consumes until `cancel` fires, reconnecting after broker failures.
    pub async fn run(self, cancel: CancellationToken) {
        while !cancel.is_cancelled() {
            let Some(connection) = connect_with_retry(&self.amqp_url, "sync-worker", &cancel).await else {
                break;
            };
            if let Err(error) = self.consume(&connection, &cancel).await {
                tracing::warn!(%error, "Consumer interrupted; reconnecting");
            }
            self.consuming.store(false, Ordering::Relaxed);
            let _ = connection.close(200, "worker stopping".into()).await;
        }
        tracing::info!("Consumer stopped");
    }

    async fn consume(&self, connection: &lapin::Connection, cancel: &CancellationToken) -> anyhow::Result<()> {
        let channel = connection.create_channel().await?;
        self.topology.declare(&channel).await?;
        // Per-consumer prefetch (global QoS on a quorum queue closes the connection).
        channel
            .basic_qos(self.prefetch, BasicQosOptions { global: false })
            .await?;
        let dead_letters = connection.create_channel().await?;
        dead_letters.confirm_select(ConfirmSelectOptions::default()).await?;
        let mut deliveries = channel
            .basic_consume(
                self.topology.worker_queue().as_str().into(),
                "sync-worker".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        self.consuming.store(true, Ordering::Relaxed);
        let sampler = tokio::spawn(sample_dead_letters(
            connection.create_channel().await?,
            self.topology.dead_letter_queue(),
            self.metrics.clone(),
        ));
        let _stop_sampler = AbortOnDrop(sampler);
        tracing::info!(queue = %self.topology.worker_queue(), prefetch = self.prefetch, batch_size = self.batch_size, "Consuming contact events");
        loop {
            let first = tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                next = deliveries.next() => match next {
                    Some(delivery) => delivery?,
                    None => return Ok(()),
                },
            };
            let mut batch = vec![first];
            // Take whatever the broker has already pushed, without waiting for more.
            while batch.len() < self.batch_size {
                match deliveries.next().now_or_never() {
                    Some(Some(delivery)) => batch.push(delivery?),
                    _ => break,
                }
            }
            let span = tracing::info_span!("contact.batch", size = batch.len());
            propagation::continue_trace(&span, batch[0].properties.headers().as_ref());
            let done = self.process(&dead_letters, &batch, cancel).instrument(span).await?;
            if !done {
                // Interrupted by shutdown: unacked messages go back to the queue on close.
                return Ok(());
            }
            let last = batch.last().map(|d| &d.acker);
            if let Some(acker) = last {
                acker.ack(BasicAckOptions { multiple: true }).await?;
            }
        }
    }

    /// Applies a batch; `Ok(false)` when shutdown interrupted it before the commit.
    async fn process(
        &self,
        dead_letters: &Channel,
        batch: &[Delivery],
        cancel: &CancellationToken,
    ) -> anyhow::Result<bool> {
        self.metrics.batch_size.observe(batch.len() as f64);
        let mut events = Vec::with_capacity(batch.len());
        let mut sources = Vec::with_capacity(batch.len());
        for delivery in batch {
            match ContactEvent::decode(&delivery.data, &self.rules) {
                Ok(event) => {
                    events.push(event);
                    sources.push(delivery);
                }
                Err(invalid) => {
                    tracing::warn!(code = invalid.code(), error = %invalid, "Dead-lettering a message that can never apply");
                    self.dead_letter(dead_letters, delivery, invalid.code(), &invalid.to_string())
                        .await?;
                }
            }
        }
        if events.is_empty() {
            return Ok(true);
        }
        let timer = self.metrics.apply_seconds.start_timer();
        let Some(results) = self.writer.write(&events, cancel).await else {
            timer.stop_and_discard();
            return Ok(false);
        };
        timer.observe_duration();
        let now = chrono::Utc::now();
        for ((event, delivery), result) in events.iter().zip(&sources).zip(results) {
            match result {
                Ok(applied) => {
                    let outcome = match applied {
                        Applied::Stale => "stale",
                        Applied::Written => event.lifecycle.state(),
                    };
                    self.metrics.events.with_label_values(&[outcome]).inc();
                    if let Some(received) = event.received_at {
                        let lag = (now - received).to_std().unwrap_or_default();
                        self.metrics.lag_seconds.observe(lag.as_secs_f64());
                    }
                }
                Err(reason) => {
                    tracing::warn!(event_id = %event.event_id, %reason, "Dead-lettering an event the database refuses");
                    self.dead_letter(dead_letters, delivery, "database", &reason).await?;
                }
            }
        }
        Ok(true)
    }

    async fn dead_letter(
        &self,
        channel: &Channel,
        delivery: &Delivery,
        code: &str,
        reason: &str,
    ) -> anyhow::Result<()> {
        deadletter::publish(channel, &self.topology.dead_letter_exchange(), delivery, code, reason).await?;
        self.metrics.events.with_label_values(&["dead_lettered"]).inc();
        Ok(())
    }
}

/// Every few seconds, records how many messages wait in the dead-letter queue.
async fn sample_dead_letters(channel: Channel, queue: String, metrics: WorkerMetrics) {
    let passive = lapin::options::QueueDeclareOptions {
        passive: true,
        ..Default::default()
    };
    loop {
        match channel
            .queue_declare(queue.as_str().into(), passive, FieldTable::default())
            .await
        {
            Ok(state) => metrics.dead_letters.set(i64::from(state.message_count())),
            Err(error) => {
                tracing::debug!(%error, "Cannot sample the dead-letter queue");
                return;
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }
}

/// Stops a background task when the scope that started it ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
