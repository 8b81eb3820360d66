//! `webhook-ingest` entry point: read settings, start telemetry, serve until stopped (or answer a
//! container health check).

use std::process::ExitCode;

use webhook_ingest::{Application, Settings, cli::Command};

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let settings: Settings = infra::config::parse_args();
    if let Some(Command::Healthcheck) = settings.command {
        return Ok(infra::healthcheck::run(settings.listen_addr));
    }
    let _telemetry = infra::telemetry::init("webhook-ingest", &settings.telemetry)?;
    let cancel = infra::shutdown::on_signal();
    Application::build(settings, cancel).await?.run_until_stopped().await?;
    Ok(ExitCode::SUCCESS)
}
