//! The tasks of `sync-worker run` that call S-360, all through one client and so one rate
//! limiter: the import's `addLink` calls, the profile write-back, the contact creation of
//! sign-up accounts, and the scheduled reconciliation (run by the replica holding the leader
//! lease). Without `SECUTIX_API_URL` none starts (their work stays queued; sign-up accounts are
//! still attached by the SSO links S-360's webhook brings) and a warning says so.

use secrecy::ExposeSecret;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use store::PgPool;

use crate::{cli::RunArgs, creation::ContactCreation, metrics::WorkerMetrics, writeback::WriteBack};

/// The advisory lock the worker replicas elect their leader with ("SECUTIX" and a version).
const LEADER_LOCK: i64 = 0x5345_4355_5449_5801;
/// How often a follower asks for the lease, and a leader checks it still holds it: a dead
/// leader's runs resume within this time (PostgreSQL frees the lock as the session closes).
const LEASE_RETRY: std::time::Duration = std::time::Duration::from_secs(2);

pub fn spawn(
    args: &RunArgs,
    client: Option<secutix_client::Client>,
    pool: &PgPool,
    metrics: &WorkerMetrics,
    cancel: &CancellationToken,
) -> anyhow::Result<Vec<JoinHandle<()>>> {
    let Some(client) = client else {
        tracing::warn!(
            "SECUTIX_API_URL is not set: S-360 links, profile write-backs and contact creations stay queued"
        );
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
        tokio::spawn(
            ContactCreation {
                pool: pool.clone(),
                client: client.clone(),
                args: args.contact_creation.clone(),
                rules: args.rules.clone(),
                metrics: metrics.clone(),
            }
            .run(cancel.clone()),
        ),
    ];
    if let Some(every) = args.reconcile_every {
        let lease = store::lease::Lease::default();
        tasks.push(tokio::spawn(lease.clone().hold(
            args.database.database_url.expose_secret().to_owned(),
            LEADER_LOCK,
            LEASE_RETRY,
            cancel.clone(),
        )));
        tasks.push(tokio::spawn(crate::reconcile::schedule(
            crate::reconcile::Reconciler {
                pool: pool.clone(),
                client,
                rules: args.rules.clone(),
                metrics: metrics.clone(),
            },
            every,
            args.reconcile_limit,
            lease,
            cancel.clone(),
        )));
    }
    Ok(tasks)
}
