//! Starting the real services in-process, each on port 0, stopped when the handle drops; or
//! as processes of their binaries ([`start_process`]).

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::amqp_url;

/// The bearer token `spawn_ingest` configures unless a test sets its own authentication.
pub const INGEST_TOKEN: &str = "test-token-for-the-ingest";

/// A service running in this process.
pub struct Running {
    pub base_url: String,
    pub cancel: CancellationToken,
    pub task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl Running {
    /// Requests a graceful stop and waits for it.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.cancel.cancel();
        match self.task.take() {
            Some(task) => task.await?,
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn args<'a>(binary: &'a str, extra: &[&'a str]) -> Vec<String> {
    infra::telemetry::init_for_tests();
    let mut all = vec![binary.to_owned(), "--listen-addr".into(), "127.0.0.1:0".into()];
    all.extend(extra.iter().map(|s| (*s).to_owned()));
    all
}

/// Starts `webhook-ingest` against `amqp_url` (the test broker unless overridden).
pub async fn spawn_ingest(prefix: &str, amqp: Option<&str>, extra: &[&str]) -> Running {
    use clap::Parser;
    let url = amqp.map(str::to_owned).unwrap_or_else(amqp_url);
    let mut argv = args(
        "webhook-ingest",
        &["--amqp-url", &url, "--amqp-name-prefix", prefix, "--http-workers", "2"],
    );
    // Unless the test configures authentication itself, S-360 is given a bearer token.
    let auth_flags = [
        "--basic-auth",
        "--bearer-token",
        "--hmac-secrets",
        "--allow-cidrs",
        "--allow-unauthenticated",
    ];
    if !extra.iter().any(|arg| auth_flags.contains(arg)) {
        argv.extend(["--bearer-token".to_owned(), INGEST_TOKEN.to_owned()]);
    }
    argv.extend(extra.iter().map(|s| (*s).to_owned()));
    let settings = webhook_ingest::Settings::try_parse_from(argv).expect("valid ingest settings");
    let cancel = CancellationToken::new();
    let app = webhook_ingest::Application::build(settings, cancel.clone())
        .await
        .expect("ingest starts");
    let base_url = format!("http://127.0.0.1:{}", app.port());
    Running {
        base_url,
        cancel,
        task: Some(tokio::spawn(app.run_until_stopped())),
    }
}

/// Starts `sync-worker run` against the test database and broker.
pub async fn spawn_worker(prefix: &str, database_url: &str) -> Running {
    spawn_worker_with(prefix, database_url, &[]).await
}

/// Starts `sync-worker run` with extra arguments.
pub async fn spawn_worker_with(prefix: &str, database_url: &str, extra: &[&str]) -> Running {
    use clap::Parser;
    let url = amqp_url();
    let mut argv = args(
        "run",
        &[
            "--amqp-url",
            &url,
            "--amqp-name-prefix",
            prefix,
            "--database-url",
            database_url,
        ],
    );
    argv.extend(extra.iter().map(|s| (*s).to_owned()));
    #[derive(clap::Parser)]
    struct Wrapper {
        #[command(flatten)]
        run: sync_worker::cli::RunArgs,
    }
    let run = Wrapper::try_parse_from(argv).expect("valid worker settings").run;
    let cancel = CancellationToken::new();
    let worker = sync_worker::Worker::build(run, cancel.clone())
        .await
        .expect("worker starts");
    let base_url = format!("http://127.0.0.1:{}", worker.port());
    Running {
        base_url,
        cancel,
        task: Some(tokio::spawn(worker.run_until_stopped())),
    }
}

/// Starts `auth-gateway` against the test database.
pub async fn spawn_gateway(database_url: &str) -> Running {
    spawn_gateway_with(database_url, &[]).await
}

/// Starts `auth-gateway` against the test database with extra arguments.
pub async fn spawn_gateway_with(database_url: &str, extra: &[&str]) -> Running {
    use clap::Parser;
    // Development keys into a directory of this test's own (generated at start-up).
    let keys = std::env::temp_dir().join(format!("gateway-test-keys-{}", uuid::Uuid::new_v4().simple()));
    let keys = keys.to_string_lossy().into_owned();
    let mut argv = args("auth-gateway", &["--database-url", database_url]);
    // A test that must know the port before start-up (e.g. for an origin) names it.
    if extra.contains(&"--listen-addr") {
        argv.drain(1..3);
    }
    if !extra.contains(&"--dev-keys-dir") {
        argv.extend(["--dev-keys-dir".to_owned(), keys]);
    }
    argv.extend(extra.iter().map(|s| (*s).to_owned()));
    let settings = auth_gateway::Settings::try_parse_from(argv).expect("valid gateway settings");
    let cancel = CancellationToken::new();
    let app = auth_gateway::Application::build(settings, cancel.clone())
        .await
        .expect("gateway starts");
    let base_url = format!("http://127.0.0.1:{}", app.port());
    Running {
        base_url,
        cancel,
        task: Some(tokio::spawn(app.run_until_stopped())),
    }
}

/// Arguments of `sync-worker replay` against the test database and broker.
pub fn replay_args(prefix: &str, database_url: &str, extra: &[&str]) -> sync_worker::replay::ReplayArgs {
    #[derive(clap::Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: sync_worker::replay::ReplayArgs,
    }
    let url = amqp_url();
    let mut argv = vec![
        "replay",
        "--amqp-url",
        &url,
        "--amqp-name-prefix",
        prefix,
        "--database-url",
        database_url,
    ];
    argv.extend_from_slice(extra);
    infra::config::parse_from::<Wrapper, _, _>(argv)
        .expect("valid replay arguments")
        .args
}

/// Arguments of `sync-worker redrive` against the test broker.
pub fn redrive_args(prefix: &str, extra: &[&str]) -> sync_worker::redrive::RedriveArgs {
    #[derive(clap::Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: sync_worker::redrive::RedriveArgs,
    }
    let url = amqp_url();
    let mut argv = vec!["redrive", "--amqp-url", &url, "--amqp-name-prefix", prefix];
    argv.extend_from_slice(extra);
    infra::config::parse_from::<Wrapper, _, _>(argv)
        .expect("valid redrive arguments")
        .args
}

/// A binary of the workspace, built by `cargo build --workspace --bins` (scripts/test.sh
/// does it before the tests).
pub fn binary(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target directory")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace --bins` first",
        path.display()
    );
    path
}

/// A binary of the workspace running as a process, killed when dropped.
pub struct Process {
    pub name: &'static str,
    pub url: String,
    pub child: tokio::process::Child,
}

impl Process {
    /// The process's peak resident memory so far (`VmHWM`), in bytes.
    pub fn peak_memory(&self) -> u64 {
        let pid = self.child.id().expect("the process runs");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("process status");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .expect("VmHWM in the process status")
            * 1024
    }
}

/// Starts binary `name` listening on `port` (its `LISTEN_ADDR`) with `args` and `env`, and
/// waits for its `/healthz`.
pub async fn start_process(name: &'static str, port: u16, args: &[&str], env: &[(&str, String)]) -> Process {
    let mut command = tokio::process::Command::new(binary(name));
    command
        .args(args)
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true);
    for (key, value) in env {
        command.env(key, value);
    }
    let child = command.spawn().expect("the binary starts");
    let url = format!("http://127.0.0.1:{port}");
    let health = format!("{url}/healthz");
    crate::eventually(std::time::Duration::from_secs(30), name, || async {
        reqwest::get(&health)
            .await
            .ok()
            .filter(|r| r.status().is_success())
            .map(drop)
    })
    .await;
    Process { name, url, child }
}

/// The value of the Prometheus sample `series` (name and labels, as exposed) at the service
/// at `base_url`, 0 when it is not exposed yet.
pub async fn metric(base_url: &str, series: &str) -> u64 {
    let text = reqwest::get(format!("{base_url}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let prefix = format!("{series} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .map(|n| n.trim().parse::<f64>().expect("a number") as u64)
        .unwrap_or(0)
}
