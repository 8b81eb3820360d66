//! `sync-worker reconcile` against the simulator: merges, anonymisations and deletions that no
//! webhook announced are found through `getContactData` and applied through the normal path;
//! the oldest-verified contacts go first; `run --reconcile-every` does it on a schedule.

use std::time::Duration;

use serde_json::{Value, json};
use tests::{TestBroker, TestDatabase, eventually, spawn_worker_with};

use crate::import_support::*;

fn sim_contact(number: &str, email: &str) -> Value {
    json!({
        "contactNumber": number,
        "individualContact": { "firstname": "Jean", "lastname": "Dupont", "email": email, "role": "PUBLIC", "hasLogin": true },
    })
}

async fn seeded(db: &TestDatabase, sim: &secutix_sim::SimHandle, numbers: &[&str]) {
    let store = &sim.state().store;
    for number in numbers {
        store
            .create(&sim_contact(number, &format!("{}@example.org", number.to_lowercase())))
            .expect("created");
    }
    let export: Vec<Value> = numbers
        .iter()
        .map(|n| store.get(n).expect("in S-360").contact)
        .collect();
    let file = write_file("jsonl", &jsonl(&export));
    import(&db.url, &["--file", file.to_str().expect("path")]).await;
}

fn reconcile_args(
    db: &TestDatabase,
    sim: &secutix_sim::SimHandle,
    extra: &[&str],
) -> sync_worker::reconcile::ReconcileArgs {
    #[derive(clap::Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: sync_worker::reconcile::ReconcileArgs,
    }
    let mut argv = vec!["reconcile".to_owned(), "--database-url".into(), db.url.clone()];
    argv.extend(secutix_flags(sim));
    argv.extend(extra.iter().map(|s| (*s).to_owned()));
    infra::config::parse_from::<Wrapper, _, _>(argv)
        .expect("valid arguments")
        .args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_detects_merges_anonymisations_and_deletions() {
    let db = TestDatabase::create().await;
    let sim = start_sim(|_| {}).await;
    seeded(&db, &sim, &["M001", "M002", "M003", "M004"]).await;
    let store = &sim.state().store;
    // A prospect (no web login) known to the mirror, deleted in S-360.
    store
        .create(&json!({ "contactNumber": "P001", "individualContact": { "lastname": "Prospect" } }))
        .expect("created");
    db.execute(
        "INSERT INTO contacts (contact_number, last_name, raw, version_time, version_event_id, source) \
         VALUES ('P001', 'Prospect', '{}', now() - interval '1 day', gen_random_uuid(), 'webhook')",
    )
    .await;
    store.merge("M001", "M002").expect("merged in S-360");
    store.anonymise("M003").expect("anonymised in S-360");
    store.delete("P001").expect("deleted in S-360");

    let cancel = tokio_util::sync::CancellationToken::new();
    let report = sync_worker::reconcile::run(&reconcile_args(&db, &sim, &[]), &cancel)
        .await
        .expect("reconcile runs");
    assert_eq!(report.checked, 5, "{report}");
    assert_eq!(report.merged, ["M001"]);
    assert_eq!(report.anonymised, ["M003"]);
    assert_eq!(report.deleted, ["P001"]);
    // The head changed too (it took over the login): an update, not drift lost.
    assert_eq!(report.updated, ["M002"]);
    assert_eq!(report.in_step, 1);
    let text = report.to_string();
    assert!(text.contains("1 merged, 1 anonymised, 1 deleted"), "{text}");
    // The printed report is recorded as it is, for the support console.
    let mut conn = db.pool.get().await.expect("connection");
    let recorded = store::reconcile_reports::recent(&mut conn, 10).await.expect("reports");
    drop(conn);
    assert_eq!(recorded.len(), 1);
    assert!(!recorded[0].scheduled, "run from the command line");
    assert_eq!(recorded[0].report, serde_json::to_value(&report).expect("json"));

    let m1 = db.contact("M001").await.expect("mirrored");
    assert_eq!(
        (m1.state.as_str(), m1.head_contact_number.as_deref()),
        ("merged", Some("M002"))
    );
    let m3 = db.contact("M003").await.expect("mirrored");
    assert_eq!((m3.state.as_str(), m3.email.as_deref()), ("anonymised", None));
    let p1 = db.contact("P001").await.expect("mirrored");
    assert_eq!((p1.state.as_str(), p1.last_name.as_deref()), ("anonymised", None));
    let accounts: Vec<String> = db.accounts().await.into_iter().map(|(_, n)| n).collect();
    assert_eq!(
        accounts,
        ["M002", "M004"],
        "M001's account moved to its head (which had its own: dropped), M003's erased"
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM contact_audit WHERE action IN ('merged', 'anonymised')")
            .await,
        3
    );

    // A second pass finds nothing new; with a limit the oldest-verified come first.
    let again = sync_worker::reconcile::run(&reconcile_args(&db, &sim, &["--limit", "2"]), &cancel)
        .await
        .expect("reconcile runs");
    assert_eq!((again.checked, again.in_step), (2, 2), "{again}");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM contact_checks").await,
        5,
        "every checked contact has its verification time"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_reconciles_on_a_schedule() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let sim = start_sim(|_| {}).await;
    seeded(&db, &sim, &["S001", "S002"]).await;
    sim.state().store.anonymise("S002").expect("anonymised in S-360");
    let mut flags = secutix_flags(&sim);
    flags.extend(["--reconcile-every", "1s", "--reconcile-limit", "10"].map(str::to_owned));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let _worker = spawn_worker_with(&broker.prefix, &db.url, &flags).await;
    eventually(Duration::from_secs(15), "the anonymisation found", || async {
        let contact = db.contact("S002").await?;
        (contact.state == "anonymised").then_some(())
    })
    .await;
    // Each scheduled run records its drift report, marked scheduled.
    let query = "SELECT count(*) AS n FROM reconcile_reports WHERE scheduled AND report->'anonymised' ? 'S002'";
    eventually(Duration::from_secs(10), "the scheduled report recorded", || async {
        (db.count(query).await == 1).then_some(())
    })
    .await;
}
