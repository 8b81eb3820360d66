//! `secutix-sim` entry point: parse the command line, then run, export or probe.

use std::process::ExitCode;

use secutix_sim::{
    Simulator,
    cli::{self, Cli, Command},
};

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let cli: Cli = infra::config::parse_args();
    match cli.command {
        Command::Healthcheck { listen_addr } => Ok(infra::healthcheck::run(listen_addr)),
        Command::Export(args) => {
            cli::export(args).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Run { config, telemetry } => {
            let _telemetry = infra::telemetry::init("secutix-sim", &telemetry)?;
            let sim = Simulator::start(*config).await?;
            let signal = infra::shutdown::on_signal();
            let stop = sim.cancel_token();
            tokio::spawn(async move {
                signal.cancelled().await;
                stop.cancel();
            });
            sim.wait().await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
