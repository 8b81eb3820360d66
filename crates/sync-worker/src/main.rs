//! `sync-worker` entry point: parse the command, start telemetry, run the job.

use std::process::ExitCode;

use sync_worker::{
    Worker,
    cli::{Cli, Command},
};

/// mimalloc: the import and the batch apply allocate and free millions of small JSON nodes on
/// several threads, where glibc's malloc spent half of the import's CPU time
/// (`docs/performance.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    match infra::config::parse_args::<Cli>().command {
        Command::Migrate {
            gateway_role,
            console_role,
            database,
            telemetry,
        } => {
            let _telemetry = infra::telemetry::init("sync-worker", &telemetry)?;
            let pool = store::pool(&database)?;
            let applied = store::migrate_and_grant(&pool, gateway_role.as_deref(), console_role.as_deref()).await?;
            tracing::info!(
                count = applied.len(),
                ?applied,
                gateway_role,
                console_role,
                "Migrations applied"
            );
        }
        Command::Run(args) => {
            let _telemetry = infra::telemetry::init("sync-worker", &args.telemetry)?;
            let cancel = infra::shutdown::on_signal();
            Worker::build(*args, cancel).await?.run_until_stopped().await?;
        }
        Command::Replay(args) => {
            let _telemetry = infra::telemetry::init("sync-worker", &args.telemetry)?;
            let cancel = infra::shutdown::on_signal();
            let replayed = sync_worker::replay::run(&args, &cancel).await?;
            if let Some(diff) = &replayed.diff {
                print!("{diff}");
            }
            let report = replayed.report;
            let verb = if args.dry_run { "would be written" } else { "written" };
            println!(
                "replay: {} events read, {} {verb}, {} already current, {} invalid, {} refused by the database",
                report.read, report.written, report.stale, report.invalid, report.refused
            );
        }
        Command::Redrive(args) => {
            let _telemetry = infra::telemetry::init("sync-worker", &args.telemetry)?;
            let report = sync_worker::redrive::run(&args).await?;
            let verb = if args.dry_run { "would be redriven" } else { "redriven" };
            println!(
                "redrive: {} dead letters examined, {} {verb}, {} kept",
                report.examined, report.redriven, report.kept
            );
        }
        Command::Import(args) => {
            let _telemetry = infra::telemetry::init("sync-worker", &args.telemetry)?;
            let cancel = infra::shutdown::on_signal();
            let report = sync_worker::import::run(&args, &cancel).await?;
            print!("{report}");
        }
        Command::Reconcile(args) => {
            let _telemetry = infra::telemetry::init("sync-worker", &args.telemetry)?;
            let cancel = infra::shutdown::on_signal();
            let report = sync_worker::reconcile::run(&args, &cancel).await?;
            print!("{report}");
        }
        Command::Healthcheck { listen_addr } => return Ok(infra::healthcheck::run(listen_addr)),
    }
    Ok(ExitCode::SUCCESS)
}
