//! The ingest benchmark: contacts accepted per second by `webhook-ingest` (started in this
//! process) under concurrent POSTs of 1 and of 100 contacts, with request latencies, beside
//! raw confirmed publishing of the same messages to the same queues.

use std::{
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use infra::{amqp::Topology, config::AmqpArgs};
use lapin::{Connection, ConnectionProperties, options::QueuePurgeOptions};
use secrecy::ExposeSecret;
use tokio_util::sync::CancellationToken;

use crate::report::{Row, median, print_table, quantile};

/// The bearer token the benchmark's ingest accepts.
pub const TOKEN: &str = "benchmark-bearer-token";

#[derive(Debug, Clone, clap::Args)]
pub struct IngestArgs {
    /// Concurrent HTTP connections (and concurrent raw publishers).
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Contacts per POST, comma-separated; one scenario each.
    #[arg(long, value_delimiter = ',', default_value = "1,100")]
    pub batches: Vec<usize>,
    /// Contacts sent per measurement.
    #[arg(long, default_value_t = 20_000)]
    pub contacts: usize,
    /// Measurements per scenario (alternating raw and ingest); medians are reported.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Also write the results as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    #[command(flatten)]
    pub amqp: AmqpArgs,
}

struct HttpRun {
    contacts_per_second: f64,
    p50: Duration,
    p99: Duration,
}

/// Runs `wrk` long enough to send about as many contacts as the in-process generator would,
/// judging by the raw rate just measured.
fn with_wrk(
    url: &str,
    batch: usize,
    concurrency: usize,
    round: usize,
    contacts: usize,
    raw_rate: f64,
) -> anyhow::Result<HttpRun> {
    let script = std::env::temp_dir().join(format!("bench-ingest-{}.lua", uuid::Uuid::new_v4().simple()));
    std::fs::write(&script, crate::wrk::script(batch, TOKEN, round))?;
    let seconds = (contacts as f64 / raw_rate.max(1.0)).ceil().clamp(3.0, 30.0);
    let run = crate::wrk::run(url, &script, concurrency, Duration::from_secs_f64(seconds));
    let _ = std::fs::remove_file(&script);
    let run = run?;
    anyhow::ensure!(run.non_2xx == 0, "{} requests were not answered 200", run.non_2xx);
    Ok(HttpRun {
        contacts_per_second: run.requests_per_second * batch as f64,
        p50: run.p50,
        p99: run.p99,
    })
}

pub async fn run(args: IngestArgs) -> anyhow::Result<()> {
    let prefix = format!("bench-{}.", uuid::Uuid::new_v4().simple());
    let topology = Topology::new(prefix.clone());
    let amqp_url = args.amqp.amqp_url.expose_secret().to_owned();
    let admin = Connection::connect(&amqp_url, ConnectionProperties::default()).await?;
    let channel = admin.create_channel().await?;
    topology.declare(&channel).await?;

    let cancel = CancellationToken::new();
    // Repeat suppression off: every contact of the benchmark is new anyway.
    let (url, server) = start_ingest(&amqp_url, &prefix, &["--dedup-window", "0"], &cancel).await?;

    let sample = crate::sample_contact("0").to_string();
    let contact = webhook_ingest::payload::Incoming {
        envelope: model::secutix::envelope(&sample)?,
        json: &sample,
    };
    let message = webhook_ingest::events::to_message(
        &topology,
        webhook_ingest::payload::Kind::Contacts,
        &contact,
        chrono::Utc::now(),
    );

    let use_wrk = crate::wrk::available();
    if !use_wrk {
        eprintln!("wrk not found (apt-get install wrk): generating load in-process, which competes with the service");
    }
    let mut rows = Vec::new();
    for &batch in &args.batches {
        let mut raw_rates = Vec::new();
        let mut rates = Vec::new();
        let (mut p50s, mut p99s) = (Vec::new(), Vec::new());
        for round in 0..args.rounds {
            let raw = crate::raw::confirmed_publish(
                &amqp_url,
                &message.exchange,
                &message.routing_key,
                &message.payload,
                crate::raw::Load {
                    total: args.contacts,
                    batch,
                    concurrency: args.concurrency,
                    channels: 4,
                },
            )
            .await?;
            purge(&channel, &topology).await?;
            let http = if use_wrk {
                with_wrk(&url, batch, args.concurrency, round, args.contacts, raw)?
            } else {
                post_all(&url, batch, args.contacts, args.concurrency, round).await?
            };
            purge(&channel, &topology).await?;
            eprintln!(
                "ingest batch={batch} round={}: raw {raw:.0} msg/s, ingest {:.0} contacts/s ({})",
                round + 1,
                http.contacts_per_second,
                if use_wrk { "wrk" } else { "in-process client" }
            );
            raw_rates.push(raw);
            rates.push(http.contacts_per_second);
            p50s.push(http.p50.as_secs_f64() * 1000.0);
            p99s.push(http.p99.as_secs_f64() * 1000.0);
        }
        let figure = median(&rates);
        let baseline = median(&raw_rates);
        rows.push(Row {
            benchmark: format!("ingest, {batch} contact(s)/POST, {} conns", args.concurrency),
            figure,
            unit: "contacts/s",
            baseline_name: "lapin confirmed publish (msg/s)".into(),
            baseline,
            ratio: figure / baseline,
            target: "ratio >= 0.8".into(),
            p50_ms: Some(median(&p50s)),
            p99_ms: Some(median(&p99s)),
        });
    }
    print_table(&rows);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&rows)?)?;
    }

    cancel.cancel();
    server.await??;
    let _ = topology.delete(&channel).await;
    let _ = admin.close(200, "bench done".into()).await;
    Ok(())
}

async fn purge(channel: &lapin::Channel, topology: &Topology) -> anyhow::Result<()> {
    channel
        .queue_purge(topology.worker_queue().as_str().into(), QueuePurgeOptions::default())
        .await?;
    Ok(())
}

/// Posts `total` distinct contacts in requests of `batch` over `concurrency` connections.
/// Bodies are serialised before the clock starts, so only the exchange is timed.
async fn post_all(url: &str, batch: usize, total: usize, concurrency: usize, round: usize) -> anyhow::Result<HttpRun> {
    let bodies: Vec<bytes::Bytes> = (0..total)
        .step_by(batch)
        .map(|start| {
            let contacts: Vec<serde_json::Value> = (start..(start + batch).min(total))
                .map(|i| crate::sample_contact(&format!("{round}{i:09}")))
                .collect();
            serde_json::to_vec(&contacts).map(bytes::Bytes::from)
        })
        .collect::<Result<_, _>>()?;
    let bodies = Arc::new(bodies);
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, next, url, bodies) = (client.clone(), next.clone(), url.to_owned(), bodies.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let Some(body) = bodies.get(next.fetch_add(1, Ordering::Relaxed)) else {
                    return Ok::<_, anyhow::Error>(latencies);
                };
                let sent = Instant::now();
                let response = client
                    .post(&url)
                    .bearer_auth(TOKEN)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await?;
                anyhow::ensure!(response.status() == 200, "ingest answered {}", response.status());
                latencies.push(sent.elapsed());
            }
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let elapsed = started.elapsed();
    Ok(HttpRun {
        contacts_per_second: total as f64 / elapsed.as_secs_f64(),
        p50: quantile(&mut latencies, 0.5),
        p99: quantile(&mut latencies, 0.99),
    })
}

/// Starts `webhook-ingest` in this process on a free port, publishing under `prefix`, with the
/// benchmark's bearer token and `extra` flags; returns its contacts URL and its task.
pub async fn start_ingest(
    amqp_url: &str,
    prefix: &str,
    extra: &[&str],
    cancel: &CancellationToken,
) -> anyhow::Result<(String, tokio::task::JoinHandle<anyhow::Result<()>>)> {
    let mut argv = vec![
        "webhook-ingest",
        "--listen-addr",
        "127.0.0.1:0",
        "--amqp-url",
        amqp_url,
        "--amqp-name-prefix",
        prefix,
        "--bearer-token",
        TOKEN,
    ];
    argv.extend_from_slice(extra);
    let settings = infra::config::parse_from::<webhook_ingest::Settings, _, _>(argv)?;
    let app = webhook_ingest::Application::build(settings, cancel.clone()).await?;
    let url = format!("http://127.0.0.1:{}/webhooks/secutix/contacts", app.port());
    Ok((url, tokio::spawn(app.run_until_stopped())))
}
