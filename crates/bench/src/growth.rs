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
    growth_data::{accounts_of, pick},
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

/// What the measurements at every size share.
struct Run<'a> {
    args: &'a GrowthArgs,
    database: &'a BenchDatabase,
    conn: AsyncPgConnection,
    /// The benchmark account (`gateway::seed_bench_account`).
    subject: uuid::Uuid,
    amqp_url: String,
    prefix: String,
    topology: Topology,
    channel: lapin::Channel,
}

/// One figure of one size: series, unit, value, p50 and p99 in ms.
type Figure = (String, &'static str, f64, Option<(f64, f64)>);

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
    let mut run = Run {
        args,
        database,
        conn,
        subject,
        amqp_url,
        prefix,
        topology,
        channel,
    };
    let largest = args.sizes.last().copied().unwrap_or(0);
    let mut measured = Vec::new();
    let result = async {
        for &size in &args.sizes {
            let seconds = crate::growth_data::grow_to(&database.url, size, &hash).await?;
            println!(
                "growth: {size} fans stored, {seconds:.1} s to add them (indexes, statistics, checkpoint included)"
            );
            let stored = crate::growth_data::stored(&mut run.conn).await?;
            let mut figures = run.worker(size).await?;
            figures.extend(run.gateway(size, stored).await?);
            figures.extend(run.search(size, stored, largest).await?);
            measured.extend(figures.into_iter().map(|(series, unit, figure, latency)| Measured {
                size,
                series,
                unit,
                figure,
                latency,
            }));
        }
        anyhow::Ok(())
    }
    .await;
    let _ = run.topology.delete(&run.channel).await;
    let _ = connection.close(200, "bench done".into()).await;
    result.map(|()| measured)
}

impl Run<'_> {
    /// sync-worker applying new contacts (its default batch size and prefetch), the binary
    /// started afresh on a filled queue each round, timed from its start to the last row.
    async fn worker(&mut self, size: u64) -> anyhow::Result<Vec<Figure>> {
        let (mut rates, mut peak) = (Vec::new(), 0);
        for round in 0..self.args.rounds {
            let tag = format!("g{size}r{round}");
            let messages = encode_events(&self.topology, &tag, self.args.events)?;
            fill(&self.channel, &self.topology.worker_queue(), &messages).await?;
            let started = std::time::Instant::now();
            let env = [
                ("DATABASE_URL", self.database.url.clone()),
                ("AMQP_URL", self.amqp_url.clone()),
                ("AMQP_NAME_PREFIX", self.prefix.clone()),
            ];
            let worker =
                ServiceProcess::start("sync-worker", &["run"], &env, free_port()?, scratch_dir("worker")?).await?;
            self.database
                .wait_for_tagged(&tag, self.args.events, Duration::from_secs(600))
                .await?;
            rates.push(self.args.events as f64 / started.elapsed().as_secs_f64());
            peak = peak.max(worker.peak_memory_mib()?);
            worker.stop().await;
        }
        eprintln!("growth {size}: worker apply {:.0}/s", median(&rates));
        Ok(vec![
            ("worker apply".into(), "contacts/s", median(&rates), None),
            ("sync-worker peak memory".into(), "MiB", peak as f64, None),
        ])
    }

    /// The gateway: userinfo on first use, then password sign-ins beside argon2id hashing, for
    /// fans all over the table (the benchmark account when it is empty).
    async fn gateway(&mut self, size: u64, stored: u64) -> anyhow::Result<Vec<Figure>> {
        let (args, url) = (self.args, &self.database.url);
        let gateway = crate::storm_gateway::start(url, "bench", SECRET, "https://bench.example.org/cb").await?;
        let (_, kid) = access_token_signer(&gateway.dir().join("keys"))?;
        let settings =
            infra::config::parse_from::<auth_gateway::Settings, _, _>(["auth-gateway", "--database-url", url])?;
        let accounts = accounts_of(&mut self.conn, &pick(stored, 2_000)).await?;
        let mut subjects: Vec<uuid::Uuid> = accounts.iter().map(|(subject, _, _)| *subject).collect();
        subjects.push(self.subject);
        let mut emails: Vec<String> = accounts
            .into_iter()
            .filter_map(|(_, email, password)| password.then_some(email))
            .collect();
        emails.push("bench@example.org".into());
        let setup = FirstUseSetup {
            base: &gateway.base,
            database_url: url,
            subjects: &subjects,
            kid: &kid,
            pool_size: usize::from(settings.database.database_pool_size),
            concurrency: args.concurrency,
        };
        let duration = Duration::from_secs(args.first_use_seconds);
        let first_use = crate::gateway_first_use::measure(&setup, args.rounds, duration, &mut self.conn).await?;
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
        let peak = gateway.peak_memory_mib()?;
        gateway.stop().await;
        Ok(vec![
            ("userinfo first use".into(), "requests/s", first_use.rate, None),
            ("password sign-ins".into(), "sign-ins/s", median(&sign_ins), None),
            ("argon2id hashing beside".into(), "hashes/s", median(&hashes), None),
            ("auth-gateway peak memory".into(), "MiB", peak as f64, None),
        ])
    }

    /// The console's search in each form, beside its SQL alone.
    async fn search(&mut self, size: u64, stored: u64, largest: u64) -> anyhow::Result<Vec<Figure>> {
        let console = Console::start(&self.database.url).await?;
        let texts = samples(&mut self.conn, stored, largest, self.args.searches + 5).await?;
        let mut figures = Vec::new();
        for (form, texts) in FORMS.iter().zip(&texts) {
            // The first few warm the console's pool and the caches up.
            measure_form(&console, &mut self.conn, &texts[..5]).await?;
            let mut latencies = measure_form(&console, &mut self.conn, &texts[5..]).await?;
            let (rate, p50, p99) = summary(&mut latencies.console);
            let (raw_rate, raw_p50, raw_p99) = summary(&mut latencies.raw);
            eprintln!(
                "growth {size}: search by {form}: console p50 {p50:.1} ms p99 {p99:.1} ms, SQL p50 {raw_p50:.1} ms \
                 p99 {raw_p99:.1} ms; {} of {} found someone",
                latencies.found,
                latencies.console.len()
            );
            figures.push((format!("console search, {form}"), "searches/s", rate, Some((p50, p99))));
            figures.push((
                format!("search SQL alone, {form}"),
                "queries/s",
                raw_rate,
                Some((raw_p50, raw_p99)),
            ));
        }
        let peak = console.process.peak_memory_mib()?;
        console.process.stop().await;
        figures.push(("support-console peak memory".into(), "MiB", peak as f64, None));
        Ok(figures)
    }
}
