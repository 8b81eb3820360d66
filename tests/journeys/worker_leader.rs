//! Scheduled work runs once per cluster: three worker processes share the reconciliation
//! schedule through the leader lease and `scheduled_jobs`. The leader is killed with SIGKILL
//! twice: between runs, just before its next run is due (the longest a handover can take), and
//! in the middle of a run. Over the whole test each period holds exactly one run: none
//! repeated, none skipped, the handovers included.
//!
//! Periods are counted from the first run on a fixed grid of `EVERY`. The schedule itself counts
//! from each run's start (`store::schedule::claim`), so a run starts up to one worker tick late
//! and a handover adds up to the lease retry and a tick; the test keeps that lateness well
//! inside one period, so a run missing from its period is a skipped run, not drift.

use std::{process::Stdio, time::Duration};

use chrono::{DateTime, Utc};
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use tests::{TestBroker, TestDatabase, binary, eventually};

use crate::import_support::start_sim;

const EVERY: Duration = Duration::from_secs(6);
/// A follower asks for the lease every 2 s (`secutix_tasks.rs`) and a leader looks for a due
/// run every second (`reconcile.rs`); one more second for connecting and a loaded machine.
const HANDOVER: Duration = Duration::from_secs(4);
/// Calls per minute of the installation: two contacts make a run last just over 2 s, long
/// enough to kill the leader between its two calls.
const RATE_PER_MINUTE: &str = "30";
/// Contacts re-checked per run.
const LIMIT: usize = 2;

fn start_worker(prefix: &str, database_url: &str, sim: &secutix_sim::SimHandle) -> tokio::process::Child {
    tokio::process::Command::new(binary("sync-worker"))
        .arg("run")
        .env("DATABASE_URL", database_url)
        .env("AMQP_URL", tests::amqp_url())
        .env("AMQP_NAME_PREFIX", prefix)
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("RECONCILE_EVERY", format!("{}s", EVERY.as_secs()))
        .env("RECONCILE_LIMIT", LIMIT.to_string())
        .env("SECUTIX_RATE_PER_MINUTE", RATE_PER_MINUTE)
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

#[derive(diesel::QueryableByName, Debug, Clone)]
struct Run {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    runner: String,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    started_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    finished_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    outcome: Option<String>,
}

impl Run {
    fn pid(&self) -> u32 {
        self.runner
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("host:pid")
    }
}

#[derive(diesel::QueryableByName)]
struct Now {
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    now: DateTime<Utc>,
}

async fn runs(db: &TestDatabase) -> Vec<Run> {
    let mut conn = db.pool.get().await.expect("connection");
    diesel::sql_query(
        "SELECT id, runner, started_at, finished_at, outcome FROM scheduled_runs \
         WHERE name = 'reconcile' ORDER BY started_at",
    )
    .load(&mut conn)
    .await
    .expect("runs")
}

/// The database's clock, which stamps the runs.
async fn now(db: &TestDatabase) -> DateTime<Utc> {
    let mut conn = db.pool.get().await.expect("connection");
    diesel::sql_query("SELECT clock_timestamp() AS now")
        .get_result::<Now>(&mut conn)
        .await
        .expect("now")
        .now
}

/// The times of the `getContactData` calls the simulator received.
async fn contact_calls(sim: &secutix_sim::SimHandle) -> Vec<DateTime<Utc>> {
    let log: Value = reqwest::get(format!("{}/admin/calls", sim.base_url()))
        .await
        .expect("simulator answers")
        .json()
        .await
        .expect("json");
    log["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .filter(|c| c["operation"] == "getContactData")
        .filter_map(|c| c["at_ms"].as_i64())
        .filter_map(DateTime::from_timestamp_millis)
        .collect()
}

fn calls_between(calls: &[DateTime<Utc>], from: DateTime<Utc>, to: DateTime<Utc>) -> usize {
    calls.iter().filter(|t| **t >= from && **t < to).count()
}

fn seconds(delta: chrono::TimeDelta) -> f64 {
    delta.as_seconds_f64()
}

/// Kills the worker whose process id is `pid` with SIGKILL; returns when it is gone.
async fn kill(workers: &mut Vec<tokio::process::Child>, pid: u32) {
    let index = workers
        .iter()
        .position(|w| w.id() == Some(pid))
        .expect("the leader is one of ours");
    let mut leader = workers.remove(index);
    leader.start_kill().expect("SIGKILL");
    leader.wait().await.expect("killed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_leader_hands_the_schedule_over_without_a_repeat_or_a_gap() {
    assert!(HANDOVER < EVERY, "a handover fits in a period");
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let sim = start_sim(|_| {}).await;
    let mut workers: Vec<_> = (0..3).map(|_| start_worker(&broker.prefix, &db.url, &sim)).collect();
    let every = chrono::TimeDelta::from_std(EVERY).expect("period");

    // Two runs, both by one replica: the leader A.
    let first = eventually(Duration::from_secs(30), "two scheduled runs", || async {
        let runs = runs(&db).await;
        (runs.len() >= 2 && runs[1].finished_at.is_some()).then_some(runs)
    })
    .await;
    let a = first[0].pid();
    assert!(first.iter().all(|r| r.pid() == a), "one leader runs them: {first:?}");

    // A dies between runs, 300 ms before its next run is due: the longest handover.
    let due = first[1].started_at + every;
    let wait = due - chrono::TimeDelta::milliseconds(300) - now(&db).await;
    tokio::time::sleep(wait.to_std().unwrap_or_default()).await;
    kill(&mut workers, a).await;
    let killed_a = now(&db).await;
    let b_first = eventually(Duration::from_secs(30), "a run by another replica", || async {
        let runs = runs(&db).await;
        runs.into_iter().find(|r| r.pid() != a && r.finished_at.is_some())
    })
    .await;
    let handover_a = b_first.started_at - killed_a;
    assert!(
        handover_a.to_std().expect("after the kill") < HANDOVER,
        "taken over within the lease time: {handover_a}"
    );
    let b = b_first.pid();

    // Work for the next runs, so that B can be killed halfway through one: two contacts,
    // one call each, 2 s apart at this rate.
    let contacts = ["L001", "L002"];
    for number in contacts {
        sim.state()
            .store
            .create(&json!({ "contactNumber": number, "individualContact": { "lastname": "Leader" } }))
            .expect("created at S-360");
        let insert = format!(
            "INSERT INTO contacts (contact_number, last_name, raw, version_time, version_event_id, source) \
             VALUES ('{number}', 'Leader', '{{}}', now() - interval '1 day', gen_random_uuid(), 'webhook')"
        );
        TestDatabase::execute(&db, &insert).await;
    }
    // B's next run has made its first call and not its second: B dies there.
    let b_killed_run = eventually(Duration::from_secs(30), "B halfway through a run", || async {
        let run = runs(&db)
            .await
            .into_iter()
            .rfind(|r| r.pid() == b && r.id != b_first.id)?;
        let calls = contact_calls(&sim).await;
        (run.finished_at.is_none() && calls_between(&calls, run.started_at, Utc::now()) == 1).then_some(run)
    })
    .await;
    kill(&mut workers, b).await;
    let killed_b = now(&db).await;

    // C continues: its first run re-checks what B left, its second follows a period later.
    let c_runs = eventually(Duration::from_secs(30), "two finished runs by C", || async {
        let runs: Vec<Run> = runs(&db)
            .await
            .into_iter()
            .filter(|r| r.pid() != a && r.pid() != b)
            .collect();
        (runs.len() >= 2 && runs[1].finished_at.is_some()).then_some(runs)
    })
    .await;
    let end = now(&db).await;
    let all = runs(&db).await;
    let calls = contact_calls(&sim).await;
    let c_first = &c_runs[0];

    // Every period from the first run to now holds exactly one run.
    let t0 = all[0].started_at;
    let periods: Vec<i64> = all
        .iter()
        .map(|r| (r.started_at - t0).num_milliseconds() / every.num_milliseconds())
        .collect();
    let expected: Vec<i64> = (0..all.len() as i64).collect();
    assert_eq!(
        periods, expected,
        "one run per period, none repeated or skipped: {all:?}"
    );
    // How far into its period the latest run started (the schedule's lateness, below a period).
    let late = all
        .iter()
        .zip(&periods)
        .map(|(r, k)| seconds(r.started_at - t0) - *k as f64 * EVERY.as_secs_f64())
        .fold(0.0, f64::max);
    let elapsed = seconds(end - t0) / EVERY.as_secs_f64();
    assert!(
        (all.len() as f64 - elapsed).abs() <= 1.0,
        "{} runs in {elapsed:.2} periods",
        all.len()
    );
    let c = c_first.pid();
    let mut leaders: Vec<u32> = all.iter().map(Run::pid).collect();
    leaders.dedup();
    assert_eq!(leaders, [a, b, c], "A, then B, then C: one leader at a time");
    let by = |pid: u32| all.iter().filter(|r| r.pid() == pid).count();

    // A's runs all ended; B's last was cut short and stays unfinished; the next period's one
    // run, C's, re-did its work once: the contact B never reached was checked by C alone.
    assert!(
        all.iter()
            .filter(|r| r.pid() == a)
            .all(|r| r.outcome.as_deref() == Some("done")),
        "{all:?}"
    );
    let killed_run = all.iter().find(|r| r.id == b_killed_run.id).expect("kept");
    assert_eq!((killed_run.finished_at, killed_run.outcome.as_deref()), (None, None));
    let killed_period = periods[all.iter().position(|r| r.id == killed_run.id).expect("listed")];
    let next_period = periods[all.iter().position(|r| r.id == c_first.id).expect("listed")];
    assert_eq!(next_period, killed_period + 1, "C's first run is the next period's");
    assert_eq!(c_first.outcome.as_deref(), Some("done"));
    let c_first_end = c_first.finished_at.expect("finished");
    assert_eq!(
        calls_between(&calls, killed_run.started_at, c_first.started_at),
        1,
        "B was killed after one call of its run"
    );
    assert_eq!(
        calls_between(
            &calls,
            c_first.started_at,
            c_first_end + chrono::TimeDelta::milliseconds(1)
        ),
        LIMIT,
        "C's run checked both contacts, the one B left included"
    );
    let handover_b = c_first.started_at - killed_b;
    println!(
        "leader lease: {} periods of {}s run once each over {elapsed:.2} periods (A {}, B {}, C {}; \
         latest start {late:.2}s into its period); \
         SIGKILL before a due run: taken over in {:.2}s (bound {}s); SIGKILL halfway through a run \
         (1 of {LIMIT} calls made): run {} left unfinished, its work re-run once by C's run in the \
         next period, {:.2}s after the kill; {} contact calls in all",
        all.len(),
        EVERY.as_secs(),
        by(a),
        by(b),
        by(c),
        seconds(handover_a),
        HANDOVER.as_secs(),
        killed_run.id,
        seconds(handover_b),
        calls.len(),
    );
}
