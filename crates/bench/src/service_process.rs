//! A service binary built beside this one (`auth-gateway`, `sync-worker`, `support-console`),
//! run as a process of its own so the load generator's work and memory are not the service's:
//! started on a free port, waited for until `/healthz` answers, its peak resident memory read
//! from `/proc`, and stopped as an orchestrator would.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use tokio::process::{Child, Command};

pub struct ServiceProcess {
    /// `http://127.0.0.1:<port>`, where it listens.
    pub base: String,
    child: Child,
    /// A directory of the process's own files (keys, clients file), removed at the end.
    dir: PathBuf,
}

/// A port free now, for a service that must know its address before it starts (an issuer).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A fresh directory for a service's files.
pub fn scratch_dir(label: &str) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("bench-{label}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

impl ServiceProcess {
    /// Starts `binary` (a file name beside this executable) with `args` and `env`, listening
    /// on `port` (`LISTEN_ADDR`), logging warnings only; waits until it answers `/healthz`.
    pub async fn start(
        binary: &str,
        args: &[&str],
        env: &[(&str, String)],
        port: u16,
        dir: PathBuf,
    ) -> anyhow::Result<Self> {
        let path = std::env::current_exe()?.with_file_name(binary);
        anyhow::ensure!(
            path.exists(),
            "{} not found: build it first (cargo build -p {binary}, with the same profile)",
            path.display()
        );
        let base = format!("http://127.0.0.1:{port}");
        let child = Command::new(&path)
            .args(args)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let service = Self { base, child, dir };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let healthy = reqwest::get(format!("{}/healthz", service.base))
                .await
                .is_ok_and(|r| r.status().is_success());
            if healthy {
                return Ok(service);
            }
            anyhow::ensure!(Instant::now() < deadline, "{binary} did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The process's own directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Starts the peak over (Linux: writing 5 to `clear_refs` resets `VmHWM`).
    pub fn reset_peak_memory(&self) {
        if let Some(pid) = self.child.id() {
            let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
        }
    }

    /// The peak resident memory since start or the last reset, MiB.
    pub fn peak_memory_mib(&self) -> anyhow::Result<u64> {
        let pid = self.child.id().ok_or_else(|| anyhow::anyhow!("the service exited"))?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let kib = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .ok_or_else(|| anyhow::anyhow!("no VmHWM in /proc/{pid}/status"))?;
        Ok(kib / 1024)
    }

    /// Stops the service (SIGTERM, as its orchestrator would), and removes its files.
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status().await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(15), self.child.wait()).await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
