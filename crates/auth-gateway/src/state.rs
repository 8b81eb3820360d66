//! What the gateway's handlers share.

use std::sync::Arc;

use crate::{cache::UserinfoCache, clients::ClientRegistry, keys::KeySet, passwords::Passwords, tokens::Tokens};

pub struct GatewayState {
    pub keys: Arc<KeySet>,
    pub clients: ClientRegistry,
    pub tokens: Tokens,
    pub passwords: Passwords,
    pub pool: infra::db::PgPool,
    /// Publishes commands (mail to send) to the worker.
    pub publisher: Arc<infra::amqp::Publisher>,
    pub topology: infra::amqp::Topology,
    /// Base URLs of the ticket shop `/ticketshop` may send users to.
    pub ticketshop_urls: Vec<url::Url>,
    /// `/userinfo` answers, dropped when the database announces a change.
    pub userinfo_cache: Arc<UserinfoCache>,
    /// Where erasure requests are mailed (`GATEWAY_DATA_PROTECTION_EMAIL`).
    pub data_protection_email: Option<String>,
    /// Sign-up limits and the breached-password check.
    pub signup: crate::signup_settings::SignupSettings,
    /// The upstream providers of social sign-in.
    pub social: crate::federation::Providers,
    /// The passkeys' relying party; `None` when passkeys are off (`passkeys::settings`).
    pub passkeys: Option<webauthn_rs::Webauthn>,
    /// The discovery document, built once.
    pub discovery: serde_json::Value,
}
