//! `bench`: measures secutix-bridge against raw baselines taken in the same run, and prints
//! medians and ratios. Timings on a shared machine are noisy: read the ratios.

use bench::{Cli, Command};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli: Cli = infra::config::parse_args();
    match cli.command {
        Command::Ingest(args) => bench::ingest::run(args).await,
        Command::Worker(args) => bench::worker::run(args).await,
        Command::Gateway(args) => bench::gateway::run(args).await,
        Command::Passkeys(args) => bench::passkeys::run(args).await,
        Command::Import(args) => bench::import::run(args).await,
        Command::Storm(args) => bench::storm::run(args).await,
        Command::Growth(args) => bench::growth::run(args).await,
    }
}
