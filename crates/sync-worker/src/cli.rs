//! Command line and environment of `sync-worker`: one subcommand per job.

use std::net::SocketAddr;

use clap::{Parser, Subcommand};
use infra::config::{AmqpArgs, DatabaseArgs, TelemetryArgs};

use crate::{apply::DetectionRules, import::ImportArgs, redrive::RedriveArgs, replay::ReplayArgs};

/// Owns the secutix-bridge contact database: applies S-360 contact events from RabbitMQ and
/// runs the sync jobs. Every option can also be set through the environment variable shown.
#[derive(Debug, Parser)]
#[command(name = "sync-worker", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply every pending database migration, then exit.
    Migrate {
        /// The database role auth-gateway connects as: after the migrations it is granted
        /// reading every table and writing only the authentication tables, nothing else
        /// (`store::roles`). Create the role (LOGIN, its password) beforehand. Unset: no grants.
        #[arg(long, env = "MIGRATE_GATEWAY_ROLE", value_name = "MIGRATE_GATEWAY_ROLE",
              value_parser = |s: &str| if store::roles::is_role_name(s) { Ok(s.to_owned()) } else { Err("a plain lower-case role name".to_owned()) })]
        gateway_role: Option<String>,
        /// The database role support-console connects as: granted reading every table and
        /// writing only its sessions, its audit (insert only) and the authentication state its
        /// actions change (`store::roles::CONSOLE_WRITES`). Unset: no grants.
        #[arg(long, env = "MIGRATE_CONSOLE_ROLE", value_name = "MIGRATE_CONSOLE_ROLE",
              value_parser = |s: &str| if store::roles::is_role_name(s) { Ok(s.to_owned()) } else { Err("a plain lower-case role name".to_owned()) })]
        console_role: Option<String>,
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        telemetry: TelemetryArgs,
    },
    /// Consume contact events and apply them until SIGTERM or ctrl-c; serves `/healthz`,
    /// `/readyz` and `/metrics` meanwhile.
    Run(Box<RunArgs>),
    /// Re-apply events from the `contacts.log` stream (after an incident, or to rebuild the
    /// contacts table), through the same code path as `run`.
    Replay(ReplayArgs),
    /// Import the contacts with a web account from an S-360 export file (or, with
    /// `--numbers`, from the contact API): accounts without passwords, a set-your-password mail
    /// and an S-360 `addLink` queued for each. Safe to run again; resumes when interrupted.
    Import(Box<ImportArgs>),
    /// Re-check contacts against S-360 (`getContactData`) within the API budget, oldest
    /// verified first or a given list; apply merges, anonymisations, deletions and missed
    /// changes through the normal apply path; print a drift report.
    Reconcile(Box<crate::reconcile::ReconcileArgs>),
    /// Move dead letters back to the contacts exchange for another try, all or filtered.
    Redrive(RedriveArgs),
    /// Ask a running worker's `/healthz` on LISTEN_ADDR; exit 0 when it answers 200 (for
    /// container health checks).
    Healthcheck {
        /// Address the worker's operations endpoints listen on.
        #[arg(
            long,
            env = "LISTEN_ADDR",
            value_name = "LISTEN_ADDR",
            default_value = "127.0.0.1:8082"
        )]
        listen_addr: SocketAddr,
    },
}

#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Address of the operations endpoints (`/healthz`, `/readyz`, `/metrics`); port 0 picks a
    /// free port.
    #[arg(
        long,
        env = "LISTEN_ADDR",
        value_name = "LISTEN_ADDR",
        default_value = "127.0.0.1:8082"
    )]
    pub listen_addr: SocketAddr,

    /// How many unacknowledged events the broker may hand the worker at once.
    #[arg(long, env = "WORKER_PREFETCH", value_name = "WORKER_PREFETCH", default_value_t = 256,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub prefetch: u16,

    /// Most events applied in one transaction (and acked together after its commit).
    #[arg(long, env = "WORKER_BATCH_SIZE", value_name = "WORKER_BATCH_SIZE", default_value_t = 100,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub batch_size: u16,

    /// Re-check contacts against S-360 on this schedule (`30m`, `6h`): each run takes the
    /// `--reconcile-limit` contacts verified longest ago (see `sync-worker reconcile`). Unset:
    /// no scheduled reconciliation.
    #[arg(long, env = "RECONCILE_EVERY", value_name = "RECONCILE_EVERY", value_parser = humantime::parse_duration)]
    pub reconcile_every: Option<std::time::Duration>,

    /// Contacts re-checked per scheduled reconciliation (each costs one API call).
    #[arg(long, env = "RECONCILE_LIMIT", value_name = "RECONCILE_LIMIT", default_value_t = 100)]
    pub reconcile_limit: u32,

    #[command(flatten)]
    pub rules: DetectionRules,
    #[command(flatten)]
    pub contact_creation: crate::creation::ContactCreationArgs,
    #[command(flatten)]
    pub mail: crate::mailer::MailArgs,
    #[command(flatten)]
    pub secutix: secutix_client::SecutixArgs,
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub amqp: AmqpArgs,
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}
