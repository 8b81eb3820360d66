//! Command line and environment of `auth-gateway`.

use std::net::SocketAddr;

use clap::Parser;
use infra::config::{DatabaseArgs, TelemetryArgs};

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

    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Ask the running service's `/healthz` on LISTEN_ADDR; exit 0 when it answers 200 (for
    /// container health checks).
    Healthcheck,
}
