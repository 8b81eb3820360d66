//! The gateway under the storm: the `auth-gateway` binary built beside this one, run as a
//! process of its own (so the load generator's work is not the gateway's, and its memory is
//! its own), with one confidential client, and its peak resident memory read from `/proc`.

use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

pub struct GatewayProcess {
    pub base: String,
    child: Child,
    dir: std::path::PathBuf,
}

impl GatewayProcess {
    /// Starts the gateway on a free port against `database_url` with the confidential client
    /// `client_id` (`secret`, `redirect`), and waits until it answers `/healthz`.
    pub async fn start(database_url: &str, client_id: &str, secret: &str, redirect: &str) -> anyhow::Result<Self> {
        let binary = std::env::current_exe()?.with_file_name("auth-gateway");
        anyhow::ensure!(
            binary.exists(),
            "{} not found: build it first (cargo build -p auth-gateway, with the same profile)",
            binary.display()
        );
        let dir = std::env::temp_dir().join(format!("bench-storm-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir)?;
        let clients = dir.join("clients.toml");
        auth_gateway::clients::ClientRegistry {
            clients: vec![auth_gateway::clients::Client {
                id: client_id.into(),
                name: "Sign-in storm".into(),
                kind: auth_gateway::clients::ClientKind::Confidential,
                secret_hashes: vec![auth_gateway::clients::hash_secret(secret)],
                redirect_uris: vec![redirect.into()],
                post_logout_redirect_uris: vec![],
                ..Default::default()
            }],
        }
        .save(&clients)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let base = format!("http://127.0.0.1:{port}");
        let child = Command::new(&binary)
            .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", database_url)
            .env("GATEWAY_ISSUER", &base)
            .env("GATEWAY_CLIENTS_FILE", &clients)
            .env("GATEWAY_DEV_KEYS_DIR", dir.join("keys"))
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let gateway = Self { base, child, dir };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let healthy = reqwest::get(format!("{}/healthz", gateway.base))
                .await
                .is_ok_and(|r| r.status().is_success());
            if healthy {
                return Ok(gateway);
            }
            anyhow::ensure!(Instant::now() < deadline, "the gateway did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Starts the peak over (Linux: writing 5 to `clear_refs` resets `VmHWM`).
    pub fn reset_peak_memory(&self) {
        if let Some(pid) = self.child.id() {
            let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
        }
    }

    /// The peak resident memory since the last reset, MiB.
    pub fn peak_memory_mib(&self) -> anyhow::Result<u64> {
        let pid = self.child.id().ok_or_else(|| anyhow::anyhow!("the gateway exited"))?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let kib = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .ok_or_else(|| anyhow::anyhow!("no VmHWM in /proc/{pid}/status"))?;
        Ok(kib / 1024)
    }

    /// Stops the gateway as its orchestrator would (SIGTERM), and removes its files.
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status().await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(15), self.child.wait()).await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
