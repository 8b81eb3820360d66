//! `auth-gateway` entry point: read settings, start telemetry, serve until stopped.

use auth_gateway::{Application, Settings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings: Settings = infra::config::parse_args();
    let _telemetry = infra::telemetry::init("auth-gateway", &settings.telemetry)?;
    let cancel = infra::shutdown::on_signal();
    Application::build(settings, cancel)
        .await?
        .run_until_stopped()
        .await
}
