//! Commands the console hands to sync-worker on the `contact-commands` exchange, as the
//! gateway does: the mails it resends (`SendMail`, [`crate::mail`]) and a contact's
//! reconciliation (`ReconcileContact`, [`crate::tasks`]). The publisher waits for the broker's
//! confirm, so an action is reported done only once the broker holds its command.

use chrono::Utc;
use prost::Message;

use crate::state::ConsoleState;

/// Publishes `command` with `routing_key` and `content_type`, its id as the message id.
pub async fn publish(
    state: &ConsoleState,
    routing_key: &str,
    content_type: &'static str,
    id: String,
    command: &impl Message,
) -> anyhow::Result<()> {
    let message = infra::amqp::OutgoingMessage {
        exchange: state.topology.commands_exchange(),
        routing_key: routing_key.to_owned(),
        payload: command.encode_to_vec(),
        message_id: id,
        timestamp: Utc::now().timestamp().max(0) as u64,
        content_type,
        headers: infra::amqp::propagation::inject_current(),
    };
    state.publisher.publish_all(vec![message]).await?;
    Ok(())
}

/// Asks the worker to reconcile `contact_number` with S-360 now.
pub async fn reconcile(state: &ConsoleState, contact_number: &str) -> anyhow::Result<()> {
    let command_id = uuid::Uuid::new_v4().to_string();
    let command = model::bus::ReconcileContact {
        command_id: command_id.clone(),
        contact_number: contact_number.to_owned(),
    };
    publish(
        state,
        model::bus::RECONCILE_CONTACT_ROUTING_KEY,
        model::bus::RECONCILE_CONTACT_CONTENT_TYPE,
        command_id,
        &command,
    )
    .await
}
