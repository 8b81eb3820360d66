//! Replays the support console asks for: a `ReplayRequest` on the commands queue names a
//! `replay_runs` row in state `requested` (where it starts, dry or real). The worker claims it
//! (a redelivered request runs once), acks the command and runs the replay in the background
//! through [`crate::replay::replay`], the command line's implementation, which records progress,
//! totals and a dry run's diff, and keeps one replay at a time across replicas.

use std::time::Duration;

use prost::Message;
use tokio_util::sync::CancellationToken;

use crate::{commands::CommandConsumer, replay, writer::Writer};

/// Events applied per transaction, as `sync-worker replay` does by default.
const BATCH_SIZE: usize = 500;
/// How long without an event ends a replay, as `sync-worker replay` does by default.
const IDLE_TIMEOUT: Duration = Duration::from_secs(2);

impl CommandConsumer {
    /// Starts the requested replay; `Some(reason)` when the command can never apply.
    pub(crate) async fn replay_requested(
        &self,
        data: &[u8],
        cancel: &CancellationToken,
    ) -> anyhow::Result<Option<&'static str>> {
        let Ok(command) = model::bus::ReplayRequest::decode(data) else {
            return Ok(Some("not a valid ReplayRequest command"));
        };
        let mut conn = self.pool.get().await?;
        let Some(run) = store::replay_runs::claim(&mut conn, command.run_id).await? else {
            tracing::info!(run_id = command.run_id, "Replay request already taken or unknown");
            return Ok(None);
        };
        drop(conn);
        let params = replay::Params {
            start: run.start(),
            dry_run: run.dry_run,
            batch_size: BATCH_SIZE,
            idle_timeout: IDLE_TIMEOUT,
            rules: self.rules.clone(),
        };
        let writer = Writer {
            pool: self.pool.clone(),
            metrics: self.metrics.clone(),
        };
        let (amqp_url, topology, cancel) = (self.amqp_url.clone(), self.topology.clone(), cancel.clone());
        tokio::spawn(async move {
            match replay::replay(&writer, &amqp_url, &topology, &params, run.id, &cancel).await {
                Ok(done) => tracing::info!(run_id = run.id, read = done.report.read, "Requested replay done"),
                Err(error) => tracing::warn!(run_id = run.id, %error, "Requested replay failed"),
            }
        });
        Ok(None)
    }
}
