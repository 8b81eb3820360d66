//! Commands to the worker on the `contact-commands` exchange (the worker owns the tables they
//! change), each published persistent and mandatory and awaited until the broker confirms it.

use chrono::Utc;

use prost::Message;
use uuid::Uuid;

use crate::{pages::Lang, state::GatewayState};

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

/// Asks the worker, over the bus, to mail `template`.
pub async fn send_mail(
    state: &GatewayState,
    contact_number: Option<&str>,
    recipient: &str,
    template: &str,
    lang: Lang,
    link: &str,
) -> anyhow::Result<()> {
    send_mail_quoting(state, contact_number, recipient, template, lang, link, "").await
}

/// [`send_mail`] with a `reference` the mail shows beside the link (a sign-in code).
pub async fn send_mail_quoting(
    state: &GatewayState,
    contact_number: Option<&str>,
    recipient: &str,
    template: &str,
    lang: Lang,
    link: &str,
    reference: &str,
) -> anyhow::Result<()> {
    let mail_id = Uuid::new_v4().to_string();
    let command = model::bus::SendMail {
        mail_id: mail_id.clone(),
        // Empty for an account that has no S-360 contact yet.
        contact_number: contact_number.unwrap_or_default().to_owned(),
        recipient: recipient.to_owned(),
        template: template.to_owned(),
        locale: lang.code().into(),
        link: link.to_owned(),
        reference: reference.to_owned(),
    };
    send(state, command).await
}

/// Mails the organisation's data-protection address (`GATEWAY_DATA_PROTECTION_EMAIL`), in
/// English, about `reference` (numbers only, never personal data). Nothing when it is unset.
pub async fn notify_data_protection(state: &GatewayState, template: &str, reference: String) -> anyhow::Result<()> {
    let Some(recipient) = &state.data_protection_email else {
        return Ok(());
    };
    let mail_id = Uuid::new_v4().to_string();
    let command = model::bus::SendMail {
        mail_id,
        contact_number: String::new(),
        recipient: recipient.clone(),
        template: template.to_owned(),
        locale: "en".into(),
        link: String::new(),
        reference,
    };
    send(state, command).await
}

async fn send(state: &GatewayState, command: model::bus::SendMail) -> anyhow::Result<()> {
    let mail_id = command.mail_id.clone();
    publish(
        state,
        model::bus::SEND_MAIL_ROUTING_KEY,
        model::bus::SEND_MAIL_CONTENT_TYPE,
        mail_id,
        command.encode_to_vec(),
    )
    .await?;
    Ok(())
}
