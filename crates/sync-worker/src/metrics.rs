//! Prometheus metrics of the worker.

use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry};

#[derive(Clone)]
pub struct WorkerMetrics {
    /// Contact events by outcome: `active` (an update written), `merged`, `anonymised`,
    /// `stale` (outranked by the stored contact: duplicate, late or after a tombstone),
    /// `dead_lettered`.
    pub events: IntCounterVec,
    /// Database attempts that failed because the database was unavailable, and were retried.
    pub retries: IntCounter,
    /// Time to apply one batch, transaction included.
    pub apply_seconds: Histogram,
    /// Events per batch.
    pub batch_size: Histogram,
    /// From the webhook's receipt of a contact to the commit of its event.
    pub lag_seconds: Histogram,
    /// Messages waiting in the dead-letter queue (sampled).
    pub dead_letters: IntGauge,
    /// Outcomes of the work done through the S-360 contact API, by task (`link`, `writeback`,
    /// `reconcile`) and outcome.
    pub secutix: IntCounterVec,
    /// 1 while this replica holds the cluster's leader lease (it runs the scheduled jobs).
    pub leader: IntGauge,
    /// Sign-up accounts given their S-360 contact, by how (`by`: `sso_link`, `email_match`,
    /// `api_created`).
    pub accounts_attached: IntCounterVec,
    /// Other outcomes of the contact-creation work (`outcome`: `ambiguous`, left to an
    /// operator; `failed`, refused by S-360; `waiting`, for the shop's contact; `retry`).
    pub contact_creations: IntCounterVec,
}

impl WorkerMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let events = IntCounterVec::new(
            Opts::new("sync_worker_contact_events_total", "Contact events by outcome"),
            &["outcome"],
        )?;
        let retries = IntCounter::new(
            "sync_worker_database_retries_total",
            "Database attempts retried during an outage",
        )?;
        let apply_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "sync_worker_apply_seconds",
                "Time to apply one batch, transaction included",
            )
            .buckets(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5]),
        )?;
        let batch_size = Histogram::with_opts(
            HistogramOpts::new("sync_worker_batch_size", "Events per applied batch")
                .buckets(vec![1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0]),
        )?;
        let lag_seconds = Histogram::with_opts(
            HistogramOpts::new("sync_worker_apply_lag_seconds", "From webhook receipt to commit").buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0,
            ]),
        )?;
        let dead_letters = IntGauge::new("sync_worker_dead_letter_messages", "Messages in the dead-letter queue")?;
        let leader = IntGauge::new("sync_worker_leader", "1 while this replica holds the leader lease")?;
        let secutix = IntCounterVec::new(
            Opts::new(
                "sync_worker_secutix_outcomes_total",
                "Work done through the S-360 contact API, by task and outcome",
            ),
            &["task", "outcome"],
        )?;
        let accounts_attached = IntCounterVec::new(
            Opts::new(
                "sync_worker_accounts_attached_total",
                "Sign-up accounts given their S-360 contact, by how",
            ),
            &["by"],
        )?;
        let contact_creations = IntCounterVec::new(
            Opts::new(
                "sync_worker_contact_creations_total",
                "Contact creations for sign-up accounts that did not attach, by outcome",
            ),
            &["outcome"],
        )?;
        for collector in [
            Box::new(secutix.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(accounts_attached.clone()),
            Box::new(contact_creations.clone()),
            Box::new(events.clone()),
            Box::new(retries.clone()),
            Box::new(apply_seconds.clone()),
            Box::new(batch_size.clone()),
            Box::new(lag_seconds.clone()),
            Box::new(dead_letters.clone()),
            Box::new(leader.clone()),
        ] {
            registry.register(collector)?;
        }
        Ok(Self {
            events,
            retries,
            apply_seconds,
            batch_size,
            lag_seconds,
            dead_letters,
            leader,
            secutix,
            accounts_attached,
            contact_creations,
        })
    }

    /// Counts what the apply path's SSO links did.
    pub fn count_sso_attachments(&self, attached: crate::apply::attach::SsoAttachments) {
        if attached.attached > 0 {
            self.accounts_attached
                .with_label_values(&["sso_link"])
                .inc_by(attached.attached as u64);
        }
        if attached.ambiguous > 0 {
            self.contact_creations
                .with_label_values(&["ambiguous"])
                .inc_by(attached.ambiguous as u64);
        }
    }
}
