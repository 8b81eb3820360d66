//! The whole installation against S-360's limit for two minutes: three worker replicas (linking
//! imported accounts with `addLink`), an `import --numbers` and a `reconcile` (both
//! `getContactData`) run at once against the simulator enforcing 180 calls per minute. From the
//! simulator's own log of the calls it received: no 60-second window holds more than the
//! limit, no call is refused with 509, and with more work queued than the budget allows the
//! calls reach at least 0.9 of it.

use std::time::Duration;

use serde_json::{Value, json};
use tests::{TestBroker, TestDatabase, spawn_worker_with};
use tokio_util::sync::CancellationToken;

use crate::import_support::*;

const LIMIT: u64 = 180;
/// How long everything runs together.
const RUN: Duration = Duration::from_secs(125);
/// Contacts imported from a file, whose accounts the workers link at S-360 (one call each),
/// then re-checked by the reconcile (one call each).
const IMPORTED: usize = 260;
/// Contacts fetched by `import --numbers` (one call each).
const FETCHED: usize = 420;

fn contact(number: &str) -> Value {
    json!({
        "contactNumber": number,
        "individualContact": {
            "firstname": "Jean", "lastname": "Dupont", "email": format!("{}@example.org", number.to_lowercase()),
            "role": "PUBLIC", "hasLogin": true,
        },
    })
}

fn reconcile_args(db: &TestDatabase, flags: &[String]) -> sync_worker::reconcile::ReconcileArgs {
    #[derive(clap::Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: sync_worker::reconcile::ReconcileArgs,
    }
    let mut argv = vec![
        "reconcile".to_owned(),
        "--database-url".into(),
        db.url.clone(),
        "--limit".into(),
        "10000".into(),
    ];
    argv.extend(flags.iter().cloned());
    infra::config::parse_from::<Wrapper, _, _>(argv)
        .expect("valid arguments")
        .args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_an_import_and_a_reconcile_share_180_calls_a_minute() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let sim = start_sim(|c| {
        c.api.api_rate_limit = LIMIT as u32;
        c.api.api_rate_window = Duration::from_secs(60);
    })
    .await;
    let store = &sim.state().store;
    let imported: Vec<String> = (0..IMPORTED).map(|i| format!("I{i:05}")).collect();
    let fetched: Vec<String> = (0..FETCHED).map(|i| format!("F{i:05}")).collect();
    for number in imported.iter().chain(&fetched) {
        store.create(&contact(number)).expect("created at S-360");
    }
    let export: Vec<Value> = imported
        .iter()
        .map(|n| store.get(n).expect("in S-360").contact)
        .collect();
    let file = write_file("jsonl", &jsonl(&export));
    let report = import(&db.url, &["--file", file.to_str().expect("path")]).await;
    assert_eq!(report.counts.accounts_created, IMPORTED as u64, "{report}");

    let mut flags = secutix_flags(&sim);
    flags.extend(["--secutix-rate-per-minute".to_owned(), LIMIT.to_string()]);
    let worker_flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let mut workers = Vec::new();
    for _ in 0..3 {
        workers.push(spawn_worker_with(&broker.prefix, &db.url, &worker_flags).await);
    }
    let cancel = CancellationToken::new();
    let numbers = write_file("txt", &(fetched.join("\n") + "\n"));
    let mut import_flags = vec!["--numbers".to_owned(), numbers.to_str().expect("path").to_owned()];
    import_flags.extend(flags.iter().cloned());
    let importing = {
        let (args, cancel) = (
            import_args(&db.url, &import_flags.iter().map(String::as_str).collect::<Vec<_>>()),
            cancel.clone(),
        );
        tokio::spawn(async move { sync_worker::import::run(&args, &cancel).await })
    };
    let reconciling = {
        let (args, cancel) = (reconcile_args(&db, &flags), cancel.clone());
        tokio::spawn(async move { sync_worker::reconcile::run(&args, &cancel).await })
    };
    tokio::time::sleep(RUN).await;
    let log: Value = reqwest::get(format!("{}/admin/calls", sim.base_url()))
        .await
        .expect("simulator answers")
        .json()
        .await
        .expect("json");
    cancel.cancel();
    let _ = importing.await;
    let _ = reconciling.await;
    drop(workers);

    assert_eq!(log["rate_limited"], 0, "no call was refused with 509");
    assert_eq!(log["invalid_token"], 0);
    let busiest = log["busiest_window"].as_u64().expect("busiest window");
    assert!(busiest <= LIMIT, "a 60-second window held {busiest} calls");
    let calls = log["calls"].as_array().expect("calls");
    let operation = |name: &str| calls.iter().filter(|c| c["operation"] == name).count();
    assert!(operation("addLink") > 0, "the workers called S-360");
    assert!(
        operation("getContactData") > 0,
        "the import and the reconcile called S-360"
    );
    // The budget in use over the two minutes from the first call.
    let times: Vec<u64> = calls.iter().filter_map(|c| c["at_ms"].as_u64()).collect();
    let first = *times.iter().min().expect("calls were made");
    let span = 120_000;
    let in_span = times.iter().filter(|t| **t < first + span).count() as f64;
    let share = in_span / (LIMIT as f64 * 2.0);
    eprintln!(
        "S-360 budget over 120 s: {in_span} calls ({:.3} of the limit; addLink {}, getContactData {}); busiest 60 s window {busiest}",
        share,
        operation("addLink"),
        operation("getContactData"),
    );
    assert!(share >= 0.9, "the calls used {share:.3} of the budget");
}
