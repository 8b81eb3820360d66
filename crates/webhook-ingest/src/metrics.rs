//! Prometheus metrics of the ingest.

use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, Opts, Registry};

#[derive(Clone)]
pub struct IngestMetrics {
    /// Webhook requests by outcome: `accepted` or the error code answered.
    pub requests: IntCounterVec,
    /// Contacts confirmed by the broker.
    pub contacts: IntCounter,
    /// Time from the first publish of a request to its last confirm.
    pub publish_seconds: Histogram,
}

impl IngestMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let requests = IntCounterVec::new(
            Opts::new(
                "webhook_ingest_requests_total",
                "Webhook requests by outcome",
            ),
            &["outcome"],
        )?;
        let contacts = IntCounter::new(
            "webhook_ingest_contacts_total",
            "Contacts confirmed by the broker",
        )?;
        let publish_seconds = Histogram::with_opts(HistogramOpts::new(
            "webhook_ingest_publish_seconds",
            "Time to publish a request's contacts and receive every confirm",
        ))?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(contacts.clone()))?;
        registry.register(Box::new(publish_seconds.clone()))?;
        Ok(Self {
            requests,
            contacts,
            publish_seconds,
        })
    }
}
