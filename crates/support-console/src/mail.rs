//! Resending a fan's mails with a single-use link, issued by the same store function as the
//! gateway's (`store::auth::password_tokens::issue`, with its hourly limit of links per account)
//! and mailed by sync-worker from the same `SendMail` command the gateway publishes:
//! - the set-password link (template `set-password` for an account without a password yet,
//!   else `password-reset`), as the gateway's forgotten-password form does;
//! - the sign-up verification link (template `verify-email`, purpose `verify`, leading to the
//!   gateway's start page once used), as the gateway's sign-up and its "send the link again"
//!   do, only while the address is not verified.

use diesel_async::AsyncPgConnection;
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
    /// The address is verified already: no verification link is sent.
    AlreadyVerified,
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
    let link = password_link::link(&state.oidc.issuer, &token);
    send(conn, state, account, template, link).await
}

pub async fn resend_verification(
    conn: &mut AsyncPgConnection,
    state: &ConsoleState,
    account: &Account,
) -> anyhow::Result<Resent> {
    if account.email_verified {
        return Ok(Resent::AlreadyVerified);
    }
    let lifetime = password_link::VERIFY_LIFETIME;
    let Some(token) = password_tokens::issue(conn, account.subject_id, "verify", lifetime, LINKS_PER_HOUR).await?
    else {
        return Ok(Resent::Limited);
    };
    let link = password_link::verify_link(&state.oidc.issuer, &token, "/");
    send(conn, state, account, "verify-email", link).await
}

/// Mails `link` with `template` in the fan's language: the one chosen at sign-up, else the
/// contact's, else English.
async fn send(
    conn: &mut AsyncPgConnection,
    state: &ConsoleState,
    account: &Account,
    template: &'static str,
    link: String,
) -> anyhow::Result<Resent> {
    let language = match (&account.language, &account.contact_number) {
        (Some(language), _) => Some(language.clone()),
        (None, Some(number)) => mail_language::contact_language(conn, number).await?,
        (None, None) => None,
    };
    let locale = language
        .filter(|l| ["en", "fr", "de"].contains(&l.as_str()))
        .unwrap_or_else(|| "en".into());
    let mail_id = uuid::Uuid::new_v4().to_string();
    let command = model::bus::SendMail {
        mail_id: mail_id.clone(),
        contact_number: account.contact_number.clone().unwrap_or_default(),
        recipient: account.login_email.clone(),
        template: template.to_owned(),
        locale,
        link,
        reference: String::new(),
    };
    crate::commands::publish(
        state,
        model::bus::SEND_MAIL_ROUTING_KEY,
        model::bus::SEND_MAIL_CONTENT_TYPE,
        mail_id,
        &command,
    )
    .await?;
    Ok(Resent::Sent(template))
}
