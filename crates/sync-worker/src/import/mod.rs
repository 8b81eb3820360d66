//! `sync-worker import`: copies the contacts with a web account from an S-360 export (or,
//! with `--numbers`, from the contact API) into the mirror, creates their accounts without a
//! password, and records the set-your-password mail and the `addLink` each is owed (which the
//! running worker queues, `crate::followups`). Idempotent (the version guard and unique
//! accounts make a second run import nothing) and resumable (each chunk commits with the run's
//! position; a killed run continues after the last chunk).

mod batch;
mod chunks;
mod copy;
pub mod csv_columns;
mod numbers;
mod progress;
pub mod record;
mod report;
mod runs;
pub mod source;
#[cfg(test)]
mod tests;
mod web;

use std::{
    collections::BTreeMap,
    path::PathBuf,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use infra::config::{DatabaseArgs, TelemetryArgs};
use secutix_client::SecutixArgs;
use tokio_util::sync::CancellationToken;

use chunks::{AccountStage, Applied, Prepared, prepare_all};
use progress::Progress;
pub use report::Report;
pub use source::Format;

use crate::apply::{DetectionRules, Lifecycle};

#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["file", "numbers"])))]
pub struct ImportArgs {
    /// Export file to import: JSON lines (`.jsonl`) of `getContactData` objects, a JSON array
    /// (`.json`) of `getContactData` objects or Data Export rows, or CSV (`.csv`) with S-360's
    /// bulk-import columns.
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// Format of `--file` when its extension does not say.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// A file of contact numbers (one per line) to fetch with `getContactData` at the API's
    /// rate and import. The answers are kept in `<FILE>.contacts.jsonl`, so an interrupted
    /// fetch resumes too.
    #[arg(long, value_name = "FILE")]
    pub numbers: Option<PathBuf>,

    /// Records applied per transaction (and per progress step).
    #[arg(long, env = "IMPORT_BATCH_SIZE", value_name = "IMPORT_BATCH_SIZE", default_value_t = 5000,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch_size: u32,

    /// How long the mailed set-your-password links work (`72h`, `7days`).
    #[arg(long, env = "IMPORT_LINK_LIFETIME", value_name = "IMPORT_LINK_LIFETIME", default_value = "72h",
          value_parser = humantime::parse_duration)]
    pub link_lifetime: Duration,

    /// Public base URL of auth-gateway (its issuer): the mailed links open its set-password
    /// page, `<GATEWAY_ISSUER>/password/reset?token=...`.
    #[arg(
        long,
        env = "GATEWAY_ISSUER",
        value_name = "GATEWAY_ISSUER",
        default_value = "http://127.0.0.1:8080"
    )]
    pub gateway_issuer: url::Url,

    #[command(flatten)]
    pub rules: DetectionRules,
    #[command(flatten)]
    pub secutix: SecutixArgs,
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

/// Running totals of a run, stored with its position so a resumed run reports the whole file.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    pub read: u64,
    pub contacts_written: u64,
    pub contacts_current: u64,
    pub accounts_created: u64,
    pub mailed: u64,
    pub links_queued: u64,
    /// Records that gave no new account, by reason.
    pub skipped: BTreeMap<String, u64>,
}

/// Imports `args.file` (or the contacts of `args.numbers`) and reports what happened.
pub async fn run(args: &ImportArgs, cancel: &CancellationToken) -> anyhow::Result<Report> {
    let pool = store::pool(&args.database)?;
    let (path, format) = match (&args.file, &args.numbers) {
        (Some(file), _) => {
            let format = args.format.or_else(|| Format::from_path(file)).ok_or_else(|| {
                anyhow::anyhow!(
                    "cannot tell the format of {} from its extension: give --format",
                    file.display()
                )
            })?;
            (file.clone(), format)
        }
        (None, Some(numbers)) => (numbers::fetch(args, numbers, cancel).await?, Format::Jsonl),
        (None, None) => anyhow::bail!("give --file or --numbers"),
    };
    let metadata = std::fs::metadata(&path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let export_time: DateTime<Utc> = metadata.modified().map(DateTime::from).unwrap_or_else(|_| Utc::now());
    let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
    let source_key = format!(
        "{}\n{}\n{}",
        canonical.display(),
        metadata.len(),
        export_time.timestamp_nanos_opt().unwrap_or_default()
    );

    // First pass: count the records and find the login e-mails several contacts share.
    let first_pass = Instant::now();
    let (emails, total) = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || web::scan(&path, format)).await??
    };

    tracing::info!(
        records = total,
        seconds = first_pass.elapsed().as_secs_f64(),
        "First pass done"
    );
    let mut conn = pool.get().await?;
    let run = runs::open(&mut conn, &source_key, format, total).await?;
    if run.position > 0 {
        tracing::info!(run = run.id, position = run.position, "Resuming an interrupted import");
    }
    let settings = batch::AccountSettings {
        gateway_url: args.gateway_issuer.as_str().to_owned(),
        link_lifetime: args.link_lifetime,
    };
    let progress = Progress::new(total, run.position as u64);
    let mut position = run.position;
    let started = Instant::now();
    let shared_emails = emails.shared();
    // Reading and mapping chunks is CPU work, done on a thread of its own one or two chunks
    // ahead, while PostgreSQL applies the previous one.
    let (sender, mut chunks) = tokio::sync::mpsc::channel::<Prepared>(2);
    let producer = {
        let records = source::read(&path, format)?.skip(run.position as usize);
        let (rules, batch_size) = (args.rules.clone(), args.batch_size as usize);
        tokio::task::spawn_blocking(move || prepare_all(records, batch_size, &emails, export_time, &rules, &sender))
    };
    // The stages of neighbouring chunks overlap: the contacts of one chunk are written (copied
    // on a connection of their own, `copy`, or upserted on a pooled one) while the accounts of
    // the previous one are created on a second pooled connection (`batch`). A chunk with
    // merges or anonymisations, which also move accounts, waits for the previous chunk.
    anyhow::ensure!(
        args.database.database_pool_size >= 2,
        "the import works on two database connections: give --database-pool-size 2 or more"
    );
    let mut accounts_conn = pool.get().await?;
    let mut copier = copy::connect(&args.database).await?;
    let mut stage = AccountStage {
        conn: &mut accounts_conn,
        run_id: run.id,
        settings: &settings,
        progress: &progress,
        counts: run.counts.clone(),
        committed: run.position,
    };
    let mut waiting: Option<Applied> = None;
    let mut applying = Duration::ZERO;
    while let Some(prepared) = chunks.recv().await {
        if cancel.is_cancelled() {
            anyhow::bail!(
                "interrupted after {} records; run the same command again to resume",
                stage.committed
            );
        }
        let Prepared {
            mut chunk,
            read,
            skipped,
        } = prepared;
        position += read as i64;
        let apply_started = Instant::now();
        let events = std::mem::take(&mut chunk.events);
        let texts = std::mem::take(&mut chunk.texts);
        if events.iter().any(|e| e.lifecycle != Lifecycle::Active) {
            stage.finish(waiting.take()).await?;
        }
        let (contacts, previous) = tokio::join!(
            batch::apply_contacts(&mut conn, &mut copier, events, texts),
            stage.finish(waiting.take())
        );
        previous?;
        waiting = Some(Applied {
            chunk,
            read,
            skipped,
            contacts: contacts?,
            position,
        });
        applying += apply_started.elapsed();
    }
    let apply_started = Instant::now();
    stage.finish(waiting).await?;
    applying += apply_started.elapsed();
    let counts = stage.counts;
    producer.await?;
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        applying = applying.as_secs_f64(),
        "Second pass done"
    );
    runs::finish(&mut conn, run.id).await?;
    progress.finish();
    report::build(&mut conn, run.id, counts, shared_emails, started.elapsed()).await
}
