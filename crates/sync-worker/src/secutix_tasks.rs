//! The tasks of `sync-worker run` that call S-360, all through one client and so one rate
//! limiter: the import's `addLink` calls. Without `SECUTIX_API_URL` none starts (their work
//! stays queued) and a warning says so.

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::{cli::RunArgs, db::PgPool};

pub fn spawn(args: &RunArgs, pool: &PgPool, cancel: &CancellationToken) -> anyhow::Result<Vec<JoinHandle<()>>> {
    let Some(client) = secutix_client::Client::from_args(&args.secutix)? else {
        tracing::warn!("SECUTIX_API_URL is not set: S-360 links stay queued");
        return Ok(Vec::new());
    };
    Ok(vec![tokio::spawn(crate::links::run(
        pool.clone(),
        client,
        cancel.clone(),
    ))])
}
