//! Scheduled work runs once per cluster: two worker processes share the reconciliation
//! schedule through the leader lease and `scheduled_jobs`. Killing the leader with SIGKILL
//! hands the schedule to the other within the lease time, and no run is repeated or skipped.

use std::{
    process::Stdio,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use diesel_async::RunQueryDsl;
use tests::{TestBroker, TestDatabase, binary, eventually};

use crate::import_support::start_sim;

const EVERY: Duration = Duration::from_secs(2);
/// The lease is asked for every 2 s (`secutix_tasks.rs`), and a run starts within a second of
/// being due.
const TAKEOVER: Duration = Duration::from_secs(4);

fn start_worker(prefix: &str, database_url: &str, sim: &secutix_sim::SimHandle) -> tokio::process::Child {
    tokio::process::Command::new(binary("sync-worker"))
        .arg("run")
        .env("DATABASE_URL", database_url)
        .env("AMQP_URL", tests::amqp_url())
        .env("AMQP_NAME_PREFIX", prefix)
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("RECONCILE_EVERY", "2s")
        .env("SECUTIX_API_URL", format!("{}/tnco/backend-apis", sim.base_url()))
        .env("SECUTIX_INSTITUTION", "DEMO")
        .env("SECUTIX_VIRTUAL_OPERATOR", "DEMO_VO")
        .env("SECUTIX_PARTNER", "secutix-bridge")
        .env("SECUTIX_API_SECRET", "local-development-api-secret")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("sync-worker starts")
}

#[derive(diesel::QueryableByName, Debug)]
struct Run {
    #[diesel(sql_type = diesel::sql_types::Text)]
    runner: String,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    started_at: DateTime<Utc>,
}

async fn runs(db: &TestDatabase) -> Vec<Run> {
    let mut conn = db.pool.get().await.expect("connection");
    diesel::sql_query("SELECT runner, started_at FROM scheduled_runs WHERE name = 'reconcile' ORDER BY started_at")
        .load(&mut conn)
        .await
        .expect("runs")
}

fn pid_of(runner: &str) -> u32 {
    runner
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("host:pid")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_leader_hands_the_schedule_over_without_a_repeat_or_a_gap() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let sim = start_sim(|_| {}).await;
    let mut workers = vec![
        start_worker(&broker.prefix, &db.url, &sim),
        start_worker(&broker.prefix, &db.url, &sim),
    ];

    // Three runs, all by one replica: the leader.
    let before = eventually(Duration::from_secs(30), "three scheduled runs", || async {
        let runs = runs(&db).await;
        (runs.len() >= 3).then_some(runs)
    })
    .await;
    let leader = pid_of(&before[0].runner);
    assert!(
        before.iter().all(|r| pid_of(&r.runner) == leader),
        "one leader runs them: {before:?}"
    );

    let index = workers
        .iter()
        .position(|w| w.id() == Some(leader))
        .expect("the leader is one of ours");
    let mut killed = workers.remove(index);
    killed.start_kill().expect("SIGKILL");
    killed.wait().await.expect("killed");
    let killed_at = Instant::now();

    let after = eventually(Duration::from_secs(30), "a run by the other replica", || async {
        let runs = runs(&db).await;
        runs.iter().any(|r| pid_of(&r.runner) != leader).then_some(runs)
    })
    .await;
    assert!(
        killed_at.elapsed() < TAKEOVER + EVERY,
        "taken over within the lease time: {:?}",
        killed_at.elapsed()
    );
    let successor = after.iter().find(|r| pid_of(&r.runner) != leader).expect("a successor");
    assert_eq!(
        successor.runner.rsplit(':').next(),
        workers[0].id().map(|p| p.to_string()).as_deref()
    );

    // Never twice in a period, and never a period missed beyond the takeover.
    for pair in after.windows(2) {
        let gap = (pair[1].started_at - pair[0].started_at).to_std().expect("in order");
        assert!(
            gap >= EVERY - Duration::from_millis(50),
            "a run repeated within its period: {pair:?}"
        );
        assert!(gap <= EVERY + TAKEOVER, "a period skipped: {pair:?}");
    }
}
