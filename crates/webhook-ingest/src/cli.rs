//! Command line and environment of `webhook-ingest`.

use std::{net::SocketAddr, time::Duration};

use clap::Parser;
use infra::config::{AmqpArgs, TelemetryArgs, parse_seconds};

use crate::auth::AuthArgs;

/// Receives S-360's contact webhooks and publishes each contact to RabbitMQ, answering 200
/// only once the broker has confirmed every contact. Every option can also be set through the
/// environment variable shown.
#[derive(Debug, Clone, Parser)]
#[command(name = "webhook-ingest", version)]
pub struct Settings {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on; port 0 picks a free port.
    #[arg(
        long,
        env = "LISTEN_ADDR",
        value_name = "LISTEN_ADDR",
        default_value = "127.0.0.1:8081"
    )]
    pub listen_addr: SocketAddr,

    /// Largest request body accepted, in bytes; larger bodies get 413 before being read in full.
    #[arg(long, env = "INGEST_MAX_BODY_BYTES", value_name = "INGEST_MAX_BODY_BYTES", default_value_t = 5 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Largest number of contacts in one request (S-360's bucket size); more get 413.
    #[arg(
        long,
        env = "INGEST_MAX_BATCH",
        value_name = "INGEST_MAX_BATCH",
        default_value_t = 1000
    )]
    pub max_batch: usize,

    /// How long a confirmed `webhook-id`, or the last payload confirmed for a contact, is
    /// remembered so an identical repeat is answered 200 without publishing it again, in
    /// seconds; 0 disables this.
    #[arg(long, env = "INGEST_DEDUP_WINDOW", value_name = "INGEST_DEDUP_WINDOW",
          default_value = "60", value_parser = parse_seconds)]
    pub dedup_window: Duration,

    /// Longest wait for the broker to confirm a request's contacts, in seconds; past it the
    /// answer is 503 and S-360 sends the contacts again.
    #[arg(long, env = "INGEST_CONFIRM_TIMEOUT", value_name = "INGEST_CONFIRM_TIMEOUT",
          default_value = "5", value_parser = parse_seconds)]
    pub confirm_timeout: Duration,

    /// Confirm-mode channels used in turn, so concurrent requests do not wait on each other.
    #[arg(long, env = "INGEST_CHANNELS", value_name = "INGEST_CHANNELS", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub channels: u16,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "INGEST_HTTP_WORKERS", value_name = "INGEST_HTTP_WORKERS")]
    pub http_workers: Option<usize>,

    #[command(flatten)]
    pub auth: AuthArgs,
    #[command(flatten)]
    pub amqp: AmqpArgs,
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Ask the running service's `/healthz` on LISTEN_ADDR; exit 0 when it answers 200 (for
    /// container health checks).
    Healthcheck,
}
