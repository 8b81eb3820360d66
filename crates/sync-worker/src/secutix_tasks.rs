//! The tasks of `sync-worker run` that call S-360, all through one client and so one rate
//! limiter: the import's `addLink` calls, the profile write-back, and the scheduled
//! reconciliation. Without `SECUTIX_API_URL` none starts (their work stays queued) and a
//! warning says so.

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use store::PgPool;

use crate::{cli::RunArgs, metrics::WorkerMetrics, writeback::WriteBack};

pub fn spawn(
    args: &RunArgs,
    pool: &PgPool,
    metrics: &WorkerMetrics,
    cancel: &CancellationToken,
) -> anyhow::Result<Vec<JoinHandle<()>>> {
    let Some(client) = crate::budget::client(&args.secutix, pool)? else {
        tracing::warn!("SECUTIX_API_URL is not set: S-360 links and profile write-backs stay queued");
        return Ok(Vec::new());
    };
    let mut tasks = vec![
        tokio::spawn(crate::links::run(
            pool.clone(),
            client.clone(),
            metrics.clone(),
            cancel.clone(),
        )),
        tokio::spawn(
            WriteBack {
                pool: pool.clone(),
                client: client.clone(),
                rules: args.rules.clone(),
                metrics: metrics.clone(),
            }
            .run(cancel.clone()),
        ),
    ];
    if let Some(every) = args.reconcile_every {
        tasks.push(tokio::spawn(crate::reconcile::schedule(
            crate::reconcile::Reconciler {
                pool: pool.clone(),
                client,
                rules: args.rules.clone(),
                metrics: metrics.clone(),
            },
            every,
            args.reconcile_limit,
            cancel.clone(),
        )));
    }
    Ok(tasks)
}
