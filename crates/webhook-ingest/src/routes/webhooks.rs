//! `POST /webhooks/secutix/contacts` (Contact Webhook V2) and `POST /webhooks/secutix/exports`
//! (Data Export webhook). A 200 means every contact of the request is durably in RabbitMQ;
//! anything else means "send it again".

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;

use crate::{
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
    pub max_body_bytes: usize,
    pub max_contacts: usize,
    pub metrics: IngestMetrics,
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
    let outcome = accept(kind, &req, body, &state).await;
    let label = match &outcome {
        Ok(_) => "accepted",
        Err(error) => error.code(),
    };
    state.metrics.requests.with_label_values(&[label]).inc();
    let count = outcome?;
    state.metrics.contacts.inc_by(count as u64);
    Ok(HttpResponse::Ok().json(serde_json::json!({ "accepted": count })))
}

async fn accept(
    kind: Kind,
    req: &HttpRequest,
    body: web::Payload,
    state: &IngestState,
) -> Result<usize, ApiError> {
    payload::check_content_type(req)?;
    let bytes = payload::read_limited(req, body, state.max_body_bytes).await?;
    let contacts = payload::parse_contacts(kind, &bytes, state.max_contacts)?;
    let received_at = Utc::now();
    let messages: Vec<_> = contacts
        .iter()
        .map(|contact| events::to_message(&state.topology, kind, contact, received_at))
        .collect();
    let count = messages.len();
    let timer = state.metrics.publish_seconds.start_timer();
    if let Err(error) = state.publisher.publish_all(messages).await {
        tracing::warn!(%error, count, "Contacts not confirmed by the broker; answering 503");
        return Err(ApiError::Unavailable);
    }
    timer.observe_duration();
    tracing::info!(count, "Contacts published");
    Ok(count)
}
