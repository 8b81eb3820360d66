//! Command line and environment of `auth-gateway`.

use std::{net::SocketAddr, path::PathBuf};

use clap::Parser;
use infra::config::{AmqpArgs, DatabaseArgs, TelemetryArgs};
use secrecy::SecretString;

/// The OpenID Connect provider trusted by the S-360 ticket shop, with the organisation's login
/// pages. Every option can also be set through the environment variable shown.
#[derive(Debug, Clone, Parser)]
#[command(name = "auth-gateway", version)]
pub struct Settings {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on; port 0 picks a free port.
    #[arg(
        long,
        env = "LISTEN_ADDR",
        value_name = "LISTEN_ADDR",
        default_value = "127.0.0.1:8080"
    )]
    pub listen_addr: SocketAddr,

    /// The issuer: the public base URL of this gateway, as relying parties reach it (`iss` of
    /// every token, base of every endpoint in the discovery document). HTTPS, except on
    /// loopback addresses for local development.
    #[arg(long, env = "GATEWAY_ISSUER", value_name = "GATEWAY_ISSUER", default_value = "http://127.0.0.1:8080",
          value_parser = parse_issuer)]
    pub issuer: url::Url,

    #[command(flatten)]
    pub keys: KeyArgs,

    /// Base URLs of the S-360 ticket shop, comma-separated, that `/ticketshop?target=` may
    /// send signed-in users to (a target must be under one of them).
    #[arg(
        long,
        env = "GATEWAY_TICKETSHOP_URLS",
        value_name = "GATEWAY_TICKETSHOP_URLS",
        value_delimiter = ','
    )]
    pub ticketshop_urls: Vec<url::Url>,

    /// How long a `/userinfo` answer may be served from memory, in seconds (never past the
    /// token's expiry); 0 turns the cache off. Entries are dropped at once when the database
    /// announces a change for the subject (revocation, logout, merge, anonymisation, password
    /// or profile change), and nothing is served from memory while those announcements cannot
    /// be received.
    #[arg(
        long,
        env = "GATEWAY_USERINFO_CACHE_TTL",
        value_name = "GATEWAY_USERINFO_CACHE_TTL",
        default_value_t = 60
    )]
    pub userinfo_cache_ttl: u64,

    /// Password sign-ins that may wait for a hashing thread at once; past it, a sign-in gets
    /// the busy page (503 with `Retry-After`), which retries by itself. Size it to
    /// GATEWAY_SIGNIN_WAIT times the hash rate (about 100/s on two cores).
    #[arg(
        long,
        env = "GATEWAY_SIGNIN_QUEUE",
        value_name = "GATEWAY_SIGNIN_QUEUE",
        default_value_t = 1000
    )]
    pub signin_queue: usize,

    /// Niceness of the two password-hashing threads (0 to 19; 0 is normal priority): above 0,
    /// sessions, silent sign-ins, tokens and userinfo preempt the hashes during a sign-in storm
    /// instead of waiting behind them for the CPU, and the hashes still get every idle cycle.
    #[arg(
        long,
        env = "GATEWAY_HASH_NICE",
        value_name = "GATEWAY_HASH_NICE",
        default_value_t = crate::hash_pool::DEFAULT_NICE,
        value_parser = clap::value_parser!(i32).range(0..=19)
    )]
    pub hash_nice: i32,

    /// The longest a password sign-in waits for a hashing thread, in seconds, before it gets
    /// the busy page (keep it well below the 60 s after which proxies and browsers give up).
    #[arg(
        long,
        env = "GATEWAY_SIGNIN_WAIT",
        value_name = "GATEWAY_SIGNIN_WAIT",
        default_value_t = 10
    )]
    pub signin_wait: u64,

    /// A theme directory: `theme.toml` (organisation name, logo, colours, footer links) and an
    /// optional `extra.css` (see docs/configuration.md); validated at start-up. Without it, the
    /// built-in theme.
    #[arg(long, env = "GATEWAY_THEME_DIR", value_name = "GATEWAY_THEME_DIR")]
    pub theme_dir: Option<PathBuf>,

    /// The client registry file (see `auth-gateway client add --help`); validated at start-up.
    #[arg(long, env = "GATEWAY_CLIENTS_FILE", value_name = "GATEWAY_CLIENTS_FILE")]
    pub clients_file: Option<PathBuf>,

    /// The upstream OpenID providers of social sign-in ("Continue with Google"), TOML (or JSON
    /// when the name ends in `.json`; see docs/configuration.md); validated at start-up.
    /// Without it, the sign-in page offers no provider.
    #[arg(long, env = "GATEWAY_UPSTREAMS_FILE", value_name = "GATEWAY_UPSTREAMS_FILE")]
    pub upstreams_file: Option<PathBuf>,

    /// The organisation's data-protection address: each account a fan deletes is mailed there
    /// as an erasure request to complete at S-360 (its number, subject id and contact number,
    /// never an address). Unset: requests are only recorded in `erasure_requests`.
    #[arg(long, env = "GATEWAY_DATA_PROTECTION_EMAIL", value_name = "GATEWAY_DATA_PROTECTION_EMAIL",
          value_parser = |s: &str| model::Email::parse(s).map(|e| e.as_str().to_owned()).map_err(|e| e.to_string()))]
    pub data_protection_email: Option<String>,

    #[command(flatten)]
    pub signup: crate::signup_settings::SignupArgs,

    #[command(flatten)]
    pub passkeys: crate::passkeys::settings::PasskeyArgs,

    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The broker carries the gateway's commands to the worker (mail to send).
    #[command(flatten)]
    pub amqp: AmqpArgs,
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

/// Where the signing keys come from (see `keys/manifest.rs` for the manifest format).
#[derive(Debug, Clone, clap::Args)]
pub struct KeyArgs {
    /// The key manifest itself (TOML with inline PEM keys), for secret stores that inject
    /// environment variables.
    #[arg(long, env = "GATEWAY_KEYS", value_name = "GATEWAY_KEYS", hide_env_values = true,
          value_parser = |s: &str| Ok::<_, String>(SecretString::from(s.to_owned())))]
    pub keys: Option<SecretString>,

    /// A key manifest file; its `file` entries are read relative to it.
    #[arg(long, env = "GATEWAY_KEYS_FILE", value_name = "GATEWAY_KEYS_FILE")]
    pub keys_file: Option<PathBuf>,

    /// Local development only: when no keys are configured, generate a key pair once into this
    /// directory (a warning is logged).
    #[arg(long, env = "GATEWAY_DEV_KEYS_DIR", value_name = "GATEWAY_DEV_KEYS_DIR")]
    pub dev_keys_dir: Option<PathBuf>,

    /// Algorithm of access tokens: `ES256` (default, fast to sign), `EdDSA` or `RS256`. ID tokens
    /// are always RS256, which every OIDC client supports.
    #[arg(long, env = "GATEWAY_ACCESS_TOKEN_ALG", value_name = "GATEWAY_ACCESS_TOKEN_ALG", default_value = "ES256",
          value_parser = ["ES256", "EdDSA", "RS256"])]
    pub access_token_alg: String,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Ask the running service's `/healthz` on LISTEN_ADDR; exit 0 when it answers 200 (for
    /// container health checks).
    Healthcheck,
    /// Manage the client registry (relying parties such as the S-360 ticket shop).
    #[command(subcommand)]
    Client(crate::clients::admin::ClientCommand),
    /// End or list a fan's sessions (an administrator's revocation); uses DATABASE_URL.
    #[command(subcommand)]
    Sessions(crate::sessions_admin::SessionsCommand),
    /// Print a new `[[sealing_keys]]` entry (a fresh 32-byte secret, state `published`) to add
    /// to the key manifest: the key that seals passkey ceremonies in the browser's cookie. Add
    /// it to every replica, then make it `active` and the old one `published` (`keys/sealing.rs`).
    SealingKey,
}

fn parse_issuer(value: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(value).map_err(|e| format!("not a valid URL ({e})"))?;
    if url.scheme() != "https" && !(url.scheme() == "http" && crate::loopback::is_loopback(&url)) {
        return Err("must be an https URL (http only on loopback addresses)".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must have no query or fragment (OIDC Discovery §3)".into());
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_must_be_https_off_loopback() {
        assert!(parse_issuer("https://idp.example.org").is_ok());
        assert!(parse_issuer("http://127.0.0.1:8080").is_ok());
        assert!(parse_issuer("http://localhost:8080").is_ok());
        assert!(parse_issuer("http://idp.example.org").is_err());
        assert!(parse_issuer("https://idp.example.org/?a=b").is_err());
        assert!(parse_issuer("idp.example.org").is_err());
    }
}
