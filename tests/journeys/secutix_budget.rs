//! One S-360 budget for the whole installation: clients of several processes (separate
//! database pools, as separate worker replicas, imports and reconciles have) reserve their calls
//! from the schedule in PostgreSQL, and together stay under the limit the simulator enforces,
//! where limiters of their own would each spend the whole budget and get 509s.

use std::{
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

use secutix_client::{Client, SecutixArgs};
use serde_json::json;
use tests::TestDatabase;

use crate::import_support::*;

const PROCESSES: usize = 3;
const CALLS_EACH: usize = 8;

fn args(sim: &secutix_sim::SimHandle, per_minute: &str) -> SecutixArgs {
    #[derive(clap::Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: SecutixArgs,
    }
    let mut argv = vec!["client".to_owned()];
    argv.extend(secutix_flags(sim));
    argv.extend(["--secutix-rate-per-minute".to_owned(), per_minute.to_owned()]);
    argv.extend(["--secutix-max-attempts".to_owned(), "1".to_owned()]);
    infra::config::parse_from::<Wrapper, _, _>(argv)
        .expect("valid client settings")
        .args
}

/// `PROCESSES` × `CALLS_EACH` concurrent calls; returns the time taken and the calls the
/// simulator refused for the rate limit.
async fn storm(sim: &secutix_sim::SimHandle, clients: Vec<Client>) -> (Duration, u64) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (p, client) in clients.into_iter().enumerate() {
        for i in 0..CALLS_EACH {
            let client = client.clone();
            let number = format!("C{:04}", p * CALLS_EACH + i);
            tasks.push(tokio::spawn(async move { client.get_contact_data(&number).await }));
        }
    }
    for task in tasks {
        let _ = task.await.expect("task");
    }
    (
        started.elapsed(),
        sim.state().stats.api_rejected_limit.load(Ordering::Relaxed),
    )
}

async fn simulator() -> secutix_sim::SimHandle {
    // 20 calls per 4-second window: 300 per minute.
    let sim = start_sim(|c| {
        c.api.api_rate_limit = 20;
        c.api.api_rate_window = Duration::from_secs(4);
    })
    .await;
    for i in 0..PROCESSES * CALLS_EACH {
        sim.state()
            .store
            .create(&json!({ "contactNumber": format!("C{i:04}"), "individualContact": { "firstname": "Fan" } }))
            .expect("created");
    }
    sim
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_sharing_the_budget_stay_under_the_instance_limit_together() {
    let db = TestDatabase::create().await;
    let sim = simulator().await;
    let settings = args(&sim, "300");
    let clients: Vec<Client> = (0..PROCESSES)
        .map(|_| {
            let pool = store::pool(&tests::database::database_args(&db.url)).expect("pool");
            sync_worker::budget::client(&settings, &pool)
                .expect("client")
                .expect("configured")
        })
        .collect();
    let (elapsed, refused) = storm(&sim, clients).await;
    assert_eq!(refused, 0, "no call was refused for the rate limit");
    let calls = sim.state().stats.api_calls.load(Ordering::Relaxed);
    assert_eq!(calls as usize, PROCESSES * CALLS_EACH);
    // 24 calls 200 ms apart, whichever process made them.
    assert!(
        elapsed >= Duration::from_millis(4400),
        "calls were spaced together: {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(8), "and the budget was used: {elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limiters_of_their_own_would_overspend_the_instance() {
    let sim = simulator().await;
    let settings = args(&sim, "300");
    let clients: Vec<Client> = (0..PROCESSES)
        .map(|_| Client::from_args(&settings).expect("client").expect("configured"))
        .collect();
    let (_, refused) = storm(&sim, clients).await;
    assert!(
        refused > 0,
        "three processes at the full rate each go over the shared limit"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_reaches_every_process_and_an_unreachable_budget_makes_no_call() {
    let db = TestDatabase::create().await;
    let pool = store::pool(&tests::database::database_args(&db.url)).expect("pool");
    let mut conn = pool.get().await.expect("connection");
    store::budget::pause(&mut conn, "s360", Duration::from_secs(2))
        .await
        .expect("paused");
    let wait = store::budget::reserve(&mut conn, "s360", Duration::from_millis(200))
        .await
        .expect("reserved");
    assert!(
        wait > Duration::from_millis(1800),
        "a 509 seen by one process holds the others: {wait:?}"
    );
    let other = store::budget::reserve(&mut conn, "other-instance", Duration::from_millis(200))
        .await
        .expect("reserved");
    assert!(
        other < Duration::from_millis(50),
        "budgets are separate by name: {other:?}"
    );
    drop(conn);

    // Without the database no reservation can be made, so no call goes out.
    let sim = simulator().await;
    let settings = args(&sim, "300");
    let mut database = tests::database::database_args(&db.url);
    database.database_url = secrecy::SecretString::from("postgres://nobody@127.0.0.1:1/none");
    let unreachable = store::pool(&database).expect("pool");
    let client = sync_worker::budget::client(&settings, &unreachable)
        .expect("client")
        .expect("configured");
    let call = tokio::time::timeout(Duration::from_secs(3), client.get_contact_data("C0000")).await;
    assert!(call.is_err(), "the call waits for a reservation");
    assert_eq!(sim.state().stats.api_calls.load(Ordering::Relaxed), 0);
}
