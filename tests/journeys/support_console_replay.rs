//! Replays from the support console: an admin asks the worker (through the commands queue) for
//! a dry run, whose page shows the same per-contact diff `sync-worker replay --dry-run` prints
//! and changes nothing; "run it for real" then applies it. A viewer sees the runs and the field
//! names but no values, and is refused (403, audited, nothing recorded) when asking for one.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use store::console::Role;
use tests::{
    TestBroker,
    events::{modified_at, update},
    eventually, post_contacts, spawn_ingest, spawn_worker,
};

use crate::support_console_support::{Console, add_staff, audited, csrf, get, post_with, sign_in, start_with};

/// POSTs the replay form from `from`; `(status, location)`.
async fn ask(c: &Console, session: &str, from: &str, csrf: &str) -> (StatusCode, Option<String>) {
    post_with(c, session, "/sync/replays", Some(csrf), &[("from", from)]).await
}

async fn runs(c: &Console) -> i64 {
    c.db.count("SELECT count(*) AS n FROM replay_runs").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_sees_a_replays_dry_run_diff_then_runs_it_and_a_viewer_sees_no_values() {
    let broker = TestBroker::create().await;
    let (c, _) = start_with(true, &broker.prefix).await;
    let ingest = spawn_ingest(&broker.prefix, None, &[]).await;
    let worker = spawn_worker(&broker.prefix, &c.db.url).await;
    let batch: Vec<Value> = (0..5)
        .map(|i| modified_at(update(&format!("Q{i:02}"), "First"), "2025-01-01T00:00:00Z"))
        .collect();
    post_contacts(&ingest.base_url, &Value::Array(batch)).await;
    eventually(Duration::from_secs(15), "every event applied", || async {
        c.db.contact("Q04").await.map(|_| ())
    })
    .await;
    // An update missed (an older version kept) and a contact lost.
    c.db.execute(
        "UPDATE contacts SET first_name = 'Tampered', version_time = '2020-01-01Z' WHERE contact_number = 'Q01'",
    )
    .await;
    c.db.execute("DELETE FROM contacts WHERE contact_number = 'Q02'").await;
    let tampered = c.db.contacts().await;

    let viewer = add_staff(&c, "viewer@club.example", Role::Viewer).await;
    let viewer = sign_in(&c, &viewer, 0).await.expect("viewer signs in");
    let (status, _) = ask(&c, &viewer, "first", &csrf(&viewer)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(runs(&c).await, 0, "nothing asked of the worker");
    assert_eq!(audited(&c, "request_replay", "refused").await, 1);

    let admin = add_staff(&c, "admin@club.example", Role::Admin).await;
    let admin = sign_in(&c, &admin, 0).await.expect("admin signs in");
    let (status, _) = ask(&c, &admin, "yesterday", &csrf(&admin)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an unreadable start is refused");
    let (status, location) = ask(&c, &admin, "first", &csrf(&admin)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.expect("the run's page");
    let page = eventually(Duration::from_secs(20), "the dry run finished", || async {
        let (_, page) = get(&c, &admin, &location).await;
        page.contains("finished").then_some(page)
    })
    .await;
    assert!(
        page.contains("Q01</td><td>updated</td><td>first_name: &quot;Tampered&quot; → &quot;First&quot;"),
        "{page}"
    );
    assert!(page.contains("Q02</td><td>created"), "{page}");
    assert!(
        page.contains("read 5, written 2, stale 3, invalid 0, refused 0, 1 created, 3 unchanged, 1 updated"),
        "{page}"
    );
    assert!(page.contains("Run it for real"), "{page}");
    assert_eq!(c.db.contacts().await, tampered, "a dry run changes nothing");
    assert_eq!(audited(&c, "request_replay", "ok").await, 1);

    // The viewer sees the run and which fields would change, not their values.
    let (status, page) = get(&c, &viewer, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Q01</td><td>updated</td><td>first_name</td>"), "{page}");
    assert!(!page.contains("Tampered"), "{page}");
    assert!(!page.contains("Run it for real"), "{page}");
    let (_, sync) = get(&c, &viewer, "/sync").await;
    assert!(sync.contains(&format!("href=\"{location}\"")), "{sync}");
    let (status, _) =
        crate::support_console_support::post(&c, &viewer, &format!("{location}/run"), Some(&csrf(&viewer))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(runs(&c).await, 1);

    // For real, with the same start.
    let (status, real) =
        crate::support_console_support::post(&c, &admin, &format!("{location}/run"), Some(&csrf(&admin))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let real = real.expect("the real run's page");
    eventually(Duration::from_secs(20), "the replay applied", || async {
        let restored =
            c.db.contact("Q01")
                .await
                .is_some_and(|q| q.first_name.as_deref() == Some("First"))
                && c.db.contact("Q02").await.is_some();
        restored.then_some(())
    })
    .await;
    let page = eventually(Duration::from_secs(10), "the real run finished", || async {
        let (_, page) = get(&c, &admin, &real).await;
        page.contains("finished").then_some(page)
    })
    .await;
    assert!(page.contains("written 2"), "{page}");
    worker.stop().await.expect("worker stops");
}
