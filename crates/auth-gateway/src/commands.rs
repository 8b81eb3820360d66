//! Commands to the worker on the `contact-commands` exchange (the worker owns the tables they
//! change), each published persistent and mandatory and awaited until the broker confirms it.

use chrono::Utc;

use crate::state::GatewayState;

/// Publishes one command; an error means the broker did not take it (answer 503).
pub async fn publish(
    state: &GatewayState,
    routing_key: &str,
    content_type: &'static str,
    id: String,
    payload: Vec<u8>,
) -> Result<(), infra::amqp::PublishError> {
    let message = infra::amqp::OutgoingMessage {
        exchange: state.topology.commands_exchange(),
        routing_key: routing_key.to_owned(),
        payload,
        message_id: id,
        timestamp: Utc::now().timestamp().max(0) as u64,
        content_type,
        headers: infra::amqp::propagation::inject_current(),
    };
    state.publisher.publish_all(vec![message]).await
}
