//! `POST /webhooks/secutix/contacts` (Contact Webhook V2) and `POST /webhooks/secutix/exports`
//! (Data Export webhook). A 200 means every contact of the request is durably in RabbitMQ (or
//! was already, for a repeated delivery); anything else means "send it again".

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use tracing::Instrument;

use crate::{
    auth::{Authenticator, Credentials},
    dedup::Dedup,
    error::ApiError,
    events,
    metrics::IngestMetrics,
    payload::{self, Kind},
};
use infra::amqp::{Publisher, Topology};

/// What the handlers share.
pub struct IngestState {
    pub publisher: Arc<Publisher>,
    pub topology: Topology,
    pub authenticator: Authenticator,
    pub dedup: Dedup,
    pub max_body_bytes: usize,
    pub max_batch: usize,
    pub metrics: IngestMetrics,
}

/// What a request achieved, reported in the 200 body.
#[derive(Debug, serde::Serialize)]
struct Accepted {
    /// Contacts in the request.
    accepted: usize,
    /// Contacts published and confirmed by this request.
    published: usize,
    /// Contacts identical to one already confirmed, not published again.
    duplicates: usize,
}

pub async fn contacts(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<IngestState>,
) -> Result<HttpResponse, ApiError> {
    receive(Kind::Contacts, req, body, state).await
}

pub async fn exports(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<IngestState>,
) -> Result<HttpResponse, ApiError> {
    receive(Kind::Exports, req, body, state).await
}

async fn receive(
    kind: Kind,
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<IngestState>,
) -> Result<HttpResponse, ApiError> {
    let delivery_id = req
        .headers()
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let span = tracing::info_span!(
        "webhook.receive",
        webhook.kind = ?kind,
        webhook.delivery_id = delivery_id.as_deref().unwrap_or_default(),
        webhook.contacts = tracing::field::Empty,
        webhook.outcome = tracing::field::Empty,
    );
    state.metrics.in_flight.inc();
    let outcome = accept(kind, &req, body, &state, delivery_id.as_deref())
        .instrument(span.clone())
        .await;
    state.metrics.in_flight.dec();
    let label = match &outcome {
        Ok(_) => "accepted",
        Err(error) => error.code(),
    };
    span.record("webhook.outcome", label);
    state.metrics.requests.with_label_values(&[label]).inc();
    let accepted = outcome?;
    state
        .metrics
        .contacts
        .with_label_values(&["published"])
        .inc_by(accepted.published as u64);
    state
        .metrics
        .contacts
        .with_label_values(&["duplicate"])
        .inc_by(accepted.duplicates as u64);
    Ok(HttpResponse::Ok().json(accepted))
}

async fn accept(
    kind: Kind,
    req: &HttpRequest,
    body: web::Payload,
    state: &IngestState,
    delivery_id: Option<&str>,
) -> Result<Accepted, ApiError> {
    let unauthorized = || ApiError::Unauthorized {
        offer_basic: state.authenticator.offers_basic(),
    };
    let credentials = state.authenticator.check(req).map_err(|_| unauthorized())?;
    payload::check_content_type(req)?;
    let bytes = payload::read_limited(req, body, state.max_body_bytes).await?;
    if let Credentials::Signed(headers) = &credentials {
        state
            .authenticator
            .verify(headers, &bytes)
            .map_err(|_| unauthorized())?;
    }
    let contacts = payload::parse_contacts(kind, &bytes, state.max_batch)?;
    tracing::Span::current().record("webhook.contacts", contacts.len());

    if delivery_id.is_some_and(|id| state.dedup.seen_delivery(id)) {
        tracing::info!(count = contacts.len(), "Repeated delivery; already confirmed");
        return Ok(Accepted {
            accepted: contacts.len(),
            published: 0,
            duplicates: contacts.len(),
        });
    }
    let (repeats, fresh): (Vec<_>, Vec<_>) = contacts.iter().partition(|c| {
        state
            .dedup
            .is_repeat(c.envelope.contact_number.as_str(), c.json.as_bytes())
    });
    let received_at = Utc::now();
    let messages: Vec<_> = fresh
        .iter()
        .map(|contact| events::to_message(&state.topology, kind, contact, received_at))
        .collect();
    let timer = state.metrics.publish_seconds.start_timer();
    if let Err(error) = state.publisher.publish_all(messages).await {
        tracing::warn!(%error, count = fresh.len(), "Contacts not confirmed by the broker; answering 503");
        return Err(ApiError::Unavailable);
    }
    timer.observe_duration();
    for contact in &fresh {
        state
            .dedup
            .record_contact(contact.envelope.contact_number.as_str(), contact.json.as_bytes());
    }
    if let Some(id) = delivery_id {
        state.dedup.record_delivery(id);
    }
    tracing::info!(
        published = fresh.len(),
        duplicates = repeats.len(),
        "Contacts confirmed"
    );
    Ok(Accepted {
        accepted: contacts.len(),
        published: fresh.len(),
        duplicates: repeats.len(),
    })
}
