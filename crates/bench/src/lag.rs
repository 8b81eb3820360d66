//! The end-to-end lag of the worker benchmark: first the rate the whole pipeline (a real ingest
//! and worker, one contact per POST) sustains, then contacts posted one per request at a steady
//! share of it, each timed from the webhook's 200 to the start of the transaction that wrote
//! its row. A fixed rate would mean little: on a slow day it is most of the machine.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use tokio_util::sync::CancellationToken;

use crate::{
    database::BenchDatabase,
    ingest::{TOKEN, start_ingest},
    worker_args::run_args,
};

/// Connections posting contacts while the sustained rate is measured (as the ingest benchmark).
const CONNECTIONS: usize = 64;

/// The rate the pipeline sustains at one contact per POST, contacts per second: distinct
/// contacts are posted as fast as the ingest accepts them for `duration` (by `wrk`, else by
/// in-process clients), and the rate is those accepted over the time from the first POST to
/// the commit of the last of them, the worker's backlog included. Leaves the contacts table
/// empty.
pub async fn pipeline_capacity(
    amqp_url: &str,
    prefix: &str,
    database: &BenchDatabase,
    duration: Duration,
) -> anyhow::Result<f64> {
    let cancel = CancellationToken::new();
    let (url, ingest) = start_ingest(amqp_url, prefix, &[], &cancel).await?;
    let worker = sync_worker::Worker::build(run_args(amqp_url, prefix, &database.url, &[])?, cancel.clone()).await?;
    let worker = tokio::spawn(worker.run_until_stopped());
    let started = Instant::now();
    let accepted = if crate::wrk::available() {
        // On a blocking thread: the worker runs on this runtime's two threads.
        let url = url.clone();
        tokio::task::spawn_blocking(move || post_with_wrk(&url, duration)).await??
    } else {
        eprintln!("wrk not found (apt-get install wrk): posting in-process, which competes with the pipeline");
        post_in_process(&url, duration).await?
    };
    database.wait_for_rows(accepted, Duration::from_secs(300)).await?;
    let rate = accepted as f64 / started.elapsed().as_secs_f64();
    // Requests cut off by the end of the load may still have been accepted: let them in before
    // emptying the table for the next measurement.
    database
        .wait_until_settled(Duration::from_secs(1), Duration::from_secs(60))
        .await?;
    cancel.cancel();
    ingest.await??;
    worker.await??;
    database.truncate().await?;
    Ok(rate)
}

/// Contacts accepted by `wrk` posting one per request for `duration`.
fn post_with_wrk(url: &str, duration: Duration) -> anyhow::Result<usize> {
    let script = std::env::temp_dir().join(format!("bench-capacity-{}.lua", uuid::Uuid::new_v4().simple()));
    std::fs::write(&script, crate::wrk::script(1, TOKEN, 0))?;
    let run = crate::wrk::run(url, &script, CONNECTIONS, duration);
    let _ = std::fs::remove_file(&script);
    let run = run?;
    anyhow::ensure!(run.non_2xx == 0, "{} requests were not answered 200", run.non_2xx);
    Ok(usize::try_from(run.requests)?)
}

/// Contacts accepted by in-process clients posting one per request for `duration`.
async fn post_in_process(url: &str, duration: Duration) -> anyhow::Result<usize> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(CONNECTIONS).build()?;
    let (next, deadline) = (Arc::new(AtomicUsize::new(0)), Instant::now() + duration);
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (client, url, next) = (client.clone(), url.to_owned(), next.clone());
            tokio::spawn(async move {
                let mut accepted = 0;
                while Instant::now() < deadline {
                    let number = format!("cap-{}", next.fetch_add(1, Ordering::Relaxed));
                    let response = client
                        .post(&url)
                        .bearer_auth(TOKEN)
                        .json(&crate::sample_contact(&number))
                        .send()
                        .await?;
                    anyhow::ensure!(response.status() == 200, "ingest answered {}", response.status());
                    accepted += 1;
                }
                Ok(accepted)
            })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        accepted += task.await??;
    }
    Ok(accepted)
}

/// Posts one contact per request at `rate` for `duration` through a real ingest and worker,
/// and measures from each 200 to the start of the transaction that wrote its row; `run` numbers
/// the contacts apart from other runs'.
pub async fn end_to_end_lag(
    amqp_url: &str,
    prefix: &str,
    database: &BenchDatabase,
    rate: f64,
    duration: Duration,
    run: usize,
) -> anyhow::Result<Vec<Duration>> {
    let cancel = CancellationToken::new();
    let (url, ingest) = start_ingest(amqp_url, prefix, &[], &cancel).await?;
    let worker = sync_worker::Worker::build(run_args(amqp_url, prefix, &database.url, &[])?, cancel.clone()).await?;
    let worker = tokio::spawn(worker.run_until_stopped());

    let confirmed: Arc<Mutex<HashMap<String, chrono::DateTime<chrono::Utc>>>> = Arc::default();
    let client = reqwest::Client::new();
    let total = (rate * duration.as_secs_f64()) as usize;
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut senders = Vec::with_capacity(total);
    for i in 0..total {
        ticker.tick().await;
        let (client, url, confirmed) = (client.clone(), url.clone(), confirmed.clone());
        senders.push(tokio::spawn(async move {
            let number = format!("lag-{run}-{i}");
            let response = client
                .post(&url)
                .bearer_auth(TOKEN)
                .json(&crate::sample_contact(&number))
                .send()
                .await?;
            anyhow::ensure!(response.status() == 200, "ingest answered {}", response.status());
            confirmed
                .lock()
                .map_err(|_| anyhow::anyhow!("poisoned"))?
                .insert(number, chrono::Utc::now());
            Ok(())
        }));
    }
    for sender in senders {
        sender.await??;
    }
    database.wait_for_rows(total, Duration::from_secs(60)).await?;
    cancel.cancel();
    ingest.await??;
    worker.await??;
    // A row's `created_at` is the start of the transaction that wrote it (PostgreSQL's now()),
    // on the same clock as the 200s: no polling load on the database while measuring.
    let mut conn = AsyncPgConnection::establish(&database.url).await?;
    let written = written_at(&mut conn).await?;
    let confirmed = confirmed.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    let lags = written
        .into_iter()
        .filter_map(|(number, at)| confirmed.get(&number).map(|ok| (at - *ok).to_std().unwrap_or_default()))
        .collect::<Vec<_>>();
    anyhow::ensure!(lags.len() == total, "only {} of {total} contacts arrived", lags.len());
    Ok(lags)
}

async fn written_at(conn: &mut AsyncPgConnection) -> anyhow::Result<Vec<(String, chrono::DateTime<chrono::Utc>)>> {
    #[derive(diesel::QueryableByName)]
    struct Written {
        #[diesel(sql_type = diesel::sql_types::Varchar)]
        contact_number: String,
        #[diesel(sql_type = diesel::sql_types::Timestamptz)]
        created_at: chrono::DateTime<chrono::Utc>,
    }
    let rows: Vec<Written> =
        diesel::sql_query("SELECT contact_number, created_at FROM contacts WHERE contact_number LIKE 'lag-%'")
            .load(conn)
            .await?;
    Ok(rows.into_iter().map(|r| (r.contact_number, r.created_at)).collect())
}
