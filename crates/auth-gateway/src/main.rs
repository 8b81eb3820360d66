//! `auth-gateway` entry point: read settings, start telemetry, serve until stopped (or answer a
//! container health check).

use std::process::ExitCode;

use auth_gateway::{Application, Settings, cli::Command};

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let settings: Settings = infra::config::parse_args();
    match settings.command {
        Some(Command::Healthcheck) => return Ok(infra::healthcheck::run(settings.listen_addr)),
        Some(Command::Client(command)) => {
            println!("{}", auth_gateway::clients::admin::run(command)?);
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Sessions(command)) => {
            println!(
                "{}",
                auth_gateway::sessions_admin::run(command, &settings.database).await?
            );
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::SealingKey) => {
            println!("{}", auth_gateway::keys::new_sealing_entry()?);
            return Ok(ExitCode::SUCCESS);
        }
        None => {}
    }
    let _telemetry = infra::telemetry::init("auth-gateway", &settings.telemetry)?;
    let cancel = infra::shutdown::on_signal();
    Application::build(settings, cancel).await?.run_until_stopped().await?;
    Ok(ExitCode::SUCCESS)
}
