//! The support console's sync page: dead letters listed with their reasons (never a payload)
//! without consuming them, an admin's redrive of exactly the checked ones (the others stay, in
//! their order), refused (and audited) to a viewer, without CSRF token and with an old
//! sign-in, and an empty selection answered 400; the import runs with their progress and the
//! follow-ups they still owe; and the reconciliations' drift reports.

use std::time::Duration;

use lapin::{
    BasicProperties,
    options::BasicPublishOptions,
    types::{AMQPValue, FieldTable, ShortString},
};
use reqwest::StatusCode;
use store::console::Role;
use tests::{TestBroker, eventually};

use crate::support_console_support::{
    Console, add_staff, audited, csrf, get, post_with, sign_in, start_on_broker, start_with,
};

/// A payload value that must never reach a page.
const SECRET: &str = "payload-value-never-shown";

/// Sets a dead letter aside as the worker does, with its reason headers and message id `id`.
pub async fn dead_letter(broker: &TestBroker, id: &str, code: &str, contact_number: &str) {
    let mut headers = FieldTable::default();
    for (key, value) in [
        ("x-secutix-error-code", code),
        ("x-secutix-error", "set aside by the test"),
        ("x-original-routing-key", "contact.changed"),
        ("x-contact-number", contact_number),
    ] {
        headers.insert(ShortString::from(key), AMQPValue::LongString(value.into()));
    }
    let body = format!("{{\"email\":\"{SECRET}@example.org\",\"id\":\"{id}\"}}");
    broker
        .channel
        .basic_publish(
            broker.topology.dead_letter_exchange().as_str().into(),
            "contact.changed".into(),
            BasicPublishOptions::default(),
            body.as_bytes(),
            BasicProperties::default()
                .with_delivery_mode(2)
                .with_message_id(id.into())
                .with_headers(headers),
        )
        .await
        .expect("published")
        .await
        .expect("confirmed");
}

/// POSTs the redrive form with `ids` checked; `(status, location)`.
async fn redrive(c: &Console, session: &str, csrf: Option<&str>, ids: &[&str]) -> (StatusCode, Option<String>) {
    let checked: Vec<(&str, &str)> = ids.iter().map(|id| ("id", *id)).collect();
    post_with(c, session, "/sync/redrive", csrf, &checked).await
}

/// The message ids in `queue`, in order, taken off it.
async fn drain(broker: &TestBroker, queue: &str) -> Vec<String> {
    let mut ids = Vec::new();
    while let Some(message) = broker.get(queue).await {
        let id = message
            .delivery
            .properties
            .message_id()
            .as_ref()
            .map(|id| id.to_string());
        ids.push(id.unwrap_or_default());
    }
    ids
}

async fn waiting(broker: &TestBroker, queue: &str, n: u32) {
    eventually(Duration::from_secs(10), "messages back in the queue", || async {
        (broker.ready_count(queue).await == n).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_redrives_exactly_the_checked_dead_letters_and_a_viewer_only_reads_them() {
    let broker = TestBroker::create().await;
    let (c, _) = start_with(false, &broker.prefix).await;
    let dlq = broker.topology.dead_letter_queue();
    let work = broker.topology.worker_queue();
    for (id, code, number) in [
        ("dl-1", "database", "501"),
        ("dl-2", "payload_not_a_contact", "502"),
        ("dl-3", "undecodable", "503"),
        ("dl-4", "database", "504"),
    ] {
        dead_letter(&broker, id, code, number).await;
    }
    waiting(&broker, &dlq, 4).await;

    let viewer = add_staff(&c, "viewer@club.example", Role::Viewer).await;
    let viewer = sign_in(&c, &viewer, 0).await.expect("viewer signs in");
    let (status, page) = get(&c, &viewer, "/sync").await;
    assert_eq!(status, StatusCode::OK);
    for shown in [
        "dl-1",
        "dl-4",
        "payload_not_a_contact",
        "undecodable",
        "set aside by the test",
        "503",
    ] {
        assert!(page.contains(shown), "{shown} not listed: {page}");
    }
    assert!(!page.contains(SECRET), "a payload value was shown");
    assert!(!page.contains("name=\"id\""), "a viewer gets no redrive form");
    waiting(&broker, &dlq, 4).await;

    let (status, _) = redrive(&c, &viewer, Some(&csrf(&viewer)), &["dl-2"]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a viewer may not redrive");
    assert_eq!(audited(&c, "redrive_dead_letters", "refused").await, 1);

    let admin = add_staff(&c, "admin@club.example", Role::Admin).await;
    let admin = sign_in(&c, &admin, 0).await.expect("admin signs in");
    let (_, page) = get(&c, &admin, "/sync").await;
    assert!(
        page.contains("name=\"id\" value=\"dl-2\""),
        "an admin can check a dead letter: {page}"
    );
    waiting(&broker, &dlq, 4).await;
    let (status, _) = redrive(&c, &admin, None, &["dl-2"]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token, no redrive");
    let (status, _) = redrive(&c, &admin, Some(&csrf(&admin)), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an empty selection moves nothing");
    c.db.execute("UPDATE staff_sessions SET auth_time = now() - interval '6 minutes'")
        .await;
    let (status, _) = redrive(&c, &admin, Some(&csrf(&admin)), &["dl-2"]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "an old sign-in must sign in again");
    c.db.execute("UPDATE staff_sessions SET auth_time = now()").await;
    assert_eq!(broker.ready_count(&work).await, 0, "nothing moved yet");
    waiting(&broker, &dlq, 4).await;

    let (status, location) = redrive(&c, &admin, Some(&csrf(&admin)), &["dl-2", "dl-4"]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/sync?redriven=2"));
    assert_eq!(audited(&c, "redrive_dead_letters", "ok").await, 1);
    assert_eq!(audited(&c, "redrive_dead_letters", "refused").await, 3);
    let (_, page) = get(&c, &admin, "/sync?redriven=2").await;
    assert!(page.contains("Dead letters redriven: 2<"), "{page}");

    waiting(&broker, &work, 2).await;
    assert_eq!(
        drain(&broker, &work).await,
        ["dl-2", "dl-4"],
        "exactly the checked ones moved"
    );
    waiting(&broker, &dlq, 2).await;
    assert_eq!(
        drain(&broker, &dlq).await,
        ["dl-1", "dl-3"],
        "the others stayed, in order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sync_page_shows_reconciliations_drift_reports_and_import_runs_with_what_they_still_owe() {
    let broker = TestBroker::create().await;
    let (c, _) = start_with(false, &broker.prefix).await;
    let viewer = add_staff(&c, "viewer@club.example", Role::Viewer).await;
    let viewer = sign_in(&c, &viewer, 0).await.expect("viewer signs in");
    let (_, page) = get(&c, &viewer, "/sync").await;
    assert!(page.contains("No import has run."), "{page}");
    assert!(page.contains("No reconciliation has run."), "{page}");
    assert!(page.contains("No dead letters."), "{page}");

    c.db.execute(
        "INSERT INTO import_runs (id, source_key, format, total, position, counts)
         VALUES (7, 'contacts.csv:1200:1733000000', 'csv', 1200, 400,
                 '{\"read\": 400, \"accounts_created\": 3, \"skipped\": {}}')",
    )
    .await;
    c.db.execute(&format!(
        "INSERT INTO import_followups (run_id, subject_ids, link_base, link_lifetime, mails_pending, links_pending)
         VALUES (7, ARRAY['{fan}', gen_random_uuid(), gen_random_uuid()]::uuid[], 'https://x/', '7 days', true, false)",
        fan = c.fan
    ))
    .await;
    let (_, page) = get(&c, &viewer, "/sync").await;
    assert!(page.contains("#7 csv"), "{page}");
    assert!(page.contains("400 / 1200"), "{page}");
    assert!(page.contains("not finished"), "{page}");
    assert!(page.contains("accounts_created: 3"), "{page}");
    assert!(page.contains("3 mails, 0 S-360 links"), "{page}");

    // A drift report as `sync-worker reconcile` records it.
    let report = sync_worker::reconcile::DriftReport {
        checked: 5,
        in_step: 1,
        updated: vec!["M002".into()],
        merged: vec!["M001".into()],
        anonymised: vec!["M003".into()],
        deleted: vec!["P001".into()],
        errors: 0,
    };
    let mut conn = c.db.pool.get().await.expect("connection");
    let json = serde_json::to_value(&report).expect("json");
    store::reconcile_reports::record(&mut conn, true, chrono::Utc::now(), &json)
        .await
        .expect("recorded");
    drop(conn);
    let (_, page) = get(&c, &viewer, "/sync").await;
    assert!(page.contains("5, 1 in step, 0 errors"), "{page}");
    assert!(page.contains("merged (1): M001; "), "{page}");
    assert!(page.contains("deleted (1): P001"), "{page}");
    assert!(page.contains("scheduled"), "{page}");
    assert!(!page.contains("No reconciliation has run."), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_depths_are_live_for_staff_and_for_nobody_else() {
    let broker = TestBroker::create().await;
    let (c, _) = start_with(false, &broker.prefix).await;
    let dlq = broker.topology.dead_letter_queue();
    dead_letter(&broker, "live-1", "database", "601").await;
    waiting(&broker, &dlq, 1).await;

    // Nobody signed in: no counts.
    let anonymous = c
        .client
        .get(format!("{}/sync/queues.json", c.console.base_url))
        .send()
        .await
        .expect("console answers");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(!anonymous.text().await.expect("body").contains(&dlq));

    let viewer = add_staff(&c, "live.viewer@club.example", Role::Viewer).await;
    let viewer = sign_in(&c, &viewer, 0).await.expect("viewer signs in");
    let depth = |body: &str| -> u64 {
        let answer: serde_json::Value = serde_json::from_str(body).expect("json");
        answer["queues"]
            .as_array()
            .expect("queues")
            .iter()
            .find(|q| q["name"] == dlq.as_str())
            .and_then(|q| q["messages"].as_u64())
            .expect("the dead-letter queue's count")
    };
    let (status, body) = get(&c, &viewer, "/sync/queues.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(depth(&body), 1);
    assert!(!body.contains(SECRET), "names and counts only");
    // A new dead letter shows at the next refresh, without reloading the page.
    dead_letter(&broker, "live-2", "database", "602").await;
    waiting(&broker, &dlq, 2).await;
    let (_, body) = get(&c, &viewer, "/sync/queues.json").await;
    assert_eq!(depth(&body), 2);

    // The page carries the table the script refreshes and the script itself, never inline.
    let (_, page) = get(&c, &viewer, "/sync").await;
    assert!(
        page.contains(&format!("data-queue=\"{dlq}\" data-field=\"messages\">2<")),
        "{page}"
    );
    assert!(page.contains("<script src=\"/console.js\" defer></script>"));
    assert_eq!(page.matches("<script").count(), 1, "no inline script");
    let script = c
        .client
        .get(format!("{}/console.js", c.console.base_url))
        .send()
        .await
        .expect("console answers");
    assert_eq!(script.status(), StatusCode::OK);
    assert!(script.text().await.expect("body").contains("/sync/queues.json"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_broker_the_live_depths_answer_503_and_the_page_says_so() {
    // A port nothing listens on.
    let closed = format!("amqp://guest:guest@127.0.0.1:{}/%2f", tests::sim::free_port());
    let (c, _) = start_on_broker(false, "", &closed).await;
    let viewer = add_staff(&c, "outage.viewer@club.example", Role::Viewer).await;
    let viewer = sign_in(&c, &viewer, 0).await.expect("viewer signs in");
    let answer = c
        .client
        .get(format!("{}/sync/queues.json", c.console.base_url))
        .header("cookie", format!("__Host-console={viewer}"))
        .send()
        .await
        .expect("console answers");
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(answer.headers().contains_key("retry-after"));
    let problem: serde_json::Value = answer.json().await.expect("json");
    assert_eq!(problem["error"], "broker_unavailable");
    let (status, page) = get(&c, &viewer, "/sync").await;
    assert_eq!(status, StatusCode::OK, "the rest of the page still shows");
    assert!(
        page.contains("role=\"alert\""),
        "the page says the broker is down: {page}"
    );
}
