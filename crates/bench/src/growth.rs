//! Cost as the database grows (`make bench-growth`): with 0, 1M and 5M fans already stored
//! (`growth_data`, grown in one database), the measurements of the other benchmarks, by their
//! own functions: sync-worker applying contacts, userinfo on first use and password sign-ins
//! (beside argon2id hashing in the same run: sign-ins are bound by it), and the support
//! console's search in each form beside its SQL alone (`growth_search`). Every service runs as
//! a process of its own, started afresh at each size, and its peak resident memory is read.
//! Each figure is compared with its figure on the empty database measured first.

use std::{path::PathBuf, time::Duration};

use diesel_async::{AsyncConnection, AsyncPgConnection};
use infra::{amqp::Topology, config::AmqpArgs};
use lapin::{Connection, ConnectionProperties, options::ConfirmSelectOptions};
use secrecy::ExposeSecret;

use crate::{
    database::BenchDatabase,
    gateway::{PASSWORD, login_rate_as, seed_bench_account},
    gateway_baselines::{access_token_signer, argon2_rate},
    gateway_first_use::FirstUseSetup,
    gateway_grants::SECRET,
    growth_report::{Measured, rows},
    growth_search::{Console, FORMS, measure_form, samples, summary},
    report::{median, print_table},
    service_process::{ServiceProcess, free_port, scratch_dir},
    worker::{encode_events, fill},
};

#[derive(Debug, Clone, clap::Args)]
pub struct GrowthArgs {
    /// Fans stored at each step, comma-separated, from the smallest; the first is the baseline.
    #[arg(long, value_delimiter = ',', default_value = "0,1000000,5000000")]
    pub sizes: Vec<u64>,
    /// Contacts the worker applies per measurement.
    #[arg(long, default_value_t = 20_000)]
    pub events: usize,
    /// Measurements per figure at each size; medians are reported.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Seconds per measurement of sign-ins and of argon2id hashing.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Seconds per measurement of userinfo on first use.
    #[arg(long, default_value_t = 3)]
    pub first_use_seconds: u64,
    /// Concurrent clients for sign-ins and for minting tokens.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Searches per form at each size.
    #[arg(long, default_value_t = 200)]
    pub searches: usize,
    /// Also write the results as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Leave the benchmark database in place at the end (its URL is printed), to look into it.
    #[arg(long)]
    pub keep_database: bool,
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

pub async fn run(args: GrowthArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.sizes.windows(2).all(|w| w[0] < w[1]), "--sizes must grow");
    let database = BenchDatabase::create(&args.admin_url).await?;
    let result = measure_all(&args, &database).await;
    if args.keep_database {
        println!("growth: the database is kept: {}", database.url);
    } else {
        database.drop().await;
    }
    let measured = result?;
    let rows = rows(&measured);
    print_table(&rows.iter().map(|r| r.row.clone()).collect::<Vec<_>>());
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&rows)?)?;
    }
    Ok(())
}

async fn measure_all(args: &GrowthArgs, database: &BenchDatabase) -> anyhow::Result<Vec<Measured>> {
    let mut conn = AsyncPgConnection::establish(&database.url).await?;
    let subject = seed_bench_account(&mut conn).await?;
    let hash = auth_gateway::passwords::Passwords::new(1)?.hash(PASSWORD).await?;
    let amqp_url = args.amqp.amqp_url.expose_secret().to_owned();
    let prefix = format!("bench-{}.", uuid::Uuid::new_v4().simple());
    let topology = Topology::new(prefix.clone());
    let connection = Connection::connect(&amqp_url, ConnectionProperties::default()).await?;
    let channel = connection.create_channel().await?;
    topology.declare(&channel).await?;
    channel.confirm_select(ConfirmSelectOptions::default()).await?;
    let largest = args.sizes.last().copied().unwrap_or(0);

    let mut measured = Vec::new();
    for &size in &args.sizes {
        let seconds = crate::growth_data::grow_to(&database.url, size, &hash).await?;
        println!("growth: {size} fans stored, {seconds:.1} s to add them (indexes and statistics included)");
        let mut add = |series: &str, unit: &'static str, figure: f64, latency: Option<(f64, f64)>| {
            measured.push(Measured {
                size,
                series: series.to_owned(),
                unit,
                figure,
                latency,
            });
        };

        // sync-worker applying new contacts (its default batch size), started afresh.
        let mut rates = Vec::new();
        let mut worker_peak = 0;
        for round in 0..args.rounds {
            let tag = format!("g{size}r{round}");
            let messages = encode_events(&topology, &tag, args.events)?;
            fill(&channel, &topology.worker_queue(), &messages).await?;
            let started = std::time::Instant::now();
            let port = free_port()?;
            let env = [
                ("DATABASE_URL", database.url.clone()),
                ("AMQP_URL", amqp_url.clone()),
                ("AMQP_NAME_PREFIX", prefix.clone()),
            ];
            let worker = ServiceProcess::start("sync-worker", &["run"], &env, port, scratch_dir("worker")?).await?;
            database
                .wait_for_tagged(&tag, args.events, Duration::from_secs(600))
                .await?;
            rates.push(args.events as f64 / started.elapsed().as_secs_f64());
            worker_peak = worker_peak.max(worker.peak_memory_mib()?);
            worker.stop().await;
        }
        eprintln!("growth {size}: worker apply {:.0}/s", median(&rates));
        add("worker apply", "contacts/s", median(&rates), None);
        add("sync-worker peak memory", "MiB", worker_peak as f64, None);

        // The gateway: userinfo on first use, then password sign-ins beside argon2id.
        let gateway =
            crate::storm_gateway::start(&database.url, "bench", SECRET, "https://bench.example.org/cb").await?;
        let (_, kid) = access_token_signer(&gateway.dir().join("keys"))?;
        let pool_size = usize::from(
            infra::config::parse_from::<auth_gateway::Settings, _, _>([
                "auth-gateway",
                "--database-url",
                &database.url,
            ])?
            .database
            .database_pool_size,
        );
        // Tokens and sign-ins for fans all over the table (the benchmark account when empty).
        let stored = crate::growth_data::stored(&mut conn).await?;
        let accounts = crate::growth_data::accounts_of(&mut conn, &crate::growth_data::pick(stored, 2_000)).await?;
        let mut subjects: Vec<uuid::Uuid> = accounts.iter().map(|(subject, _, _)| *subject).collect();
        subjects.push(subject);
        let mut emails: Vec<String> = accounts
            .into_iter()
            .filter(|(_, _, password)| *password)
            .map(|(_, email, _)| email)
            .collect();
        emails.push("bench@example.org".into());
        let setup = FirstUseSetup {
            base: &gateway.base,
            database_url: &database.url,
            subjects: &subjects,
            kid: &kid,
            pool_size,
            concurrency: args.concurrency,
        };
        let duration = Duration::from_secs(args.first_use_seconds);
        let first_use = crate::gateway_first_use::measure(&setup, args.rounds, duration, &mut conn).await?;
        add("userinfo first use", "requests/s", first_use.rate, None);
        let (mut sign_ins, mut hashes) = (Vec::new(), Vec::new());
        let duration = Duration::from_secs(args.seconds);
        for _ in 0..args.rounds {
            hashes.push(argon2_rate(PASSWORD, duration).await);
            sign_ins.push(login_rate_as(&gateway.base, emails.clone(), args.concurrency, duration).await?);
        }
        eprintln!(
            "growth {size}: userinfo first use {:.0}/s, sign-ins {:.1}/s beside argon2id {:.1}/s",
            first_use.rate,
            median(&sign_ins),
            median(&hashes)
        );
        add("password sign-ins", "sign-ins/s", median(&sign_ins), None);
        add("argon2id hashing beside", "hashes/s", median(&hashes), None);
        add(
            "auth-gateway peak memory",
            "MiB",
            gateway.peak_memory_mib()? as f64,
            None,
        );
        gateway.stop().await;

        // The console's search, each form, beside its SQL.
        let console = Console::start(&database.url).await?;
        let texts = samples(&mut conn, stored, largest, args.searches + 5).await?;
        for (form, texts) in FORMS.iter().zip(&texts) {
            // The first few warm the console's pool and the caches up.
            measure_form(&console, &mut conn, &texts[..5]).await?;
            let mut latencies = measure_form(&console, &mut conn, &texts[5..]).await?;
            let (rate, p50, p99) = summary(&mut latencies.console);
            let (raw_rate, raw_p50, raw_p99) = summary(&mut latencies.raw);
            eprintln!(
                "growth {size}: search by {form}: console p50 {p50:.1} ms p99 {p99:.1} ms, SQL p50 {raw_p50:.1} ms \
                 p99 {raw_p99:.1} ms; {} of {} found someone",
                latencies.found,
                latencies.console.len()
            );
            add(&format!("console search, {form}"), "searches/s", rate, Some((p50, p99)));
            add(
                &format!("search SQL alone, {form}"),
                "queries/s",
                raw_rate,
                Some((raw_p50, raw_p99)),
            );
        }
        add(
            "support-console peak memory",
            "MiB",
            console.process.peak_memory_mib()? as f64,
            None,
        );
        console.process.stop().await;
    }
    let _ = topology.delete(&channel).await;
    let _ = connection.close(200, "bench done".into()).await;
    Ok(measured)
}
