//! The end-to-end lag of the worker benchmark: contacts posted one per request at a steady
//! rate through a real ingest and worker, each timed from the webhook's 200 to the start of the
//! transaction that wrote its row.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use tokio_util::sync::CancellationToken;

use crate::{
    database::BenchDatabase,
    ingest::{TOKEN, start_ingest},
    worker_args::run_args,
};

/// Posts one contact per request at `rate` for `duration` through a real ingest and worker,
/// and measures from each 200 to the start of the transaction that wrote its row.
pub async fn end_to_end_lag(
    amqp_url: &str,
    prefix: &str,
    database: &BenchDatabase,
    rate: f64,
    duration: Duration,
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
            let number = format!("lag-{i}");
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
