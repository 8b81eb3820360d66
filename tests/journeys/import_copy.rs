//! The import copies contacts new to the mirror with `COPY`. A contact the webhook path
//! inserts while that copy runs makes the copy fail and roll back whole; the chunk then takes
//! the versioned upsert, so the newer version wins, with the whole payload of the file, and
//! nothing is lost or doubled.

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use tests::{TestDatabase, eventually};

use crate::import_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_written_during_the_copy_sends_the_chunk_to_the_versioned_upsert() {
    let db = TestDatabase::create().await;
    let contacts: Vec<_> = (1..=3)
        .map(|i| web_contact(&format!("C{i}"), &format!("c{i}@example.org")))
        .collect();
    let file = write_file("jsonl", &jsonl(&contacts));

    // The webhook path's transaction: C2 in an older version, not committed yet, so the
    // import's check does not see it and its copy waits on C2's key.
    let mut webhook = AsyncPgConnection::establish(&db.url).await.expect("connects");
    webhook
        .batch_execute(
            "BEGIN; INSERT INTO contacts (contact_number, first_name, email, raw, version_time, version_event_id, source) \
             VALUES ('C2', 'Older', 'c2@example.org', '{}', '2001-01-01T00:00:00Z', gen_random_uuid(), 'webhook')",
        )
        .await
        .expect("inserted");
    let url = db.url.clone();
    let path = file.to_path_buf();
    let importing = tokio::spawn(async move { import(&url, &["--file", path.to_str().expect("path")]).await });
    eventually(Duration::from_secs(20), "the copy waiting on C2", || async {
        let waiting = db
            .count(
                "SELECT count(*) AS n FROM pg_stat_activity \
                 WHERE wait_event_type = 'Lock' AND query LIKE 'COPY contacts%'",
            )
            .await;
        (waiting == 1).then_some(())
    })
    .await;
    webhook.batch_execute("COMMIT").await.expect("committed");

    let report = importing.await.expect("the import ends");
    assert_eq!(
        (report.counts.contacts_written, report.counts.contacts_current),
        (3, 0),
        "{report}"
    );
    assert_eq!(report.counts.accounts_created, 3, "{report}");
    let c2 = db.contact("C2").await.expect("mirrored");
    assert_eq!(c2.source, "import", "the file's newer version replaces the older one");
    assert_eq!(
        c2.first_name,
        contacts[1]["individualContact"]["firstname"]
            .as_str()
            .map(str::to_owned)
    );
    assert_eq!(c2.raw, contacts[1], "with the whole payload of the file");
    assert_eq!(db.contact("C1").await.expect("copied").raw, contacts[0]);
    assert_eq!(db.count("SELECT count(*) AS n FROM contacts").await, 3);
    assert_eq!(db.count("SELECT count(*) AS n FROM accounts").await, 3);
}
