//! Shared steps of the import, link, write-back and reconciliation tests: the import's
//! arguments, S-360 played by the simulator, and contact files in every format.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// `sync-worker import` arguments against the test database.
pub fn import_args(database_url: &str, extra: &[&str]) -> sync_worker::import::ImportArgs {
    #[derive(clap::Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: sync_worker::import::ImportArgs,
    }
    let mut argv = vec!["import", "--database-url", database_url];
    argv.extend_from_slice(extra);
    infra::config::parse_from::<Wrapper, _, _>(argv)
        .expect("valid import arguments")
        .args
}

/// Runs an import to its end.
pub async fn import(database_url: &str, extra: &[&str]) -> sync_worker::import::Report {
    let args = import_args(database_url, extra);
    sync_worker::import::run(&args, &tokio_util::sync::CancellationToken::new())
        .await
        .expect("the import runs")
}

/// What the running worker does with the follow-ups of imports: queues every mail and link
/// they owe (`sync_worker::followups`); returns how many of each.
pub async fn expand_followups(database_url: &str) -> (usize, usize) {
    let pool = store::pool(&tests::database::database_args(database_url)).expect("pool");
    let (mut mails, mut links) = (0, 0);
    loop {
        let mailed = sync_worker::followups::expand_mails(&pool).await.expect("mails queued");
        let linked = sync_worker::followups::expand_links(&pool).await.expect("links queued");
        if mailed == 0 && linked == 0 {
            return (mails, links);
        }
        (mails, links) = (mails + mailed, links + linked);
    }
}

/// The simulator with its defaults on a free port, changed by `tweak`.
pub async fn start_sim(tweak: impl FnOnce(&mut secutix_sim::SimConfig)) -> secutix_sim::SimHandle {
    let mut config = secutix_sim::SimConfig::ephemeral();
    tweak(&mut config);
    secutix_sim::Simulator::start(config).await.expect("simulator starts")
}

/// The worker's (and import's) settings for the simulator's contact API with its default
/// credentials.
pub fn secutix_flags(sim: &secutix_sim::SimHandle) -> Vec<String> {
    let mut flags = vec![
        "--secutix-api-url".to_owned(),
        format!("{}/tnco/backend-apis", sim.base_url()),
    ];
    flags.extend(secutix_credentials());
    flags
}

/// The token settings (flag, value pairs) the simulator accepts by default.
pub fn secutix_credentials() -> Vec<String> {
    [
        "--secutix-institution",
        "DEMO",
        "--secutix-virtual-operator",
        "DEMO_VO",
        "--secutix-partner",
        "secutix-bridge",
        "--secutix-api-secret",
        "local-development-api-secret",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// A `getContactData` object of a PUBLIC contact with a web login.
pub fn web_contact(number: &str, email: &str) -> Value {
    let mut contact = tests::sample_contact(number);
    contact["individualContact"]["email"] = json!(email);
    contact
}

/// Writes `content` to a fresh file named `*.<extension>`, removed (with the answers an
/// import of contact numbers keeps beside it) when dropped.
pub fn write_file(extension: &str, content: &str) -> TempFile {
    let path = std::env::temp_dir().join(format!("import-{}.{extension}", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, content).expect("file written");
    TempFile(path)
}

/// A file of a test, removed when dropped.
pub struct TempFile(PathBuf);

impl std::ops::Deref for TempFile {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let mut kept = self.0.clone().into_os_string();
        kept.push(".contacts.jsonl");
        let _ = std::fs::remove_file(kept);
    }
}

/// JSON lines of the given objects.
pub fn jsonl(contacts: &[Value]) -> String {
    contacts.iter().map(|c| format!("{c}\n")).collect()
}
