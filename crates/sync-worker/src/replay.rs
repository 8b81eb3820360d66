//! `sync-worker replay`: reads the `contacts.log` stream from an offset or a point in time and
//! applies its events through the same code path as `run`. Events keep their original
//! versions, so a replay converges to the same state however often it runs; `--dry-run`
//! applies in transactions that are rolled back and reports what would change, contact by
//! contact (`crate::replay_diff`). Every replay is recorded in `replay_runs` with its progress,
//! totals and a dry run's diff ([`replay`] is the one implementation, for the command line and
//! for the support console's requests through the commands queue).
//!
//! AMQP stream consumers cannot ask where the stream ends: the replay stops at the first
//! event published after it started, or when no event arrives for `--idle-timeout`.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use lapin::{
    options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions},
    types::{AMQPValue, FieldTable, LongString, ShortString},
};
use tokio_util::sync::CancellationToken;

use crate::{
    apply::{Applied, ContactEvent, DetectionRules},
    metrics::WorkerMetrics,
    replay_diff::{DiffBuilder, DryRunDiff},
    writer::Writer,
};
use infra::{
    amqp::{Topology, connect},
    config::{AmqpArgs, DatabaseArgs, TelemetryArgs, parse_seconds},
};
use secrecy::SecretString;
use store::replay_runs::Start;

#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("start").required(true).args(["since", "from_offset"])))]
pub struct ReplayArgs {
    /// Replay events published since this time: RFC 3339 (`2026-11-26T08:00:00Z`) or a
    /// duration back from now (`90m`, `6h`, `2days`).
    #[arg(long, value_parser = parse_since)]
    pub since: Option<DateTime<Utc>>,
    /// Replay from a stream offset: `first` (the oldest retained event) or a number.
    #[arg(long, value_parser = parse_offset)]
    pub from_offset: Option<Offset>,
    /// Apply in transactions that are rolled back, and report what would change.
    #[arg(long)]
    pub dry_run: bool,
    /// Events applied per transaction.
    #[arg(long, default_value_t = 500)]
    pub batch_size: usize,
    /// Stop after this many seconds without an event.
    #[arg(long, default_value = "2", value_parser = parse_seconds)]
    pub idle_timeout: Duration,
    #[command(flatten)]
    pub rules: DetectionRules,
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub amqp: AmqpArgs,
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offset {
    First,
    At(i64),
}

/// The advisory lock that keeps one replay at a time (`store::lease::try_lock`).
pub const REPLAY_LOCK: i64 = 0x7265_706c_6179; // "replay"

/// What to replay, and how.
#[derive(Debug, Clone)]
pub struct Params {
    pub start: Start,
    pub dry_run: bool,
    pub batch_size: usize,
    pub idle_timeout: Duration,
    pub rules: DetectionRules,
}

impl ReplayArgs {
    pub fn params(&self) -> Params {
        Params {
            start: Start {
                from_offset: match self.from_offset {
                    Some(Offset::At(n)) => Some(n),
                    _ => None,
                },
                since: self.since.filter(|_| self.from_offset.is_none()),
            },
            dry_run: self.dry_run,
            batch_size: self.batch_size,
            idle_timeout: self.idle_timeout,
            rules: self.rules.clone(),
        }
    }
}

/// A recorded replay: its row in `replay_runs`, its totals and a dry run's diff.
#[derive(Debug, Clone)]
pub struct Replayed {
    pub run_id: i64,
    pub report: ReplayReport,
    pub diff: Option<DryRunDiff>,
}

/// What a replay did (or, with `--dry-run`, would do).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ReplayReport {
    pub read: u64,
    pub written: u64,
    pub stale: u64,
    pub invalid: u64,
    pub refused: u64,
}

/// `sync-worker replay`: records the run (requested by the command line) and replays.
pub async fn run(args: &ReplayArgs, cancel: &CancellationToken) -> anyhow::Result<Replayed> {
    let pool = store::pool(&args.database)?;
    let params = args.params();
    let mut conn = pool.get().await?;
    let run_id = store::replay_runs::start(&mut conn, "command line", params.start, params.dry_run).await?;
    drop(conn);
    let topology = Topology::new(args.amqp.amqp_name_prefix.clone());
    let writer = Writer {
        pool,
        metrics: WorkerMetrics::register(&prometheus::Registry::new())?,
    };
    replay(&writer, &args.amqp.amqp_url, &topology, &params, run_id, cancel).await
}

/// Replays as `params` says and records in `replay_runs` row `run_id` its progress, and at the
/// end its totals and a dry run's diff (or that it failed).
pub async fn replay(
    writer: &Writer,
    amqp_url: &SecretString,
    topology: &Topology,
    params: &Params,
    run_id: i64,
    cancel: &CancellationToken,
) -> anyhow::Result<Replayed> {
    // One replay at a time, across replicas and the command line: a lock held by this
    // session (released at the end, or by PostgreSQL if the process dies).
    let mut lock = writer.pool.get().await?;
    if !store::lease::try_lock(&mut lock, REPLAY_LOCK).await? {
        let mut conn = writer.pool.get().await?;
        let totals = serde_json::json!({ "error": "another replay is running" });
        store::replay_runs::finish(&mut conn, run_id, "failed", &totals, None).await?;
        anyhow::bail!("another replay is running");
    }
    let abandoned = store::replay_runs::abandon_others(&mut lock, run_id).await?;
    if abandoned > 0 {
        tracing::warn!(abandoned, "Replays whose process stopped recorded as failed");
    }
    let mut diff = DiffBuilder::default();
    let outcome = stream(writer, amqp_url, topology, params, run_id, &mut diff, cancel).await;
    store::lease::unlock(&mut lock, REPLAY_LOCK).await?;
    drop(lock);
    // Stopped by a shutdown before the end: what it did is recorded, but not as finished.
    let outcome = outcome.and_then(|report| {
        anyhow::ensure!(!cancel.is_cancelled(), "the replay was interrupted");
        Ok(report)
    });
    let mut conn = writer.pool.get().await?;
    match outcome {
        Ok(report) => {
            let diff = params.dry_run.then(|| diff.build());
            let diff_json = diff.as_ref().map(serde_json::to_value).transpose()?;
            let totals = serde_json::to_value(report)?;
            store::replay_runs::finish(&mut conn, run_id, "finished", &totals, diff_json.as_ref()).await?;
            Ok(Replayed { run_id, report, diff })
        }
        Err(error) => {
            let totals = serde_json::json!({ "error": "the replay stopped before the end" });
            tracing::warn!(run_id, %error, "Replay stopped before the end");
            store::replay_runs::finish(&mut conn, run_id, "failed", &totals, None).await?;
            Err(error)
        }
    }
}

async fn stream(
    writer: &Writer,
    amqp_url: &SecretString,
    topology: &Topology,
    args: &Params,
    run_id: i64,
    diff: &mut DiffBuilder,
    cancel: &CancellationToken,
) -> anyhow::Result<ReplayReport> {
    let started_at = Utc::now();
    let connection = connect(amqp_url, "sync-worker replay").await?;
    let channel = connection.create_channel().await?;
    topology.declare(&channel).await?;
    // Streams require a prefetch and manual acks (auto-ack closes the connection).
    let prefetch = u16::try_from(args.batch_size.clamp(1, 2000) * 2).unwrap_or(u16::MAX);
    channel.basic_qos(prefetch, BasicQosOptions { global: false }).await?;
    let mut arguments = FieldTable::default();
    arguments.insert(ShortString::from("x-stream-offset"), offset_argument(args.start));
    let mut deliveries = channel
        .basic_consume(
            topology.log_stream().as_str().into(),
            "sync-worker-replay".into(),
            BasicConsumeOptions::default(),
            arguments,
        )
        .await?;

    let progress = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} {pos} events read, {per_sec} ({elapsed}) {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let mut report = ReplayReport::default();
    let mut last_log = Instant::now();
    let cutoff = started_at.timestamp().max(0) as u64;
    'stream: loop {
        let mut batch = Vec::new();
        let mut last: Option<lapin::message::Delivery> = None;
        while batch.len() < args.batch_size {
            let wait = if batch.is_empty() {
                args.idle_timeout
            } else {
                Duration::from_millis(50)
            };
            let next = tokio::select! {
                _ = cancel.cancelled() => break 'stream,
                next = tokio::time::timeout(wait, deliveries.next()) => next,
            };
            let delivery = match next {
                Ok(Some(delivery)) => delivery?,
                Ok(None) => break,
                Err(_) if batch.is_empty() => break 'stream,
                Err(_) => break,
            };
            if delivery.properties.timestamp().is_some_and(|t| t > cutoff) {
                // Published after the replay started: the running worker has it.
                if let Some(previous) = last.take() {
                    apply(writer, args, &batch, &mut report, diff, cancel).await?;
                    previous.ack(BasicAckOptions { multiple: true }).await?;
                }
                break 'stream;
            }
            report.read += 1;
            progress.inc(1);
            match ContactEvent::decode(&delivery.data, &args.rules) {
                Ok(event) => batch.push(event),
                Err(error) => {
                    report.invalid += 1;
                    tracing::warn!(code = error.code(), "Skipping an event that can never apply");
                }
            }
            last = Some(delivery);
        }
        apply(writer, args, &batch, &mut report, diff, cancel).await?;
        if let Some(delivery) = last {
            delivery.ack(BasicAckOptions { multiple: true }).await?;
        } else {
            break;
        }
        if last_log.elapsed() > Duration::from_secs(5) {
            tracing::info!(
                read = report.read,
                written = report.written,
                stale = report.stale,
                "Replay in progress"
            );
            let mut conn = writer.pool.get().await?;
            store::replay_runs::progress(&mut conn, run_id, &serde_json::to_value(report)?).await?;
            last_log = Instant::now();
        }
    }
    progress.finish_with_message(if args.dry_run { "(dry run)" } else { "" });
    let _ = connection.close(200, "replay done".into()).await;
    Ok(report)
}

async fn apply(
    writer: &Writer,
    args: &Params,
    batch: &[ContactEvent],
    report: &mut ReplayReport,
    diff: &mut DiffBuilder,
    cancel: &CancellationToken,
) -> anyhow::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let results: Vec<Result<Applied, String>> = if args.dry_run {
        match writer.dry_run(batch, cancel).await {
            Some(Ok((results, changes))) => {
                diff.add(changes);
                results.into_iter().map(Ok).collect()
            }
            Some(Err(reason)) => vec![Err(reason); batch.len()],
            None => anyhow::bail!("interrupted"),
        }
    } else {
        writer
            .write(batch, cancel)
            .await
            .ok_or_else(|| anyhow::anyhow!("interrupted"))?
    };
    for result in results {
        match result {
            Ok(Applied::Written) => report.written += 1,
            Ok(Applied::Stale) => report.stale += 1,
            Err(_) => report.refused += 1,
        }
    }
    Ok(())
}

fn offset_argument(start: Start) -> AMQPValue {
    match (start.from_offset, start.since) {
        (Some(n), _) => AMQPValue::LongLongInt(n),
        (_, Some(since)) => AMQPValue::Timestamp(since.timestamp().max(0) as u64),
        _ => AMQPValue::LongString(LongString::from("first")),
    }
}

fn parse_offset(value: &str) -> Result<Offset, String> {
    match value {
        "first" => Ok(Offset::First),
        number => number
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Offset::At)
            .ok_or_else(|| "must be `first` or a non-negative offset".into()),
    }
}

fn parse_since(value: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(time) = DateTime::parse_from_rfc3339(value) {
        return Ok(time.with_timezone(&Utc));
    }
    let back =
        humantime::parse_duration(value).map_err(|_| "must be an RFC 3339 time or a duration such as 6h".to_owned())?;
    chrono::Duration::from_std(back)
        .ok()
        .and_then(|back| Utc::now().checked_sub_signed(back))
        .ok_or_else(|| "reaches too far back".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_offsets_and_times() {
        assert_eq!(parse_offset("first"), Ok(Offset::First));
        assert_eq!(parse_offset("42"), Ok(Offset::At(42)));
        assert!(parse_offset("-1").is_err());
        assert!(parse_offset("last").is_err());
        assert_eq!(
            parse_since("2026-11-26T08:00:00Z").map(|t| t.to_rfc3339()),
            Ok("2026-11-26T08:00:00+00:00".to_owned())
        );
        let six_hours = parse_since("6h").expect("duration");
        let expected = Utc::now() - chrono::Duration::hours(6);
        assert!((six_hours - expected).num_seconds().abs() < 5);
        assert!(parse_since("yesterday").is_err());
    }
}
