//! An import killed half-way (the real binary, SIGKILL) continues where it stopped when run
//! again, and ends with exactly one contact and account per web account, each owed exactly one
//! mail and one link.

use std::{process::Stdio, time::Duration};

use tests::{TestDatabase, binary, eventually};

use crate::import_support::*;

const CONTACTS: usize = 6000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_killed_half_way_resumes_where_it_stopped() {
    let db = TestDatabase::create().await;
    let contacts: Vec<_> = (0..CONTACTS)
        .map(|i| web_contact(&format!("R{i:06}"), &format!("fan{i}@example.org")))
        .collect();
    let file = write_file("jsonl", &jsonl(&contacts));
    let run = || {
        tokio::process::Command::new(binary("sync-worker"))
            .args(["import", "--file", file.to_str().expect("path"), "--batch-size", "200"])
            .env("DATABASE_URL", &db.url)
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("sync-worker import starts")
    };
    let mut child = run();
    let position = eventually(Duration::from_secs(60), "some chunks committed", || async {
        let n = db
            .count("SELECT coalesce(max(position), 0)::int8 AS n FROM import_runs")
            .await;
        (n >= 400).then_some(n)
    })
    .await;
    child.start_kill().expect("SIGKILL");
    child.wait().await.expect("killed");
    assert!((position as usize) < CONTACTS, "killed before the end (at {position})");
    let accounts_before = db.count("SELECT count(*) AS n FROM accounts").await;
    let stored = db.count("SELECT position AS n FROM import_runs").await;
    assert_eq!(
        accounts_before, stored,
        "each committed chunk holds its accounts, nothing more"
    );
    assert!(stored < CONTACTS as i64, "the kill came before the end");

    let output = run().wait_with_output().await.expect("second run");
    assert!(output.status.success());
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(report.contains(&format!("{CONTACTS} records read")), "{report}");
    assert!(
        report.contains(&format!("imported: {CONTACTS} accounts created")),
        "{report}"
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM import_runs").await,
        1,
        "the same run resumed"
    );
    assert_eq!(
        (
            db.count("SELECT sum(cardinality(subject_ids)) AS n FROM import_followups")
                .await,
            db.count("SELECT count(DISTINCT s) AS n FROM import_followups, unnest(subject_ids) s")
                .await,
        ),
        (CONTACTS as i64, CONTACTS as i64),
        "one mail and one link owed per account, none twice"
    );
    for table in ["contacts", "accounts"] {
        assert_eq!(
            db.count(&format!("SELECT count(*) AS n FROM {table}")).await,
            CONTACTS as i64,
            "{table}"
        );
    }
}
