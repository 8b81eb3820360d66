//! `support-console` entry point: read settings, then serve until stopped, answer a container
//! health check, or create a staff account.

use std::process::ExitCode;

use support_console::{
    Application, Settings,
    cli::{Command, StaffCommand},
};

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let settings: Settings = infra::config::parse_args();
    match settings.command {
        Some(Command::Healthcheck) => return Ok(infra::healthcheck::run(settings.listen_addr)),
        Some(Command::Staff {
            command: StaffCommand::Add(ref args),
        }) => {
            println!("{}", support_console::staff_add::run(&settings, args).await?);
            return Ok(ExitCode::SUCCESS);
        }
        None => {}
    }
    let _telemetry = infra::telemetry::init("support-console", &settings.telemetry)?;
    let cancel = infra::shutdown::on_signal();
    Application::build(settings, cancel).await?.run_until_stopped().await?;
    Ok(ExitCode::SUCCESS)
}
