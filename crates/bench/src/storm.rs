//! The on-sale sign-in storm (`make bench-storm`): fans who each sign in once, arriving at 0.5×,
//! 1× and 10× the argon2id rate measured first in the same run, drive the whole flow a shop
//! sign-in makes (`storm_fan`) against the `auth-gateway` binary running as a process of its
//! own, while a second population of fans already signed in keeps signing in silently. Per
//! level: sign-ins completed per second beside the argon2id rate, the share of busy pages and
//! of any other answer, the admitted sign-ins' latency, the silent sign-ins' p99 and the
//! gateway's peak memory.

use std::{
    collections::BTreeMap,
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::{
    database::BenchDatabase,
    gateway::PASSWORD,
    gateway_baselines::argon2_rate,
    gateway_grants::SECRET,
    report::{Row, print_table, quantile},
    storm_fan::{self, Outcome, REDIRECT, Tally},
    storm_gateway,
};

#[derive(Debug, Clone, clap::Args)]
pub struct StormArgs {
    /// Seconds during which each level brings new fans.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// The levels: arrival rates as multiples of the argon2id rate measured first.
    #[arg(long, value_delimiter = ',', default_value = "0.5,1,10")]
    pub levels: Vec<f64>,
    /// Fans already signed in, each signing in silently again and again during every level.
    #[arg(long, default_value_t = 16)]
    pub silent_fans: usize,
    /// Pause between one silent fan's sign-ins, in milliseconds.
    #[arg(long, default_value_t = 50)]
    pub silent_pause_ms: u64,
    /// How long after its level stops bringing fans a fan keeps retrying busy pages, seconds.
    #[arg(long, default_value_t = 30)]
    pub patience: u64,
    /// The gateway's peak resident memory allowed at any level, MiB (its argon2id buffers,
    /// 19 MiB per hashing thread, and a fixed part; the queue itself holds only requests).
    #[arg(long, default_value_t = 256)]
    pub memory_bound_mib: u64,
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
}

pub async fn run(args: StormArgs) -> anyhow::Result<()> {
    let duration = Duration::from_secs(args.seconds);
    // The hash rate with nothing else running: what every level is compared with.
    let argon2 = argon2_rate(PASSWORD, duration.min(Duration::from_secs(5))).await;
    eprintln!("storm: argon2id hashing on 2 threads: {argon2:.1}/s");
    let arrivals: Vec<usize> = args
        .levels
        .iter()
        .map(|level| (level * argon2 * args.seconds as f64).ceil() as usize)
        .collect();

    let database = BenchDatabase::create(&args.admin_url).await?;
    let fans = arrivals.iter().sum::<usize>() + args.silent_fans;
    seed_fans(&database, fans).await?;
    let gateway = storm_gateway::start(&database.url, "storm", SECRET, REDIRECT).await?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(512)
        .build()?;

    // The silent population signs in once, unhurried, then keeps signing in silently.
    let tally: Tally = Arc::default();
    let mut sessions = Vec::with_capacity(args.silent_fans);
    for fan in 0..args.silent_fans {
        let give_up = Instant::now() + Duration::from_secs(60);
        let (_, session) = storm_fan::sign_in(&client, &gateway.base, &email(fan), PASSWORD, &tally, give_up).await;
        sessions.push(session.ok_or_else(|| anyhow::anyhow!("a silent fan could not sign in first"))?);
    }
    let silent = SilentFans::start(&client, &gateway.base, sessions, args.silent_pause_ms);

    let mut rows = Vec::new();
    let mut next_fan = args.silent_fans;
    for (&level, &count) in args.levels.iter().zip(&arrivals) {
        gateway.reset_peak_memory();
        silent.restart();
        let result = storm(&client, &gateway.base, next_fan..next_fan + count, &args).await;
        next_fan += count;
        let mut silent_latencies = silent.take();
        let peak = gateway.peak_memory_mib()?;
        rows.extend(level_rows(level, argon2, &result, &mut silent_latencies, peak, &args));
    }
    silent.stop().await;

    print_table(&rows);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&rows)?)?;
    }
    gateway.stop().await;
    database.drop().await;
    Ok(())
}

/// What one level measured.
struct Level {
    outcomes: Vec<Outcome>,
    tally: BTreeMap<u16, u64>,
    started: Instant,
    arrivals_ended: Instant,
}

/// Brings the fans `fans` in at a steady pace over `args.seconds`, each signing in once, and
/// waits for every one of them to finish or give up.
async fn storm(client: &reqwest::Client, base: &str, fans: std::ops::Range<usize>, args: &StormArgs) -> Level {
    let tally: Tally = Arc::default();
    let count = fans.len().max(1);
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(args.seconds as f64 / count as f64));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let give_up = started + Duration::from_secs(args.seconds + args.patience);
    let mut tasks = Vec::with_capacity(count);
    for fan in fans {
        ticker.tick().await;
        let (client, base, tally) = (client.clone(), base.to_owned(), tally.clone());
        tasks.push(tokio::spawn(async move {
            storm_fan::sign_in(&client, &base, &email(fan), PASSWORD, &tally, give_up)
                .await
                .0
        }));
    }
    let arrivals_ended = Instant::now();
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        if let Ok(outcome) = task.await {
            outcomes.push(outcome);
        }
    }
    let tally = std::mem::take(&mut *tally.lock().unwrap_or_else(|e| e.into_inner()));
    Level {
        outcomes,
        tally,
        started,
        arrivals_ended,
    }
}

/// The fans already signed in, signing in silently in a loop; their latencies are collected
/// per level.
struct SilentFans {
    latencies: Arc<Mutex<Vec<Duration>>>,
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl SilentFans {
    fn start(client: &reqwest::Client, base: &str, sessions: Vec<String>, pause_ms: u64) -> Self {
        let latencies: Arc<Mutex<Vec<Duration>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let tally: Tally = Arc::default();
        let tasks = sessions
            .into_iter()
            .map(|session| {
                let (client, base, latencies, stop, tally) = (
                    client.clone(),
                    base.to_owned(),
                    latencies.clone(),
                    stop.clone(),
                    tally.clone(),
                );
                tokio::spawn(async move {
                    while !AtomicBool::load(&stop, Ordering::Relaxed) {
                        // A failed silent sign-in counts as never answering in time.
                        let took = storm_fan::silent_sign_in(&client, &base, &session, &tally)
                            .await
                            .unwrap_or(Duration::MAX);
                        latencies.lock().unwrap_or_else(|e| e.into_inner()).push(took);
                        tokio::time::sleep(Duration::from_millis(pause_ms)).await;
                    }
                })
            })
            .collect();
        Self { latencies, stop, tasks }
    }

    /// Forgets the latencies measured so far.
    fn restart(&self) {
        self.latencies.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// The latencies since the last restart.
    fn take(&self) -> Vec<Duration> {
        std::mem::take(&mut *self.latencies.lock().unwrap_or_else(|e| e.into_inner()))
    }

    async fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// The report rows of one level.
fn level_rows(
    level: f64,
    argon2: f64,
    result: &Level,
    silent: &mut [Duration],
    peak_mib: u64,
    args: &StormArgs,
) -> Vec<Row> {
    let mut flows: Vec<Duration> = result.outcomes.iter().filter_map(|o| o.flow).collect();
    // Completed per second while fans were coming, and for as long after the last arrival as
    // a typical sign-in takes (the last fans to come need that long); past that, the rate would
    // only fall off as the storm ends.
    let window = result.arrivals_ended.duration_since(result.started) + quantile(&mut flows, 0.5);
    let window_end = result.started + window;
    let in_window = result
        .outcomes
        .iter()
        .filter_map(|o| o.completed_at)
        .filter(|&at| at <= window_end)
        .count();
    let rate = in_window as f64 / window.as_secs_f64();
    // Nothing completes faster than fans arrive: below the hash rate the target is what came.
    let expected = level.min(1.0) * argon2;
    let completed = result.outcomes.iter().filter(|o| o.completed_at.is_some()).count();
    let mut admitted: Vec<Duration> = result.outcomes.iter().filter_map(|o| o.admitted).collect();
    let answers: u64 = result.tally.values().sum();
    let busy = result.tally.get(&503).copied().unwrap_or(0);
    let others: u64 = result
        .tally
        .iter()
        .filter(|(status, _)| ![200, 302, 303, 503].contains(*status))
        .map(|(_, n)| n)
        .sum();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let silent_p99 = ms(quantile(silent, 0.99));
    let met = |ok: bool| if ok { "met" } else { "missed" };
    eprintln!(
        "storm {level}×: {} fans, {completed} signed in ({in_window} in the window, {rate:.1}/s); answers {:?}; \
         admitted sign-ins p50 {:.0} ms p99 {:.0} ms; whole flow p50 {:.0} ms p99 {:.0} ms; silent p99 {silent_p99:.0} ms \
         ({} silent sign-ins); peak memory {peak_mib} MiB",
        result.outcomes.len(),
        result.tally,
        ms(quantile(&mut admitted, 0.5)),
        ms(quantile(&mut admitted, 0.99)),
        ms(quantile(&mut flows.clone(), 0.5)),
        ms(quantile(&mut flows, 0.99)),
        silent.len(),
    );
    let label = format!("storm {level}× argon2 rate");
    vec![
        Row {
            benchmark: format!("{label}: sign-ins completed"),
            figure: rate,
            unit: "sign-ins/s",
            baseline_name: "argon2id hashing, 2 threads (/s)".into(),
            baseline: argon2,
            ratio: rate / argon2,
            target: format!("ratio ≥ {:.2} ({})", 0.9 * level.min(1.0), met(rate >= 0.9 * expected)),
            p50_ms: Some(ms(quantile(&mut admitted, 0.5))),
            p99_ms: Some(ms(quantile(&mut admitted, 0.99))),
        },
        Row {
            benchmark: format!("{label}: busy pages (503)"),
            figure: 100.0 * busy as f64 / answers.max(1) as f64,
            unit: "% of answers",
            baseline_name: format!("other than 200/302/303/503: {others} of {answers}"),
            baseline: f64::NAN,
            ratio: f64::NAN,
            target: format!("no other status ({})", met(others == 0)),
            p50_ms: None,
            p99_ms: None,
        },
        Row {
            benchmark: format!("{label}: silent sign-ins beside"),
            figure: silent.len() as f64,
            unit: "sign-ins",
            baseline_name: "(none: absolute target)".into(),
            baseline: f64::NAN,
            ratio: f64::NAN,
            target: format!("p99 < 100 ms ({})", met(silent_p99 < 100.0)),
            p50_ms: Some(ms(quantile(silent, 0.5))),
            p99_ms: Some(silent_p99),
        },
        Row {
            benchmark: format!("{label}: gateway peak memory"),
            figure: peak_mib as f64,
            unit: "MiB",
            baseline_name: "(none: absolute bound)".into(),
            baseline: f64::NAN,
            ratio: f64::NAN,
            target: format!(
                "≤ {} MiB ({})",
                args.memory_bound_mib,
                met(peak_mib <= args.memory_bound_mib)
            ),
            p50_ms: None,
            p99_ms: None,
        },
    ]
}

/// Fan `n`'s address.
fn email(n: usize) -> String {
    format!("fan{n}@storm.example.org")
}

/// `count` fans with contacts and verified accounts sharing one password hash (each sign-in
/// still hashes), written in two statements.
async fn seed_fans(database: &BenchDatabase, count: usize) -> anyhow::Result<()> {
    let mut conn = AsyncPgConnection::establish(&database.url).await?;
    let hash = auth_gateway::passwords::Passwords::new(1)?.hash(PASSWORD).await?;
    let count = i32::try_from(count)?;
    diesel::sql_query(
        "INSERT INTO contacts (contact_number, first_name, last_name, raw, version_time, version_event_id, source) \
         SELECT 'F' || n, 'Fan', 'Number ' || n, '{}', now(), gen_random_uuid(), 'webhook' \
         FROM generate_series(0, $1 - 1) AS n",
    )
    .bind::<diesel::sql_types::Integer, _>(count)
    .execute(&mut conn)
    .await?;
    diesel::sql_query(
        "INSERT INTO accounts (contact_number, origin_contact_number, login_email, password_hash, email_verified) \
         SELECT 'F' || n, 'F' || n, 'fan' || n || '@storm.example.org', $2, true \
         FROM generate_series(0, $1 - 1) AS n",
    )
    .bind::<diesel::sql_types::Integer, _>(count)
    .bind::<diesel::sql_types::Text, _>(hash)
    .execute(&mut conn)
    .await?;
    Ok(())
}
