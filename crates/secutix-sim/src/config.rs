//! The simulator's settings, read from flags or the environment through clap so `--help`
//! documents every option; [`SimConfig::default`] gives the documented defaults (tests start
//! from it and change what they need).

use std::{net::SocketAddr, time::Duration};

use secrecy::SecretString;

/// Everything the simulator needs to start (`Simulator::start`).
#[derive(Debug, Clone, clap::Args)]
pub struct SimConfig {
    /// Address to listen on; port 0 picks a free port (tests).
    #[arg(
        long,
        env = "LISTEN_ADDR",
        value_name = "LISTEN_ADDR",
        default_value = "127.0.0.1:8090"
    )]
    pub listen_addr: SocketAddr,

    /// Public base URL of the simulator (the shop's redirect URI is built from it). Unset: the
    /// bound address, `http://<listen address>`.
    #[arg(long, env = "SIM_PUBLIC_URL", value_name = "SIM_PUBLIC_URL")]
    pub public_url: Option<url::Url>,

    /// Number of deterministic demo contacts (PUBLIC, with a web login) created at start-up.
    #[arg(long, env = "SIM_SEED", value_name = "SIM_SEED", default_value_t = 0)]
    pub seed: u32,

    #[command(flatten)]
    pub api: ApiConfig,

    #[command(flatten)]
    pub webhook: WebhookConfig,

    #[command(flatten)]
    pub export: ExportConfig,

    #[command(flatten)]
    pub shop: ShopConfig,
}

impl Default for SimConfig {
    fn default() -> Self {
        #[derive(clap::Parser)]
        struct Defaults {
            #[command(flatten)]
            config: SimConfig,
        }
        // Every option has a default or is optional, so parsing no arguments cannot fail.
        <Defaults as clap::Parser>::try_parse_from(["secutix-sim"])
            .map(|d| d.config)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

impl SimConfig {
    /// The defaults, listening on a free port of 127.0.0.1 (for tests).
    pub fn ephemeral() -> Self {
        Self {
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..Self::default()
        }
    }
}

/// The contact API's token rules and rate limit (`shared/SECUTIX.md`, "Contact API").
#[derive(Debug, Clone, clap::Args)]
pub struct ApiConfig {
    /// HS256 secret shared with the integration that mints the API tokens.
    #[arg(
        long,
        env = "SIM_API_SECRET",
        hide_env_values = true,
        value_name = "SIM_API_SECRET",
        default_value = "local-development-api-secret"
    )]
    pub api_secret: SecretString,

    /// Institution code every token must carry as `sub`.
    #[arg(
        long,
        env = "SIM_API_INSTITUTION",
        value_name = "SIM_API_INSTITUTION",
        default_value = "DEMO"
    )]
    pub api_institution: String,

    /// Virtual operator every token must carry as `aud`.
    #[arg(
        long,
        env = "SIM_API_OPERATOR",
        value_name = "SIM_API_OPERATOR",
        default_value = "DEMO_VO"
    )]
    pub api_operator: String,

    /// Partner name every token must carry as `iss`.
    #[arg(
        long,
        env = "SIM_API_PARTNER",
        value_name = "SIM_API_PARTNER",
        default_value = "secutix-bridge"
    )]
    pub api_partner: String,

    /// Unit of `iat` and `exp`: S-360's text says milliseconds, its example uses seconds.
    #[arg(
        long,
        env = "SIM_API_TIME_UNIT",
        value_name = "SIM_API_TIME_UNIT",
        default_value = "seconds"
    )]
    pub api_time_unit: TimeUnit,

    /// Largest age of a token on arrival (`now - iat`), e.g. `1s`, `500ms`.
    #[arg(long, env = "SIM_API_TOKEN_MAX_AGE", value_name = "SIM_API_TOKEN_MAX_AGE",
          default_value = "1s", value_parser = humantime::parse_duration)]
    pub api_token_max_age: Duration,

    /// Largest `exp - iat`.
    #[arg(long, env = "SIM_API_TOKEN_MAX_LIFETIME", value_name = "SIM_API_TOKEN_MAX_LIFETIME",
          default_value = "30s", value_parser = humantime::parse_duration)]
    pub api_token_max_lifetime: Duration,

    /// Calls allowed per window, shared by every caller.
    #[arg(
        long,
        env = "SIM_API_RATE_LIMIT",
        value_name = "SIM_API_RATE_LIMIT",
        default_value_t = 180
    )]
    pub api_rate_limit: u32,

    /// The rate limit's sliding window.
    #[arg(long, env = "SIM_API_RATE_WINDOW", value_name = "SIM_API_RATE_WINDOW",
          default_value = "60s", value_parser = humantime::parse_duration)]
    pub api_rate_window: Duration,

    /// Status of a call over the limit: 509 (what S-360 answers today) or 429 (announced).
    #[arg(long, env = "SIM_API_LIMIT_STATUS", value_name = "SIM_API_LIMIT_STATUS",
          default_value_t = 509, value_parser = parse_limit_status)]
    pub api_limit_status: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TimeUnit {
    Seconds,
    Milliseconds,
}

fn parse_limit_status(value: &str) -> Result<u16, String> {
    match value.trim() {
        "509" => Ok(509),
        "429" => Ok(429),
        _ => Err("must be 509 or 429".into()),
    }
}

/// How the webhooks authenticate to the receiver: at most one credential; none set means no
/// authentication. These are the methods `webhook-ingest` accepts.
#[derive(Debug, Clone, clap::Args)]
pub struct SenderAuthConfig {
    /// HTTP Basic credentials sent with every webhook, `user:password`.
    #[arg(
        long,
        env = "SIM_WEBHOOK_BASIC_AUTH",
        hide_env_values = true,
        value_name = "SIM_WEBHOOK_BASIC_AUTH"
    )]
    pub webhook_basic_auth: Option<SecretString>,

    /// Static token sent as `Authorization: Bearer <token>`.
    #[arg(
        long,
        env = "SIM_WEBHOOK_TOKEN",
        hide_env_values = true,
        value_name = "SIM_WEBHOOK_TOKEN"
    )]
    pub webhook_token: Option<SecretString>,

    /// Standard Webhooks signing secret, `whsec_<base64>`: every webhook carries `webhook-id`,
    /// `webhook-timestamp` and `webhook-signature`.
    #[arg(
        long,
        env = "SIM_WEBHOOK_HMAC_SECRET",
        hide_env_values = true,
        value_name = "SIM_WEBHOOK_HMAC_SECRET"
    )]
    pub webhook_hmac_secret: Option<SecretString>,
}

/// Contact Webhook V2 (`shared/SECUTIX.md`, "Contact Webhook V2").
#[derive(Debug, Clone, clap::Args)]
pub struct WebhookConfig {
    /// Where changed contacts are posted, e.g. `http://127.0.0.1:8081/webhooks/secutix/contacts`.
    /// Unset: changes are queued but never sent.
    #[arg(long, env = "SIM_WEBHOOK_URL", value_name = "SIM_WEBHOOK_URL")]
    pub webhook_url: Option<url::Url>,

    /// How often the queue is processed (M): `15m` in S-360 by default, `1s` in tests.
    #[arg(long, env = "SIM_WEBHOOK_INTERVAL", value_name = "SIM_WEBHOOK_INTERVAL",
          default_value = "15m", value_parser = parse_interval)]
    pub webhook_interval: Duration,

    /// Contacts taken from the queue per run (S).
    #[arg(long, env = "SIM_WEBHOOK_PER_RUN", value_name = "SIM_WEBHOOK_PER_RUN", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub webhook_per_run: u32,

    /// Contacts per POST (bs): 1 sends a JSON object, more send an array.
    #[arg(long, env = "SIM_WEBHOOK_BATCH_SIZE", value_name = "SIM_WEBHOOK_BATCH_SIZE", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub webhook_batch_size: u32,

    /// Failed deliveries of one contact before it is abandoned (and logged).
    #[arg(long, env = "SIM_WEBHOOK_MAX_ATTEMPTS", value_name = "SIM_WEBHOOK_MAX_ATTEMPTS", default_value_t = 12,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub webhook_max_attempts: u32,

    /// How long one POST may take before it counts as failed.
    #[arg(long, env = "SIM_WEBHOOK_TIMEOUT", value_name = "SIM_WEBHOOK_TIMEOUT",
          default_value = "10s", value_parser = humantime::parse_duration)]
    pub webhook_timeout: Duration,

    #[command(flatten)]
    pub auth: SenderAuthConfig,
}

/// The Data Export webhook: flat rows of the PUBLIC contacts, on its own schedule, with the
/// same authentication as the contact webhook.
#[derive(Debug, Clone, clap::Args)]
pub struct ExportConfig {
    /// Where export rows are posted, e.g. `http://127.0.0.1:8081/webhooks/secutix/exports`.
    /// Unset: no Data Export webhook.
    #[arg(long, env = "SIM_EXPORT_URL", value_name = "SIM_EXPORT_URL")]
    pub export_url: Option<url::Url>,

    /// How often every PUBLIC contact is exported.
    #[arg(long, env = "SIM_EXPORT_INTERVAL", value_name = "SIM_EXPORT_INTERVAL",
          default_value = "24h", value_parser = parse_interval)]
    pub export_interval: Duration,

    /// Rows per POST (an array).
    #[arg(long, env = "SIM_EXPORT_BATCH_SIZE", value_name = "SIM_EXPORT_BATCH_SIZE", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub export_batch_size: u32,
}

/// The ticket shop, an OpenID Connect relying party of the identity provider.
#[derive(Debug, Clone, clap::Args)]
pub struct ShopConfig {
    /// Issuer URL of the identity provider (its discovery document is read from
    /// `<issuer>/.well-known/openid-configuration`). Unset: the shop is disabled.
    #[arg(long, env = "SIM_SHOP_ISSUER", value_name = "SIM_SHOP_ISSUER")]
    pub shop_issuer: Option<url::Url>,

    /// Client id of the shop at the identity provider.
    #[arg(
        long,
        env = "SIM_SHOP_CLIENT_ID",
        value_name = "SIM_SHOP_CLIENT_ID",
        default_value = "secutix-shop"
    )]
    pub shop_client_id: String,

    /// Client secret of the shop (sent with HTTP Basic to the token endpoint).
    #[arg(
        long,
        env = "SIM_SHOP_CLIENT_SECRET",
        hide_env_values = true,
        value_name = "SIM_SHOP_CLIENT_SECRET"
    )]
    pub shop_client_secret: Option<SecretString>,

    /// Exclusive connection mode: every shop page visited signed out redirects to the
    /// identity provider (a valid session there signs the user in silently).
    #[arg(long, env = "SIM_SHOP_EXCLUSIVE", value_name = "SIM_SHOP_EXCLUSIVE",
          default_value_t = true, action = clap::ArgAction::Set)]
    pub shop_exclusive: bool,

    /// Provider name the shop records SSO links under (`addLink`'s `provider`).
    #[arg(
        long,
        env = "SIM_SHOP_PROVIDER",
        value_name = "SIM_SHOP_PROVIDER",
        default_value = "secutix-bridge"
    )]
    pub shop_provider: String,
}

/// A humantime duration of at least one second (S-360's minimum is a minute; tests go faster).
pub fn parse_interval(value: &str) -> Result<Duration, String> {
    let interval = humantime::parse_duration(value).map_err(|e| e.to_string())?;
    if interval < Duration::from_secs(1) {
        return Err("must be at least 1s".into());
    }
    Ok(interval)
}
