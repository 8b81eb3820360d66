//! The gateway benchmark: refresh-token grants, userinfo requests (one token repeated, and each
//! token used once) and password sign-ins per second against `auth-gateway` (started in this
//! process), each beside its raw baseline in the same run: signing the same access token with
//! the same key, the same HTTP stack serving a static JSON of the same size, one ES256
//! verification and one primary-key query (`gateway_first_use`), and argon2id hashing with the
//! same parameters.

use std::{
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use tokio_util::sync::CancellationToken;

use crate::{
    database::BenchDatabase,
    gateway_baselines::{access_token_signer, argon2_rate, signing_rate, static_json_server},
    gateway_first_use::FirstUseSetup,
    gateway_grants::{SECRET, new_refresh_token, refresh_once},
    report::{Row, median, print_table},
};

/// The benchmark account's password (also what the argon2id baseline hashes).
pub const PASSWORD: &str = "benchmark password 1234";

#[derive(Debug, Clone, clap::Args)]
pub struct GatewayArgs {
    /// Seconds per measurement.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Measurements per benchmark; medians are reported.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Seconds per measurement of userinfo on first use (every token minted beforehand is
    /// used once, so longer means more tokens to mint).
    #[arg(long, default_value_t = 3)]
    pub first_use_seconds: u64,
    /// Concurrent clients for refresh grants and sign-ins.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
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

pub async fn run(args: GatewayArgs) -> anyhow::Result<()> {
    let database = BenchDatabase::create(&args.admin_url).await?;
    let mut conn = AsyncPgConnection::establish(&database.url).await?;
    let subject = seed_bench_account(&mut conn).await?;

    let dir = std::env::temp_dir().join(format!("bench-gateway-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let clients = dir.join("clients.toml");
    let registry = auth_gateway::clients::ClientRegistry {
        clients: vec![auth_gateway::clients::Client {
            id: "bench".into(),
            name: "Benchmark".into(),
            kind: auth_gateway::clients::ClientKind::Confidential,
            secret_hashes: vec![auth_gateway::clients::hash_secret(SECRET)],
            redirect_uris: vec!["https://bench.example.org/cb".into()],
            post_logout_redirect_uris: vec![],
            ..Default::default()
        }],
    };
    registry.save(&clients)?;
    let keys_dir = dir.join("keys");
    let settings = infra::config::parse_from::<auth_gateway::Settings, _, _>([
        "auth-gateway",
        "--listen-addr",
        "127.0.0.1:0",
        "--database-url",
        &database.url,
        "--dev-keys-dir",
        &keys_dir.to_string_lossy(),
        "--clients-file",
        &clients.to_string_lossy(),
    ])?;
    let pool_size = usize::from(settings.database.database_pool_size);
    let cancel = CancellationToken::new();
    let app = auth_gateway::Application::build(settings, cancel.clone()).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let signer = access_token_signer(&keys_dir)?;
    let duration = Duration::from_secs(args.seconds);

    let mut rows = Vec::new();
    // Refresh grants.
    let (mut raw, mut ours) = (Vec::new(), Vec::new());
    for _ in 0..args.rounds {
        raw.push(signing_rate(&signer, duration).await);
        ours.push(refresh_rate(&base, &mut conn, subject, args.concurrency, duration).await?);
    }
    rows.push(row(
        "refresh grants",
        "grants/s",
        median(&ours),
        "ES256 access-token signing (/s)",
        median(&raw),
        "≥ 1,000/s",
    ));

    // Userinfo, one token repeated: after the first request, every answer is a cache hit.
    let token = {
        let refresh = new_refresh_token(&mut conn, subject, "openid").await?;
        let (status, body) = refresh_once(&reqwest::Client::new(), &base, &refresh).await?;
        anyhow::ensure!(status == 200, "refresh failed: {body}");
        body["access_token"].as_str().unwrap_or_default().to_owned()
    };
    let userinfo_body = reqwest::Client::new()
        .get(format!("{base}/userinfo"))
        .bearer_auth(&token)
        .send()
        .await?
        .bytes()
        .await?;
    let static_url = static_json_server(userinfo_body.to_vec(), cancel.clone())?;
    let (mut raw, mut ours) = (Vec::new(), Vec::new());
    for _ in 0..args.rounds {
        raw.push(wrk_rate(&static_url, None, duration)?);
        ours.push(wrk_rate(&format!("{base}/userinfo"), Some(&token), duration)?);
    }
    rows.push(row(
        "userinfo, repeated token (cache hit)",
        "requests/s",
        median(&ours),
        "same HTTP stack, static JSON (/s)",
        median(&raw),
        "ratio ≥ 0.6",
    ));

    // Userinfo on first use, as S-360 calls it: each token once, so every request misses.
    let first_use = crate::gateway_first_use::measure(
        &FirstUseSetup {
            base: &base,
            database_url: &database.url,
            subjects: &[subject],
            kid: &signer.1,
            pool_size,
            concurrency: args.concurrency,
        },
        args.rounds,
        Duration::from_secs(args.first_use_seconds),
        &mut conn,
    )
    .await?;
    rows.push(row(
        "userinfo, first use (cache miss)",
        "requests/s",
        first_use.rate,
        &format!("ES256 verify + PK query, {pool_size} conns (/s)"),
        first_use.baseline,
        "ratio ≥ 0.7",
    ));

    // Sign-ins.
    let (mut raw, mut ours) = (Vec::new(), Vec::new());
    for _ in 0..args.rounds {
        raw.push(argon2_rate(PASSWORD, duration).await);
        ours.push(login_rate(&base, args.concurrency, duration).await?);
    }
    rows.push(row(
        "password sign-ins",
        "sign-ins/s",
        median(&ours),
        "argon2id hashing, 2 threads (/s)",
        median(&raw),
        "ratio ≥ 0.9",
    ));

    print_table(&rows);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&rows)?)?;
    }
    cancel.cancel();
    server.await??;
    drop(conn);
    database.drop().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The benchmark account (contact `B1`, `bench@example.org`, [`PASSWORD`], verified); returns
/// its subject id.
pub async fn seed_bench_account(conn: &mut AsyncPgConnection) -> anyhow::Result<uuid::Uuid> {
    seed_fan(conn, 1, "bench@example.org").await
}

/// Fan `n`: an S-360 contact `B<n>` and a verified account signing in as `email` with
/// [`PASSWORD`]; returns its subject id.
pub async fn seed_fan(conn: &mut AsyncPgConnection, n: usize, email: &str) -> anyhow::Result<uuid::Uuid> {
    #[derive(diesel::QueryableByName)]
    struct Subject {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        subject_id: uuid::Uuid,
    }
    let hash = auth_gateway::passwords::Passwords::new(1)?.hash(PASSWORD).await?;
    let number = format!("B{n}");
    diesel::sql_query(
        "INSERT INTO contacts (contact_number, first_name, last_name, raw, version_time, version_event_id, source) \
         VALUES ($1, 'Bench', 'Mark', '{}', now(), gen_random_uuid(), 'webhook')",
    )
    .bind::<diesel::sql_types::Text, _>(&number)
    .execute(conn)
    .await?;
    let row: Subject = diesel::sql_query(
        "INSERT INTO accounts (contact_number, origin_contact_number, login_email, password_hash, email_verified) \
         VALUES ($1, $1, $2, $3, true) RETURNING subject_id",
    )
    .bind::<diesel::sql_types::Text, _>(&number)
    .bind::<diesel::sql_types::Text, _>(email)
    .bind::<diesel::sql_types::Text, _>(&hash)
    .get_result(conn)
    .await?;
    Ok(row.subject_id)
}

fn row(name: &str, unit: &'static str, figure: f64, baseline_name: &str, baseline: f64, target: &str) -> Row {
    Row {
        benchmark: format!("gateway {name}"),
        figure,
        unit,
        baseline_name: baseline_name.into(),
        baseline,
        ratio: figure / baseline,
        target: target.into(),
        p50_ms: None,
        p99_ms: None,
    }
}

/// Refresh grants per second: each client follows its own rotating chain.
async fn refresh_rate(
    base: &str,
    conn: &mut AsyncPgConnection,
    subject: uuid::Uuid,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    let client = reqwest::Client::new();
    let mut chains = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        chains.push(new_refresh_token(conn, subject, "openid").await?);
    }
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let tasks: Vec<_> = chains
        .into_iter()
        .map(|mut token| {
            let (client, base, count) = (client.clone(), base.to_owned(), count.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let (status, body) = refresh_once(&client, &base, &token).await?;
                    anyhow::ensure!(status == 200, "refresh failed: {body}");
                    token = body["refresh_token"].as_str().unwrap_or_default().to_owned();
                    count.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok(AtomicU64::load(&count, Ordering::Relaxed) as f64 / duration.as_secs_f64())
}

/// Successful sign-ins per second of the benchmark account (`bench@example.org`, [`PASSWORD`])
/// through the real form (CSRF cookie and field).
pub async fn login_rate(base: &str, concurrency: usize, duration: Duration) -> anyhow::Result<f64> {
    login_rate_as(base, vec!["bench@example.org".into()], concurrency, duration).await
}

/// [`login_rate`], the clients signing in as each of `emails` in turn (all with [`PASSWORD`]).
pub async fn login_rate_as(
    base: &str,
    emails: Vec<String>,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    anyhow::ensure!(!emails.is_empty(), "no account to sign in as");
    let emails = Arc::new(emails);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, base, count) = (client.clone(), base.to_owned(), count.clone());
        let (emails, next) = (emails.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let page = client.get(format!("{base}/login")).send().await?;
            let cookie = page
                .headers()
                .get_all("set-cookie")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find(|v| v.starts_with("__Host-csrf="))
                .and_then(|v| v.split(';').next())
                .unwrap_or_default()
                .to_owned();
            let html = page.text().await?;
            let marker = "name=\"csrf\" value=\"";
            let start = html.find(marker).map(|i| i + marker.len()).unwrap_or_default();
            let csrf = html[start..].split('"').next().unwrap_or_default().to_owned();
            while Instant::now() < deadline {
                let email = &emails[next.fetch_add(1, Ordering::Relaxed) % emails.len()];
                let response = client
                    .post(format!("{base}/login"))
                    .header("cookie", &cookie)
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("return_to", "/"),
                        ("email", email.as_str()),
                        ("password", PASSWORD),
                    ])
                    .send()
                    .await?;
                anyhow::ensure!(response.status() == 303, "sign-in answered {}", response.status());
                count.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(AtomicU64::load(&count, Ordering::Relaxed) as f64 / duration.as_secs_f64())
}

/// Requests per second measured by `wrk` (64 connections), with an optional bearer token.
fn wrk_rate(url: &str, token: Option<&str>, duration: Duration) -> anyhow::Result<f64> {
    anyhow::ensure!(crate::wrk::available(), "wrk is required (apt-get install wrk)");
    let script = std::env::temp_dir().join(format!("bench-gateway-{}.lua", uuid::Uuid::new_v4().simple()));
    let header = token
        .map(|t| format!("wrk.headers[\"Authorization\"] = \"Bearer {t}\"\n"))
        .unwrap_or_default();
    std::fs::write(&script, header)?;
    let run = crate::wrk::run(url, &script, 64, duration);
    let _ = std::fs::remove_file(&script);
    let run = run?;
    anyhow::ensure!(run.non_2xx == 0, "{} requests failed", run.non_2xx);
    Ok(run.requests_per_second)
}
