//! The import benchmark: generates contacts with a web account to a JSON-lines file, imports
//! it with `sync-worker import` (in this process: both passes, the versioned contact upsert,
//! accounts, first-password tokens, mails and queued links), and in the same run loads the
//! same file with `psql \copy` into a plain table, the fastest way PostgreSQL takes those rows.
//! Target: the import within 2× the copy.

use std::{
    io::{BufWriter, Write},
    path::PathBuf,
    time::Instant,
};

use crate::{
    database::BenchDatabase,
    report::{Row, median, print_table},
};

#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// Contacts generated and imported.
    #[arg(long, default_value_t = 1_000_000)]
    pub contacts: usize,
    /// Measurements (each on a fresh database, alternating copy and import); medians are
    /// reported.
    #[arg(long, default_value_t = 1)]
    pub rounds: usize,
    /// Records per import transaction.
    #[arg(long, default_value_t = 5000)]
    pub batch_size: u32,
    /// Also write the results as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// A PostgreSQL superuser URL; the benchmark creates and drops its own databases.
    #[arg(
        long,
        env = "BENCH_DATABASE_ADMIN_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub admin_url: String,
}

pub async fn run(args: ImportArgs) -> anyhow::Result<()> {
    // TEST_LOG=info shows the import's own timings (first pass, time spent applying).
    infra::telemetry::init_for_tests();
    let file = std::env::temp_dir().join(format!("bench-import-{}.jsonl", uuid::Uuid::new_v4().simple()));
    let started = Instant::now();
    generate(&file, args.contacts)?;
    let size = std::fs::metadata(&file)?.len();
    println!(
        "generated {} contacts ({:.0} MB) in {:.1?}",
        args.contacts,
        size as f64 / 1e6,
        started.elapsed()
    );
    let (mut copies, mut imports) = (Vec::new(), Vec::new());
    let result = async {
        for _ in 0..args.rounds {
            copies.push(copy(&args, &file).await?);
            imports.push(import(&args, &file).await?);
        }
        anyhow::Ok(())
    }
    .await;
    let _ = std::fs::remove_file(&file);
    result?;
    let (copy, import) = (median(&copies), median(&imports));
    println!("psql \\copy into a plain table: {copy:.2} s; sync-worker import: {import:.2} s");
    let rate = |seconds: f64| args.contacts as f64 / seconds;
    let rows = vec![Row {
        benchmark: format!("import {} contacts", args.contacts),
        figure: rate(import),
        unit: "contacts/s",
        baseline_name: "psql \\copy, plain table".into(),
        baseline: rate(copy),
        ratio: import / copy,
        target: "time ≤ 2× the copy".into(),
        p50_ms: None,
        p99_ms: None,
    }];
    print_table(&rows);
    println!("import time / copy time: {:.2}", import / copy);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&rows)?)?;
    }
    Ok(())
}

/// Writes `count` distinct web-account contacts, one `getContactData` object per line.
fn generate(path: &std::path::Path, count: usize) -> anyhow::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut contact = crate::sample_contact("0");
    for i in 0..count {
        contact["contactNumber"] = format!("B{i:09}").into();
        contact["contactId"] = i.into();
        contact["individualContact"]["email"] = format!("fan{i}@example.org").into();
        contact["individualContact"]["firstname"] = format!("Fan{}", i % 9973).into();
        serde_json::to_writer(&mut out, &contact)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

/// `psql \copy` of the file, one JSON document per row, into a plain `jsonb` table.
async fn copy(args: &ImportArgs, file: &std::path::Path) -> anyhow::Result<f64> {
    let database = BenchDatabase::create(&args.admin_url).await?;
    let result = async {
        let psql = |command: String| {
            let url = database.url.clone();
            async move {
                let status = tokio::task::spawn_blocking({
                    let command = command.clone();
                    move || {
                        std::process::Command::new("psql")
                            .args(["-q", "-v", "ON_ERROR_STOP=1", &url, "-c", &command])
                            .status()
                    }
                })
                .await??;
                anyhow::ensure!(status.success(), "psql failed: {command}");
                anyhow::Ok(())
            }
        };
        psql("CREATE TABLE plain_contacts (doc jsonb NOT NULL)".into()).await?;
        let started = Instant::now();
        // CSV with quote and delimiter characters JSON never holds: each line is one value.
        psql(format!(
            "\\copy plain_contacts (doc) FROM '{}' WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')",
            file.display()
        ))
        .await?;
        anyhow::Ok(started.elapsed().as_secs_f64())
    }
    .await;
    database.drop().await;
    result
}

/// The `sync-worker` binary of the same build, run as a process so the import is measured
/// exactly as operators run it (its allocator included).
async fn import(args: &ImportArgs, file: &std::path::Path) -> anyhow::Result<f64> {
    let database = BenchDatabase::create(&args.admin_url).await?;
    let result = async {
        let binary = std::env::current_exe()?.with_file_name("sync-worker");
        anyhow::ensure!(
            binary.exists(),
            "{} is missing: build sync-worker with the benchmark",
            binary.display()
        );
        let started = Instant::now();
        let output = tokio::process::Command::new(&binary)
            .args(["import", "--file"])
            .arg(file)
            .args(["--batch-size", &args.batch_size.to_string()])
            .env("DATABASE_URL", &database.url)
            .env("RUST_LOG", std::env::var("TEST_LOG").unwrap_or_else(|_| "warn".into()))
            .stderr(std::process::Stdio::inherit())
            .output()
            .await?;
        let seconds = started.elapsed().as_secs_f64();
        let report = String::from_utf8_lossy(&output.stdout);
        anyhow::ensure!(output.status.success(), "sync-worker import failed:\n{report}");
        let expected = format!("imported: {} accounts created", args.contacts);
        anyhow::ensure!(report.contains(&expected), "expected \"{expected}\" in:\n{report}");
        anyhow::Ok(seconds)
    }
    .await;
    database.drop().await;
    result
}
