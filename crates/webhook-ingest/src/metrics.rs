//! Prometheus metrics of the ingest.

use prometheus::{Histogram, HistogramOpts, IntCounterVec, IntGauge, Opts, Registry};

#[derive(Clone)]
pub struct IngestMetrics {
    /// Webhook requests by outcome: `accepted` or the error code answered.
    pub requests: IntCounterVec,
    /// Contacts of accepted requests: `published` (confirmed by the broker) or `duplicate`.
    pub contacts: IntCounterVec,
    /// Time from the first publish of a request to its last confirm.
    pub publish_seconds: Histogram,
    /// Webhook requests being handled right now.
    pub in_flight: IntGauge,
}

impl IngestMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let requests = IntCounterVec::new(
            Opts::new("webhook_ingest_requests_total", "Webhook requests by outcome"),
            &["outcome"],
        )?;
        let contacts = IntCounterVec::new(
            Opts::new(
                "webhook_ingest_contacts_total",
                "Contacts of accepted requests, published or duplicate",
            ),
            &["result"],
        )?;
        let publish_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "webhook_ingest_publish_seconds",
                "Time to publish a request's contacts and receive every confirm",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
        )?;
        let in_flight = IntGauge::new("webhook_ingest_requests_in_flight", "Webhook requests being handled")?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(contacts.clone()))?;
        registry.register(Box::new(publish_seconds.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        Ok(Self {
            requests,
            contacts,
            publish_seconds,
            in_flight,
        })
    }
}
