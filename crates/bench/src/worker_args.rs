//! The `sync-worker run` arguments the benchmarks start an in-process worker with, and take
//! their database pool settings from. Shared by the worker benchmark, its end-to-end lag and
//! the benchmark database, so it sits below all three rather than in any one of them.

/// `sync-worker run` arguments for a worker on `amqp_url` with queue names under `prefix`,
/// writing to `database_url`, listening on a free port; `extra` adds or overrides options
/// (`--batch-size`, `--prefetch`). Parsed by the worker's own clap definition, so every other
/// option has the default an operator gets.
pub fn run_args(
    amqp_url: &str,
    prefix: &str,
    database_url: &str,
    extra: &[&str],
) -> anyhow::Result<sync_worker::cli::RunArgs> {
    #[derive(clap::Parser)]
    struct Wrapper {
        #[command(flatten)]
        run: sync_worker::cli::RunArgs,
    }
    let mut argv = vec![
        "run",
        "--listen-addr",
        "127.0.0.1:0",
        "--amqp-url",
        amqp_url,
        "--amqp-name-prefix",
        prefix,
    ];
    argv.extend(["--database-url", database_url]);
    argv.extend_from_slice(extra);
    Ok(infra::config::parse_from::<Wrapper, _, _>(argv)?.run)
}
