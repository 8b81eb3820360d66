//! The support console in Chromium (`tests/browser/console.mjs`): a staff member signs in with
//! password and a TOTP code on the gateway's staff page, finds the fan, lifts her lock,
//! revokes her sessions, retries her failed write-back and closes a write-back conflict with
//! the pages' own buttons, redrives a dead letter from the sync page (checkbox and button, as an
//! admin), reads a replay's dry-run diff and the erasure requests, and reads each action in the
//! audit log; every
//! console page passes axe-core with no serious or critical violation in English, French and
//! German. With `SCREENSHOTS=<dir>` the script writes the search, fan and audit pages at 1280
//! and 360 px, the sync page at 1280 and 390 px (`docs/screenshots/console-*.png`).

use std::time::Duration;

use serde_json::Value;
use store::console::Role;
use tests::TestBroker;

use crate::{support_console_support::*, support_console_sync::dead_letter};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_member_uses_the_console_in_chromium_and_every_page_passes_axe() {
    let broker = TestBroker::create().await;
    let (c, _) = start_with(false, &broker.prefix).await;
    dead_letter(&broker, "dl-browser", "database", "0001").await;
    lock_fan(&c).await;
    fan_session(&c).await;
    ways_in(&c).await;
    tasks_to_act_on(&c).await;
    // A staff member per language: each TOTP code signs in once.
    let mut staff = serde_json::Map::new();
    for lang in ["en", "fr", "de"] {
        // The English one is an admin: she redrives the dead letter.
        let role = if lang == "en" { Role::Admin } else { Role::Support };
        let member = add_staff(&c, &format!("ana.{lang}@club.example"), role).await;
        let secret_hex: String = member.secret.iter().map(|b| format!("{b:02x}")).collect();
        staff.insert(
            lang.into(),
            serde_json::json!({ "email": member.email, "secret_hex": secret_hex }),
        );
    }
    // A dry run's diff as the worker records it.
    let diff = sync_worker::replay_diff::DryRunDiff {
        rows: vec![sync_worker::replay_diff::ContactChange {
            contact_number: "0001".into(),
            kind: sync_worker::replay_diff::Kind::Updated,
            fields: vec![sync_worker::replay_diff::FieldChange {
                field: "first_name".into(),
                old: "Jan".into(),
                new: "Jean".into(),
            }],
        }],
        totals: [(sync_worker::replay_diff::Kind::Updated, 1)].into_iter().collect(),
        not_listed: 0,
    };
    let mut conn = c.db.pool.get().await.expect("connection");
    let start = store::replay_runs::Start {
        from_offset: None,
        since: None,
    };
    let replay = store::replay_runs::start(&mut conn, "command line", start, true)
        .await
        .expect("run");
    let totals = serde_json::json!({ "read": 1, "written": 1, "stale": 0, "invalid": 0, "refused": 0 });
    let diff = serde_json::to_value(&diff).expect("json");
    store::replay_runs::finish(&mut conn, replay, "finished", &totals, Some(&diff))
        .await
        .expect("finished");
    drop(conn);
    let input = serde_json::json!({
        "replay": replay,
        "console": c.console.base_url,
        "gateway": c.gateway.base_url,
        "password": STAFF_PASSWORD,
        "staff": staff,
        "fan": c.fan.to_string(),
        "fan_email": "jean.dupont@example.org",
        "dead_letter": "dl-browser",
    });
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/browser/console.mjs");
    let run = tokio::process::Command::new("node")
        .args([script, &input.to_string()])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(240), run)
        .await
        .expect("the console check finishes within 4 minutes")
        .expect("node runs the console check");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report: Value = stdout
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("no JSON report; stdout: {stdout}; stderr: {stderr}"));
    assert!(report["error"].is_null(), "the script failed: {}", report["error"]);
    assert!(
        report["live"]
            .as_str()
            .is_some_and(|l| l.starts_with("Counts refreshed at")),
        "the sync page's queue depths refresh by themselves: {}",
        report["live"]
    );
    let pages = report["pages"].as_array().expect("pages");
    for (name, status) in [
        ("sign-in", 401),
        ("search", 200),
        ("search results", 200),
        ("fan", 200),
        ("sync", 200),
        ("erasures", 200),
        ("replay", 200),
        ("audit", 200),
    ] {
        for lang in ["en", "fr", "de"] {
            assert!(
                pages
                    .iter()
                    .any(|p| p["page"] == name && p["lang"] == lang && p["status"] == status && p["html_lang"] == lang),
                "{name} ({status}) was checked in {lang}: {pages:#?}"
            );
        }
    }
    for name in [
        "fan unlocked",
        "fan revoked",
        "task retried",
        "conflict resolved",
        "sync redriven",
    ] {
        assert!(
            pages.iter().any(|p| p["page"] == name && p["status"] == 200),
            "{name}: {pages:#?}"
        );
    }
    for page in pages {
        assert_eq!(
            page["violations"],
            serde_json::json!([]),
            "{} {}: {page:#}",
            page["lang"],
            page["page"]
        );
    }
    assert_eq!(report["ok"], true);
    // What the staff member did in the browser changed the fan, and the log says so.
    assert_eq!((locked(&c).await, live_sessions(&c).await), (0, 0));
    assert_eq!(task_states(&c).await.0, ["pending", "dismissed", "conflict"]);
    assert_eq!(broker.ready_count(&broker.topology.dead_letter_queue()).await, 0);
    assert_eq!(
        broker.ready_count(&broker.topology.worker_queue()).await,
        1,
        "redriven to the worker"
    );
    let audit = report["audit"].as_str().expect("the audit table");
    for action in [
        "sign_in",
        "search",
        "view_fan",
        "lift_lock",
        "revoke_sessions",
        "retry_task",
        "resolve_conflict",
        "view_erasures",
        "redrive_dead_letters",
    ] {
        assert!(audit.contains(action), "{action} in the audit page: {audit}");
    }
}
