//! The passkey benchmark: passkey sign-ins per second through the gateway's real endpoints
//! (`POST /login/passkey/options`, then the assertion to `POST /login/passkey`, each opening a
//! session) against `auth-gateway` started in this process, beside two figures of the same run:
//! webauthn-rs verifying the same assertions alone (2 threads: a fresh challenge, the
//! software authenticator's signature, `finish_discoverable_authentication`, the counter
//! update), target ≥ 0.5 of it; and password sign-ins through the sign-in form, target ≥ 20×.
//! Between the two, the same sign-ins without HTTP ([`crate::passkeys_without_http`]): what
//! the database adds to the verification, and so the most HTTP sign-ins can reach here.
//! Each client is a fan of its own (an account, its contact and one passkey), as on a sale day.

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
use webauthn_rs::prelude::{DiscoverableKey, Passkey, PublicKeyCredential, Url, WebauthnBuilder};

use crate::{
    database::BenchDatabase,
    http1::Connection,
    passkey_authenticator::{ORIGIN, RP_ID, SoftPasskey},
    report::{Row, median, print_table},
};

#[derive(Debug, Clone, clap::Args)]
pub struct PasskeysArgs {
    /// Seconds per measurement.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Measurements per benchmark; medians are reported.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Concurrent clients, each a fan with an account and a passkey of its own.
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

pub async fn run(args: PasskeysArgs) -> anyhow::Result<()> {
    let database = BenchDatabase::create(&args.admin_url).await?;
    let mut conn = AsyncPgConnection::establish(&database.url).await?;
    let mut passkeys = Vec::with_capacity(args.concurrency);
    let mut emails = Vec::with_capacity(args.concurrency);
    for n in 0..args.concurrency {
        let email = format!("bench{n}@example.org");
        let subject = crate::gateway::seed_fan(&mut conn, n, &email).await?;
        emails.push(email);
        let passkey = SoftPasskey::new(subject)?;
        diesel::sql_query(
            "INSERT INTO passkeys (id, subject_id, credential_id, name, credential, backup_eligible, backup_state) \
             VALUES (gen_random_uuid(), $1, $2, $3, $4, false, false)",
        )
        .bind::<diesel::sql_types::Uuid, _>(subject)
        .bind::<diesel::sql_types::Bytea, _>(&passkey.credential_id)
        .bind::<diesel::sql_types::Text, _>(format!("Bench {n}"))
        .bind::<diesel::sql_types::Jsonb, _>(passkey.stored())
        .execute(&mut conn)
        .await?;
        passkeys.push(passkey);
    }

    let keys_dir = std::env::temp_dir().join(format!("bench-passkeys-{}", uuid::Uuid::new_v4().simple()));
    let settings = infra::config::parse_from::<auth_gateway::Settings, _, _>([
        "auth-gateway",
        "--listen-addr",
        "127.0.0.1:0",
        "--database-url",
        &database.url,
        "--dev-keys-dir",
        &keys_dir.to_string_lossy(),
        "--passkey-rp-id",
        RP_ID,
        "--passkey-rp-origins",
        ORIGIN,
    ])?;
    let cancel = CancellationToken::new();
    let app = auth_gateway::Application::build(settings, cancel.clone()).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let duration = Duration::from_secs(args.seconds);

    // A pool of the gateway's default size, for the sign-ins without HTTP.
    let pool = database.pool()?;

    let (mut raw, mut without_http, mut ours, mut passwords) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..args.rounds {
        raw.push(verification_rate(duration).await?);
        let (rate, back) = crate::passkeys_without_http::sign_in_rate(&pool, passkeys, duration).await?;
        passkeys = back;
        without_http.push(rate);
        let (rate, back) = sign_in_rate(&base, passkeys, duration).await?;
        passkeys = back;
        ours.push(rate);
        passwords.push(crate::gateway::login_rate_as(&base, emails.clone(), args.concurrency, duration).await?);
    }
    let passkey_rate = median(&ours);
    let rows = vec![
        row(
            "passkey sign-ins",
            passkey_rate,
            "webauthn-rs verification, 2 threads (/s)",
            median(&raw),
            "ratio ≥ 0.5",
        ),
        row(
            "passkey sign-ins without HTTP",
            median(&without_http),
            "webauthn-rs verification, 2 threads (/s)",
            median(&raw),
            "none: bounds the row above",
        ),
        row(
            "passkey vs password sign-ins",
            passkey_rate,
            "password sign-ins, same gateway (/s)",
            median(&passwords),
            "ratio ≥ 20",
        ),
    ];
    print_table(&rows);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&rows)?)?;
    }
    cancel.cancel();
    server.await??;
    drop(pool);
    drop(conn);
    database.drop().await;
    let _ = std::fs::remove_dir_all(&keys_dir);
    Ok(())
}

fn row(name: &str, figure: f64, baseline_name: &str, baseline: f64, target: &str) -> Row {
    Row {
        benchmark: format!("gateway {name}"),
        figure,
        unit: "sign-ins/s",
        baseline_name: baseline_name.into(),
        baseline,
        ratio: figure / baseline,
        target: target.into(),
        p50_ms: None,
        p99_ms: None,
    }
}

/// Assertions verified per second by webauthn-rs alone, on 2 threads, each with its own
/// passkey (what the gateway does per sign-in, without HTTP or the database).
async fn verification_rate(duration: Duration) -> anyhow::Result<f64> {
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let count = count.clone();
            std::thread::spawn(move || -> anyhow::Result<()> {
                let origin = Url::parse(ORIGIN)?;
                let webauthn = WebauthnBuilder::new(RP_ID, &origin)?.build()?;
                let mut device = SoftPasskey::new(uuid::Uuid::new_v4())?;
                let mut passkey: Passkey = serde_json::from_value(device.stored())?;
                while Instant::now() < deadline {
                    let (options, state) = webauthn.start_discoverable_authentication()?;
                    let challenge = serde_json::to_value(&options)?["publicKey"]["challenge"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    let assertion: PublicKeyCredential = serde_json::from_value(device.assert(&challenge)?)?;
                    webauthn.identify_discoverable_authentication(&assertion)?;
                    let key = DiscoverableKey::from(&passkey);
                    let result = webauthn.finish_discoverable_authentication(&assertion, state, &[key])?;
                    passkey.update_credential(&result);
                    count.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            })
        })
        .collect();
    for thread in threads {
        thread
            .join()
            .map_err(|_| anyhow::anyhow!("a verification thread panicked"))??;
    }
    Ok(AtomicU64::load(&count, Ordering::Relaxed) as f64 / duration.as_secs_f64())
}

/// Passkey sign-ins per second through the gateway, one client (and connection) per passkey;
/// the passkeys come back with their counters moved on.
async fn sign_in_rate(
    base: &str,
    passkeys: Vec<SoftPasskey>,
    duration: Duration,
) -> anyhow::Result<(f64, Vec<SoftPasskey>)> {
    let mut fans = Vec::with_capacity(passkeys.len());
    for passkey in passkeys {
        fans.push((Connection::open(base).await?, passkey));
    }
    crate::passkey_fans::rate_of(fans, duration, |connection, device| {
        Box::pin(sign_in_once(connection, device))
    })
    .await
}

/// One sign-in as the page's script does it: the options (and the challenge cookie), then the
/// assertion; the gateway must open a session.
async fn sign_in_once(connection: &mut Connection, device: &mut SoftPasskey) -> anyhow::Result<()> {
    let options = connection
        .post_json("/login/passkey/options", None, br#"{"return_to":"/"}"#)
        .await?;
    anyhow::ensure!(options.status == 200, "options answered {}", options.status);
    let cookie = options.cookie("__Host-passkey-challenge=").unwrap_or_default();
    let body: serde_json::Value = serde_json::from_slice(&options.body)?;
    let challenge = body["publicKey"]["challenge"].as_str().unwrap_or_default();
    let assertion = serde_json::to_vec(&device.assert(challenge)?)?;
    let answer = connection.post_json("/login/passkey", Some(cookie), &assertion).await?;
    anyhow::ensure!(
        answer.status == 200 && answer.cookie("__Host-session=").is_some(),
        "the passkey sign-in answered {}",
        answer.status
    );
    Ok(())
}
