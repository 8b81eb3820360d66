//! `auth-gateway` entry point: read settings, start telemetry, serve until stopped.

use auth_gateway::{Application, Settings};
use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::parse();
    let _telemetry = infra::telemetry::init("auth-gateway", &settings.telemetry)?;
    let cancel = infra::shutdown::on_signal();
    Application::build(settings, cancel)
        .await?
        .run_until_stopped()
        .await
}
