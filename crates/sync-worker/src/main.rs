//! `sync-worker` entry point: parse the command, start telemetry, run the job.

use std::process::ExitCode;

use sync_worker::{
    Worker,
    cli::{Cli, Command},
    db,
};

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    match infra::config::parse_args::<Cli>().command {
        Command::Migrate {
            database,
            telemetry,
        } => {
            let _telemetry = infra::telemetry::init("sync-worker", &telemetry)?;
            let pool = db::pool(&database)?;
            let applied = db::migrate(&pool).await?;
            tracing::info!(count = applied.len(), ?applied, "Migrations applied");
        }
        Command::Run(args) => {
            let _telemetry = infra::telemetry::init("sync-worker", &args.telemetry)?;
            let cancel = infra::shutdown::on_signal();
            Worker::build(args, cancel)
                .await?
                .run_until_stopped()
                .await?;
        }
        Command::Healthcheck { listen_addr } => return Ok(infra::healthcheck::run(listen_addr)),
    }
    Ok(ExitCode::SUCCESS)
}
