//! Benchmark library: one module per benchmark, plus the statistics and report helpers they
//! share.

pub mod database;
pub mod gateway;
pub mod gateway_baselines;
pub mod gateway_first_use;
pub mod gateway_grants;
pub mod growth;
pub mod growth_data;
pub mod growth_report;
pub mod growth_search;
pub mod http1;
pub mod import;
pub mod ingest;
pub mod lag;
pub mod passkey_authenticator;
pub mod passkey_fans;
pub mod passkeys;
pub mod passkeys_without_http;
pub mod raw;
pub mod report;
pub mod service_process;
pub mod storm;
pub mod storm_fan;
pub mod storm_gateway;
pub mod worker;
pub mod worker_args;
pub mod wrk;

/// Benchmarks of secutix-bridge. Each prints the project's figure beside a raw baseline
/// measured in the same run on the same broker and database, and the ratio.
#[derive(Debug, clap::Parser)]
#[command(name = "bench", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// webhook-ingest: contacts accepted per second and request latency at a given
    /// concurrency, beside raw confirmed publishing with lapin.
    Ingest(ingest::IngestArgs),
    /// sync-worker: contacts applied per second for several batch sizes, beside a raw
    /// consume-and-upsert loop; and end-to-end lag from webhook 200 to committed row at half
    /// the rate the whole pipeline sustains, measured first.
    Worker(worker::WorkerArgs),
    /// auth-gateway: refresh grants, userinfo (one token repeated, and each token once) and
    /// password logins per second, beside JWT signing, a static JSON response from the same
    /// HTTP stack, one ES256 verification plus one primary-key query, and argon2id hashing.
    Gateway(gateway::GatewayArgs),
    /// auth-gateway: passkey sign-ins per second through the real endpoints, beside
    /// webauthn-rs verifying the same assertions alone and password sign-ins in the same run.
    Passkeys(passkeys::PasskeysArgs),
    /// sync-worker import: contacts imported per second from a generated JSON-lines file,
    /// beside `psql \copy` of the same file into a plain table.
    Import(import::ImportArgs),
    /// auth-gateway under an on-sale sign-in storm: fans signing in once each (authorize, sign-in
    /// page, password, code, token, userinfo) at 0.5×, 1× and 10× the argon2id rate measured
    /// first, beside fans already signed in signing in silently; the gateway runs as its own
    /// process.
    Storm(storm::StormArgs),
    /// Cost as the database grows: worker apply, userinfo on first use, password sign-ins and
    /// the support console's search (each form, beside its SQL alone) with 0, 1M and 5M fans
    /// stored, each service a process of its own with its peak memory, every figure beside its
    /// figure on the empty database.
    Growth(growth::GrowthArgs),
}

/// The S-360 sample contact with another contact number.
pub fn sample_contact(number: &str) -> serde_json::Value {
    let mut contact: serde_json::Value =
        serde_json::from_str(include_str!("../../model/fixtures/getContactData.sample.json")).unwrap_or_default();
    contact["contactNumber"] = number.into();
    contact
}
