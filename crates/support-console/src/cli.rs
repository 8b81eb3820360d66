//! Command line and environment of `support-console`.

use std::net::SocketAddr;

use clap::Parser;
use infra::config::{AmqpArgs, DatabaseArgs, TelemetryArgs};
use secrecy::SecretString;
use store::console::Role;

/// The club staff's support console: find a fan, see why, fix it, every action audited. Staff
/// sign in through the auth-gateway, of which this console is a staff client. Every option
/// can also be set through the environment variable shown.
#[derive(Debug, Clone, Parser)]
#[command(name = "support-console", version)]
pub struct Settings {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on; port 0 picks a free port.
    #[arg(
        long,
        env = "LISTEN_ADDR",
        value_name = "LISTEN_ADDR",
        default_value = "127.0.0.1:8083"
    )]
    pub listen_addr: SocketAddr,

    /// The console's public base URL, as staff browsers reach it; its `/callback` is the
    /// redirect URI registered for the console at the gateway. HTTPS, except on loopback.
    #[arg(
        long,
        env = "CONSOLE_PUBLIC_URL",
        value_name = "CONSOLE_PUBLIC_URL",
        default_value = "http://127.0.0.1:8083"
    )]
    pub public_url: url::Url,

    /// The gateway's issuer (`iss` of its ID tokens, base of its discovery document).
    #[arg(
        long,
        env = "CONSOLE_ISSUER",
        value_name = "CONSOLE_ISSUER",
        default_value = "http://127.0.0.1:8080"
    )]
    pub issuer: url::Url,

    /// Where the console itself reaches the gateway's token endpoint and keys, when not at the
    /// issuer's address (inside a cluster); browsers always go to the issuer.
    #[arg(long, env = "CONSOLE_GATEWAY_URL", value_name = "CONSOLE_GATEWAY_URL")]
    pub gateway_url: Option<url::Url>,

    /// The console's client id at the gateway (registered with `auth-gateway client add
    /// --staff`).
    #[arg(
        long,
        env = "CONSOLE_CLIENT_ID",
        value_name = "CONSOLE_CLIENT_ID",
        default_value = "support-console"
    )]
    pub client_id: String,

    /// The console's client secret at the gateway. Required to serve.
    #[arg(
        long,
        env = "CONSOLE_CLIENT_SECRET",
        value_name = "CONSOLE_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub client_secret: Option<SecretString>,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "CONSOLE_HTTP_WORKERS", value_name = "CONSOLE_HTTP_WORKERS")]
    pub http_workers: Option<usize>,

    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The broker the resent mails go through (to sync-worker, which sends them).
    #[command(flatten)]
    pub amqp: AmqpArgs,
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

impl Settings {
    /// The redirect URI of the console's sign-ins.
    pub fn redirect_uri(&self) -> String {
        format!("{}/callback", self.public_url.as_str().trim_end_matches('/'))
    }

    /// The gateway's base as the console calls it.
    pub fn gateway_base(&self) -> String {
        self.gateway_url
            .as_ref()
            .unwrap_or(&self.issuer)
            .as_str()
            .trim_end_matches('/')
            .to_owned()
    }

    /// The issuer as it appears in `iss` (no trailing slash, as the gateway writes it).
    pub fn issuer_id(&self) -> String {
        self.issuer.as_str().trim_end_matches('/').to_owned()
    }
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Ask the running service's `/healthz` on LISTEN_ADDR; exit 0 when it answers 200 (for
    /// container health checks).
    Healthcheck,
    /// Staff accounts.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum StaffCommand {
    /// Create a staff account and print its TOTP provisioning URI (shown once), for the new
    /// staff member's authenticator app. The password is read from STAFF_PASSWORD, else from
    /// the first line of standard input.
    Add(StaffAddArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct StaffAddArgs {
    /// The staff member's e-mail address (their sign-in name).
    #[arg(long)]
    pub email: String,
    /// The name shown in the console and its audit.
    #[arg(long)]
    pub name: String,
    /// `viewer` (reads only), `support` (acts on fans) or `admin` (also the sync's dead letters).
    #[arg(long)]
    pub role: Role,
    /// The password (at least 12 characters); prefer the environment to the command line.
    #[arg(long, env = "STAFF_PASSWORD", hide_env_values = true)]
    pub password: Option<SecretString>,
    /// The issuer name authenticator apps show beside the account.
    #[arg(long, default_value = "Club support console")]
    pub totp_issuer: String,
}
