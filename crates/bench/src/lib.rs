//! Benchmark library: one module per benchmark, plus the statistics and report helpers they
//! share.

pub mod ingest;
pub mod raw;
pub mod report;

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
}
