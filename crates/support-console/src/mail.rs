//! Resending a fan's set-password link: a new single-use link from the same store function as
//! the gateway's forgotten-password form (`store::auth::password_tokens::issue`, with its
//! hourly limit), mailed by sync-worker from the same `SendMail` command the gateway publishes
//! (template `set-password` for an account without a password yet, else `password-reset`),
//! in the fan's language.

use chrono::Utc;
use diesel_async::AsyncPgConnection;
use prost::Message;
use store::{
    auth::{mail_language, password_tokens},
    console::fan::Account,
    password_link,
};

use crate::state::ConsoleState;

/// Links an account may be sent in an hour, as the gateway's form allows.
const LINKS_PER_HOUR: i64 = 3;

/// What a resend did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resent {
    /// Handed to the worker, with this template.
    Sent(&'static str),
    /// The hourly limit of links was reached: nothing sent.
    Limited,
}

pub async fn resend(conn: &mut AsyncPgConnection, state: &ConsoleState, account: &Account) -> anyhow::Result<Resent> {
    let (purpose, template, lifetime) = if account.password_set {
        ("reset", "password-reset", password_link::RESET_LIFETIME)
    } else {
        ("first", "set-password", password_link::FIRST_PASSWORD_LIFETIME)
    };
    let Some(token) = password_tokens::issue(conn, account.subject_id, purpose, lifetime, LINKS_PER_HOUR).await? else {
        return Ok(Resent::Limited);
    };
    let locale = match &account.contact_number {
        Some(number) => mail_language::contact_language(conn, number).await?,
        None => None,
    }
    .filter(|l| ["en", "fr", "de"].contains(&l.as_str()))
    .unwrap_or_else(|| "en".into());
    let mail_id = uuid::Uuid::new_v4().to_string();
    let command = model::bus::SendMail {
        mail_id: mail_id.clone(),
        contact_number: account.contact_number.clone().unwrap_or_default(),
        recipient: account.login_email.clone(),
        template: template.to_owned(),
        locale,
        link: password_link::link(&state.oidc.issuer, &token),
        reference: String::new(),
    };
    let message = infra::amqp::OutgoingMessage {
        exchange: state.topology.commands_exchange(),
        routing_key: model::bus::SEND_MAIL_ROUTING_KEY.to_owned(),
        payload: command.encode_to_vec(),
        message_id: mail_id,
        timestamp: Utc::now().timestamp().max(0) as u64,
        content_type: model::bus::SEND_MAIL_CONTENT_TYPE,
        headers: infra::amqp::propagation::inject_current(),
    };
    state.publisher.publish_all(vec![message]).await?;
    Ok(Resent::Sent(template))
}
