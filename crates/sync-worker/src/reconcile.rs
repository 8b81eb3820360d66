//! `sync-worker reconcile`: re-checks contacts against S-360 with `getContactData`, within the
//! API budget (each contact is one call through the shared limiter), the contacts verified
//! longest ago first (or a given list), and applies what S-360 holds through the normal apply
//! path (source `reconcile`, like `replay` it writes directly): merges and anonymisations the
//! webhook did not make explicit, changes it missed, and deletions (a contact S-360 answers
//! 404 for is erased like an anonymised one). Prints a drift report and records it in
//! `reconcile_reports` (`store::reconcile_reports`, which the support console's sync page
//! reads); `run --reconcile-every` schedules it inside the worker.

use std::{fmt, path::PathBuf, time::Duration};

use chrono::Utc;
use diesel::{prelude::*, sql_types::BigInt};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use infra::config::{DatabaseArgs, TelemetryArgs};
use model::ContactNumber;
use secutix_client::{Client, SecutixArgs};
use store::{PgPool, lease::Lease, schema::contact_checks};
use tokio_util::sync::CancellationToken;

use crate::{
    apply::{Applied, ContactEvent, DetectionRules, Lifecycle, apply_event, find},
    metrics::WorkerMetrics,
    remote,
};

#[derive(Debug, Clone, clap::Args)]
pub struct ReconcileArgs {
    /// Re-check these contact numbers (one per line) instead of the longest unverified ones.
    #[arg(long, value_name = "FILE")]
    pub numbers: Option<PathBuf>,
    /// Most contacts re-checked (each costs one contact API call, at SECUTIX_RATE_PER_MINUTE).
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
    #[command(flatten)]
    pub rules: DetectionRules,
    #[command(flatten)]
    pub secutix: SecutixArgs,
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

/// What a reconciliation found, by kind of drift; numbers only.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DriftReport {
    pub checked: u64,
    pub in_step: u64,
    pub updated: Vec<String>,
    pub merged: Vec<String>,
    pub anonymised: Vec<String>,
    pub deleted: Vec<String>,
    pub errors: u64,
}

impl fmt::Display for DriftReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "reconcile: {} checked, {} in step, {} updated, {} merged, {} anonymised, {} deleted, {} errors",
            self.checked,
            self.in_step,
            self.updated.len(),
            self.merged.len(),
            self.anonymised.len(),
            self.deleted.len(),
            self.errors
        )?;
        for (kind, numbers) in [
            ("updated", &self.updated),
            ("merged", &self.merged),
            ("anonymised", &self.anonymised),
            ("deleted", &self.deleted),
        ] {
            if !numbers.is_empty() {
                writeln!(f, "  {kind}: {}", numbers.join(", "))?;
            }
        }
        Ok(())
    }
}

#[derive(Clone)]
pub struct Reconciler {
    pub pool: PgPool,
    pub client: Client,
    pub rules: DetectionRules,
    pub metrics: WorkerMetrics,
}

/// Runs `sync-worker reconcile` once.
pub async fn run(args: &ReconcileArgs, cancel: &CancellationToken) -> anyhow::Result<DriftReport> {
    let pool = store::pool(&args.database)?;
    let client = crate::budget::client(&args.secutix, &pool)?
        .ok_or_else(|| anyhow::anyhow!("reconcile needs the contact API: set SECUTIX_API_URL"))?;
    let reconciler = Reconciler {
        pool,
        client,
        rules: args.rules.clone(),
        metrics: WorkerMetrics::register(&prometheus::Registry::new())?,
    };
    let numbers = match &args.numbers {
        Some(path) => Some(read_numbers(path)?),
        None => None,
    };
    reconciler.reconcile(numbers, args.limit, false, cancel).await
}

/// Reconciles `limit` contacts every `every` until cancelled.
/// The name of the scheduled reconciliation in `scheduled_jobs`.
pub const SCHEDULED_JOB: &str = "reconcile";

/// The scheduled reconciliation of `sync-worker run`: once per `every` for the whole cluster.
/// Only the replica holding the leader lease claims runs, and [`store::schedule::claim`] lets
/// one claim through per period, so a run is neither repeated nor skipped when a leader dies
/// and another takes over.
pub async fn schedule(reconciler: Reconciler, every: Duration, limit: u32, lease: Lease, cancel: CancellationToken) {
    let runner = runner_name();
    // Often enough that a new leader starts a due run within a second.
    let tick = every.min(Duration::from_secs(1));
    loop {
        reconciler.metrics.leader.set(i64::from(lease.is_leader()));
        if lease.is_leader() {
            let claimed = match reconciler.pool.get().await {
                Ok(mut conn) => store::schedule::claim(&mut conn, SCHEDULED_JOB, every, &runner)
                    .await
                    .ok()
                    .flatten(),
                Err(_) => None,
            };
            if let Some(run) = claimed {
                let outcome = match reconciler.reconcile(None, limit, true, &cancel).await {
                    Ok(report) => {
                        tracing::info!(
                            checked = report.checked,
                            updated = report.updated.len(),
                            merged = report.merged.len(),
                            anonymised = report.anonymised.len(),
                            deleted = report.deleted.len(),
                            errors = report.errors,
                            "Scheduled reconciliation done"
                        );
                        "done".to_owned()
                    }
                    Err(error) => {
                        tracing::warn!(%error, "Scheduled reconciliation failed");
                        format!("failed: {error}")
                    }
                };
                if let Ok(mut conn) = reconciler.pool.get().await {
                    let _ = store::schedule::finish(&mut conn, run, &outcome).await;
                }
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(tick) => {}
        }
    }
}

/// Who ran a job, for `scheduled_runs`: the host and process id.
fn runner_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    format!("{}:{}", host.trim(), std::process::id())
}

#[derive(QueryableByName)]
struct Due {
    #[diesel(sql_type = diesel::sql_types::Varchar)]
    contact_number: String,
}

impl Reconciler {
    /// Re-checks `numbers` (else the `limit` longest unverified contacts), and records the drift
    /// report in `reconcile_reports` (`scheduled`: by `run --reconcile-every`) for the console.
    pub async fn reconcile(
        &self,
        numbers: Option<Vec<String>>,
        limit: u32,
        scheduled: bool,
        cancel: &CancellationToken,
    ) -> anyhow::Result<DriftReport> {
        let started_at = Utc::now();
        let mut conn = self.pool.get().await?;
        let numbers = match numbers {
            Some(mut numbers) => {
                numbers.truncate(limit as usize);
                numbers
            }
            None => diesel::sql_query(
                "SELECT c.contact_number FROM contacts c LEFT JOIN contact_checks k USING (contact_number) \
                 WHERE c.state <> 'anonymised' \
                 ORDER BY k.verified_at ASC NULLS FIRST, c.contact_number LIMIT $1",
            )
            .bind::<BigInt, _>(i64::from(limit))
            .load::<Due>(&mut conn)
            .await?
            .into_iter()
            .map(|d| d.contact_number)
            .collect(),
        };
        let mut report = DriftReport::default();
        for number in numbers {
            if cancel.is_cancelled() {
                break;
            }
            let Ok(parsed) = ContactNumber::parse(number.as_str()) else {
                report.errors += 1;
                continue;
            };
            report.checked += 1;
            let outcome = match self.client.get_contact_data(&number).await {
                Ok(Some(raw)) => match remote::event(raw, &self.rules) {
                    Ok(event) => self.apply(&mut conn, event, false).await?,
                    Err(_) => "unmappable",
                },
                Ok(None) => {
                    let stored = find(&mut conn, &number).await?;
                    match stored {
                        Some(row) if row.state != "anonymised" => {
                            self.apply(&mut conn, remote::deleted(&parsed), true).await?
                        }
                        _ => "in_step",
                    }
                }
                Err(error) if error.is_transient() => {
                    tracing::warn!(contact_number = %number, code = %error.code(), "Reconciliation call failed");
                    report.errors += 1;
                    self.metrics.secutix.with_label_values(&["reconcile", "error"]).inc();
                    continue;
                }
                Err(error) => {
                    tracing::warn!(contact_number = %number, code = %error.code(), "S-360 refused the reconciliation call");
                    "refused"
                }
            };
            self.metrics.secutix.with_label_values(&["reconcile", outcome]).inc();
            match outcome {
                "updated" => report.updated.push(number.clone()),
                "merged" => report.merged.push(number.clone()),
                "anonymised" => report.anonymised.push(number.clone()),
                "deleted" => report.deleted.push(number.clone()),
                "in_step" => report.in_step += 1,
                _ => report.errors += 1,
            }
            diesel::insert_into(contact_checks::table)
                .values((
                    contact_checks::contact_number.eq(&number),
                    contact_checks::verified_at.eq(Utc::now()),
                    contact_checks::outcome.eq(outcome),
                ))
                .on_conflict(contact_checks::contact_number)
                .do_update()
                .set((
                    contact_checks::verified_at.eq(Utc::now()),
                    contact_checks::outcome.eq(outcome),
                ))
                .execute(&mut conn)
                .await?;
        }
        store::reconcile_reports::record(&mut conn, scheduled, started_at, &serde_json::to_value(&report)?).await?;
        Ok(report)
    }

    /// Applies S-360's contact unless the mirror already holds that version; names the drift.
    async fn apply(
        &self,
        conn: &mut AsyncPgConnection,
        event: ContactEvent,
        deleted: bool,
    ) -> anyhow::Result<&'static str> {
        let number = event.contact.contact_number.as_str().to_owned();
        let stored = find(conn, &number).await?;
        if let Some(row) = &stored
            && row.state == event.lifecycle.state()
            && row.version_time >= event.version_time
        {
            return Ok("in_step");
        }
        let applied = conn
            .transaction::<_, diesel::result::Error, _>(async |tx: &mut AsyncPgConnection| {
                apply_event(tx, &event).await
            })
            .await?;
        if applied == Applied::Stale {
            return Ok("in_step");
        }
        Ok(match event.lifecycle {
            Lifecycle::Active => "updated",
            Lifecycle::Merged { .. } => "merged",
            Lifecycle::Anonymised if deleted => "deleted",
            Lifecycle::Anonymised => "anonymised",
        })
    }
}

fn read_numbers(path: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}
