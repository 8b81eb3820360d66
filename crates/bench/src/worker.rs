//! The worker benchmark: contacts applied per second by `sync-worker` (started in this
//! process) for several batch sizes, beside a raw pipeline on the same queue and table (lapin
//! consume, decode, one multi-row upsert per batch, ack), and the end-to-end lag from the
//! webhook's 200 to the committed row at half the rate the whole pipeline sustains, measured
//! first in the same run (`lag`).

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures::{FutureExt, StreamExt};
use infra::{amqp::Topology, config::AmqpArgs};
use lapin::{
    BasicProperties, Connection, ConnectionProperties,
    options::{BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions},
    types::FieldTable,
};
use secrecy::ExposeSecret;
use tokio_util::sync::CancellationToken;

use crate::{
    database::BenchDatabase,
    lag::{end_to_end_lag, pipeline_capacity},
    report::{Row, median, print_table, quantile},
    worker_args::run_args,
};

#[derive(Debug, Clone, clap::Args)]
pub struct WorkerArgs {
    /// Events per measurement (distinct contacts).
    #[arg(long, default_value_t = 20_000)]
    pub events: usize,
    /// Batch sizes, comma-separated; one scenario each.
    #[arg(long, value_delimiter = ',', default_value = "1,10,100,500")]
    pub batches: Vec<usize>,
    /// Measurements per scenario (alternating raw and worker); medians are reported.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// How long the pipeline's sustained rate is measured (contacts posted as fast as the ingest
    /// accepts them), in seconds; the lag is then measured at half that rate.
    #[arg(long, default_value_t = 5)]
    pub capacity_seconds: u64,
    /// How long each end-to-end lag run lasts, in seconds.
    #[arg(long, default_value_t = 5)]
    pub lag_seconds: u64,
    /// End-to-end lag runs; the target holds for each.
    #[arg(long, default_value_t = 3)]
    pub lag_runs: usize,
    /// Also write the results as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// A PostgreSQL superuser URL; the benchmark creates and drops its own database.
    #[arg(
        long,
        env = "BENCH_DATABASE_ADMIN_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub admin_url: String,
    #[command(flatten)]
    pub amqp: AmqpArgs,
}

pub async fn run(args: WorkerArgs) -> anyhow::Result<()> {
    let amqp_url = args.amqp.amqp_url.expose_secret().to_owned();
    let prefix = format!("bench-{}.", uuid::Uuid::new_v4().simple());
    let topology = Topology::new(prefix.clone());
    let database = BenchDatabase::create(&args.admin_url).await?;
    let connection = Connection::connect(&amqp_url, ConnectionProperties::default()).await?;
    let channel = connection.create_channel().await?;
    topology.declare(&channel).await?;
    channel.confirm_select(ConfirmSelectOptions::default()).await?;

    let mut rows = Vec::new();
    for &batch in &args.batches {
        let (mut raw_rates, mut rates) = (Vec::new(), Vec::new());
        for round in 0..args.rounds {
            let messages = encode_events(&topology, &format!("{batch}r{round}"), args.events)?;
            fill(&channel, &topology.worker_queue(), &messages).await?;
            let raw = raw_pipeline(&amqp_url, &topology.worker_queue(), &database.url, batch, args.events).await?;
            database.truncate().await?;
            fill(&channel, &topology.worker_queue(), &messages).await?;
            let worker = worker_pipeline(&amqp_url, &prefix, &database, batch, args.events).await?;
            database.truncate().await?;
            eprintln!(
                "worker batch={batch} round={}: raw {raw:.0}/s, worker {worker:.0}/s",
                round + 1
            );
            raw_rates.push(raw);
            rates.push(worker);
        }
        let figure = median(&rates);
        let baseline = median(&raw_rates);
        rows.push(Row {
            benchmark: format!("worker apply, batch {batch}"),
            figure,
            unit: "contacts/s",
            baseline_name: "lapin consume + batched upsert".into(),
            baseline,
            ratio: figure / baseline,
            target: "ratio >= 0.7".into(),
            p50_ms: None,
            p99_ms: None,
        });
    }

    let capacity = pipeline_capacity(
        &amqp_url,
        &prefix,
        &database,
        Duration::from_secs(args.capacity_seconds),
    )
    .await?;
    let rate = (capacity / 2.0).max(1.0);
    eprintln!("end-to-end: the pipeline sustains {capacity:.0} contacts/s at 1 per POST; lag measured at {rate:.0}/s");
    rows.push(Row {
        benchmark: "end-to-end sustained rate, 1 contact/POST".into(),
        figure: capacity,
        unit: "contacts/s",
        baseline_name: "(none: sets the lag's rate)".into(),
        baseline: f64::NAN,
        ratio: f64::NAN,
        target: "none (the lag runs at half)".into(),
        p50_ms: None,
        p99_ms: None,
    });
    for run in 1..=args.lag_runs {
        let mut lags = end_to_end_lag(
            &amqp_url,
            &prefix,
            &database,
            rate,
            Duration::from_secs(args.lag_seconds),
            run,
        )
        .await?;
        database.truncate().await?;
        let p50 = quantile(&mut lags, 0.5).as_secs_f64() * 1000.0;
        let p99 = quantile(&mut lags, 0.99).as_secs_f64() * 1000.0;
        eprintln!("end-to-end lag run {run} at {rate:.0}/s: p50 {p50:.1} ms, p99 {p99:.1} ms");
        rows.push(Row {
            benchmark: format!("end-to-end lag at {rate:.0}/s (half sustained), run {run}"),
            figure: lags.len() as f64,
            unit: "contacts",
            baseline_name: "(none: absolute target)".into(),
            baseline: f64::NAN,
            ratio: f64::NAN,
            target: format!("p99 < 250 ms ({})", if p99 < 250.0 { "met" } else { "missed" }),
            p50_ms: Some(p50),
            p99_ms: Some(p99),
        });
    }
    print_table(&rows);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&rows)?)?;
    }
    let _ = topology.delete(&channel).await;
    let _ = connection.close(200, "bench done".into()).await;
    database.drop().await;
    Ok(())
}

/// `count` distinct contact events, encoded as the ingest would publish them.
pub fn encode_events(topology: &Topology, tag: &str, count: usize) -> anyhow::Result<Vec<Vec<u8>>> {
    let now = chrono::Utc::now();
    (0..count)
        .map(|i| {
            let json = crate::sample_contact(&format!("{tag}-{i}")).to_string();
            let contact = webhook_ingest::payload::Incoming {
                envelope: model::secutix::envelope(&json)?,
                json: &json,
            };
            let kind = webhook_ingest::payload::Kind::Contacts;
            Ok(webhook_ingest::events::to_message(topology, kind, &contact, now).payload)
        })
        .collect()
}

/// Puts the messages straight into the worker queue (not through the exchange, so the replay
/// stream does not grow with benchmark data).
pub async fn fill(channel: &lapin::Channel, queue: &str, messages: &[Vec<u8>]) -> anyhow::Result<()> {
    for chunk in messages.chunks(1000) {
        let mut confirms = Vec::with_capacity(chunk.len());
        for payload in chunk {
            let properties = BasicProperties::default().with_delivery_mode(2);
            confirms.push(
                channel
                    .basic_publish(
                        "".into(),
                        queue.into(),
                        BasicPublishOptions::default(),
                        payload,
                        properties,
                    )
                    .await?,
            );
        }
        for confirm in futures::future::join_all(confirms).await {
            anyhow::ensure!(confirm?.is_ack(), "fill not confirmed");
        }
    }
    Ok(())
}

async fn worker_pipeline(
    amqp_url: &str,
    prefix: &str,
    database: &BenchDatabase,
    batch: usize,
    total: usize,
) -> anyhow::Result<f64> {
    let prefetch = (batch * 2).clamp(64, 4000).to_string();
    let batch_size = batch.to_string();
    let args = run_args(
        amqp_url,
        prefix,
        &database.url,
        &["--batch-size", &batch_size, "--prefetch", &prefetch],
    )?;
    let cancel = CancellationToken::new();
    let started = Instant::now();
    let worker = sync_worker::Worker::build(args, cancel.clone()).await?;
    let task = tokio::spawn(worker.run_until_stopped());
    database.wait_for_rows(total, Duration::from_secs(300)).await?;
    let rate = total as f64 / started.elapsed().as_secs_f64();
    cancel.cancel();
    task.await??;
    Ok(rate)
}

/// The raw pipeline: consume, decode, map, one multi-row upsert per batch, ack after commit.
async fn raw_pipeline(
    amqp_url: &str,
    queue: &str,
    database_url: &str,
    batch: usize,
    total: usize,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    let connection = Connection::connect(amqp_url, ConnectionProperties::default()).await?;
    let channel = connection.create_channel().await?;
    let prefetch = u16::try_from((batch * 2).clamp(64, 4000))?;
    channel.basic_qos(prefetch, BasicQosOptions::default()).await?;
    let mut deliveries = channel
        .basic_consume(
            queue.into(),
            "raw".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let mut conn = AsyncPgConnection::establish(database_url).await?;
    let mut done = 0;
    while done < total {
        let Some(first) = deliveries.next().await else {
            anyhow::bail!("consumer closed")
        };
        let mut received = vec![first?];
        while received.len() < batch {
            match deliveries.next().now_or_never() {
                Some(Some(delivery)) => received.push(delivery?),
                _ => break,
            }
        }
        let mut contacts = Vec::with_capacity(received.len());
        for delivery in &received {
            let event = model::bus::ContactChanged::decode_from(&delivery.data)?;
            let raw: serde_json::Value = serde_json::from_slice(&event.payload)?;
            contacts.push((model::secutix::from_get_contact_data(raw)?, event.event_id));
        }
        conn.transaction::<_, anyhow::Error, _>(async |tx: &mut AsyncPgConnection| raw_upsert(tx, &contacts).await)
            .await?;
        if let Some(last) = received.last() {
            last.ack(BasicAckOptions { multiple: true }).await?;
        }
        done += received.len();
    }
    let rate = total as f64 / started.elapsed().as_secs_f64();
    let _ = connection.close(200, "raw done".into()).await;
    Ok(rate)
}

async fn raw_upsert(conn: &mut AsyncPgConnection, contacts: &[(model::Contact, String)]) -> anyhow::Result<()> {
    use diesel::sql_types::{Array, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid, Varchar};
    let now = chrono::Utc::now();
    let ids: Vec<uuid::Uuid> = contacts
        .iter()
        .map(|(_, id)| uuid::Uuid::parse_str(id))
        .collect::<Result<_, _>>()?;
    diesel::sql_query(
        "INSERT INTO contacts (contact_number, first_name, last_name, email, addresses, raw, version_time, \
             version_event_id, source) \
         SELECT n, f, l, e, a, r, $7, id, 'webhook' \
         FROM UNNEST($1::varchar[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::jsonb[], $8::uuid[]) \
              AS u(n, f, l, e, a, r, id) \
         ON CONFLICT (contact_number) DO UPDATE SET first_name = EXCLUDED.first_name, \
             last_name = EXCLUDED.last_name, email = EXCLUDED.email, addresses = EXCLUDED.addresses, \
             raw = EXCLUDED.raw, version_time = EXCLUDED.version_time",
    )
    .bind::<Array<Varchar>, _>(
        contacts
            .iter()
            .map(|(c, _)| c.contact_number.as_str())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Text>>, _>(
        contacts
            .iter()
            .map(|(c, _)| c.first_name.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Text>>, _>(contacts.iter().map(|(c, _)| c.last_name.as_deref()).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(
        contacts
            .iter()
            .map(|(c, _)| c.email.as_ref().map(model::Email::as_str))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Jsonb>, _>(
        contacts
            .iter()
            .map(|(c, _)| serde_json::to_value(&c.addresses).unwrap_or_default())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Jsonb>, _>(contacts.iter().map(|(c, _)| &c.raw).collect::<Vec<_>>())
    .bind::<Timestamptz, _>(now)
    .bind::<Array<SqlUuid>, _>(ids)
    .execute(conn)
    .await?;
    Ok(())
}
