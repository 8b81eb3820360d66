//! What the console's handlers share.

use secrecy::SecretString;

use crate::metrics::ConsoleMetrics;

pub struct ConsoleState {
    pub pool: infra::db::PgPool,
    pub metrics: ConsoleMetrics,
    pub oidc: OidcClient,
    /// Mail to send goes to sync-worker as a command, as the gateway's does.
    pub publisher: std::sync::Arc<infra::amqp::Publisher>,
    pub topology: infra::amqp::Topology,
    /// The broker, for the queue depths of the sync page.
    pub amqp_url: SecretString,
}

/// The console as a client of the gateway.
pub struct OidcClient {
    /// `iss` of the gateway's tokens, and where browsers are sent to sign in.
    pub issuer: String,
    /// Where the console calls the gateway's token endpoint and keys.
    pub gateway_base: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub redirect_uri: String,
    pub http: reqwest::Client,
}

impl ConsoleState {
    /// The gateway's origin, whose theme the pages use.
    pub fn gateway(&self) -> &str {
        &self.oidc.issuer
    }
}
