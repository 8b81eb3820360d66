//! The simulated S-360 posts its Contact Webhook V2 to the real `webhook-ingest` and
//! `sync-worker`: our database converges to the simulator's truth through creations, updates,
//! merges and anonymisations; an unreachable ingest is retried until it is back; a contact
//! that fails twelve times is abandoned and counted; every authentication method of the ingest
//! verifies the simulator's requests.

use std::time::Duration;

use secutix_sim::{SimConfig, SimHandle, store::ContactState};
use serde_json::{Value, json};
use tests::{
    INGEST_TOKEN, TcpProxy, TestBroker, TestDatabase, eventually, sim::spawn_sim_posting_to, spawn_ingest, spawn_worker,
};

async fn admin(sim: &SimHandle, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let mut request = reqwest::Client::new().request(method, format!("{}/admin/{path}", sim.base_url()));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("admin answers");
    assert!(response.status().is_success(), "admin {path}: {}", response.status());
    response.json().await.expect("json")
}

async fn run_webhook(sim: &SimHandle) -> Value {
    admin(sim, reqwest::Method::POST, "webhook/run", None).await
}

/// `None` while some contact of the simulator differs from its row.
async fn differences(db: &TestDatabase, sim: &SimHandle) -> Option<()> {
    for record in sim.state().store.list() {
        if record.state == ContactState::Deleted {
            continue;
        }
        let row = db.contact(&record.contact_number).await?;
        let expected = model::secutix::from_get_contact_data(record.contact.clone()).expect("maps");
        let state = match record.state {
            ContactState::Active => "active",
            ContactState::Merged => "merged",
            ContactState::Anonymised => "anonymised",
            ContactState::Deleted => unreachable!(),
        };
        let same = row.state == state
            && row.head_contact_number == record.merged_into
            && row.first_name == expected.first_name
            && row.last_name == expected.last_name
            && row.email.as_deref() == expected.email.as_ref().map(|e| e.as_str())
            && row.language == expected.language
            && row.has_login == expected.has_login;
        if !same {
            return None;
        }
    }
    Some(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_converges_to_the_simulators_truth() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &[]).await;
    let _worker = spawn_worker(&broker.prefix, &db.url).await;
    let sim = spawn_sim_posting_to(&format!("{}/webhooks/secutix/contacts", ingest.base_url), |c| {
        c.seed = 12;
        c.webhook.webhook_interval = Duration::from_secs(1);
        c.webhook.webhook_batch_size = 5;
    })
    .await;

    // The scheduler sends the seeded contacts by itself, five per request.
    eventually(Duration::from_secs(20), "the seeded contacts", || {
        differences(&db, &sim)
    })
    .await;
    assert_eq!(db.count("SELECT count(*) AS n FROM contacts").await, 12);

    // The back office changes things; the next runs carry them over.
    let created = admin(
        &sim,
        reqwest::Method::POST,
        "contacts",
        Some(
            json!({ "individualContact": { "firstname": "Nina", "lastname": "New", "email": "nina@example.org",
                                            "hasLogin": true, "languageCode": "de" } }),
        ),
    )
    .await;
    let new_number = created["contact_number"].as_str().expect("number").to_owned();
    admin(
        &sim,
        reqwest::Method::PATCH,
        "contacts/0009000001",
        Some(json!({ "individualContact": { "firstname": "Jeanne", "languageCode": "it" } })),
    )
    .await;
    admin(
        &sim,
        reqwest::Method::POST,
        "contacts/0009000002/merge",
        Some(json!({ "into": "0009000003" })),
    )
    .await;
    let before = sim.state().store.get("0009000004").expect("seeded").contact;
    admin(&sim, reqwest::Method::POST, "contacts/0009000004/anonymise", None).await;
    eventually(Duration::from_secs(20), "the changes", || differences(&db, &sim)).await;

    let merged = db.contact("0009000002").await.expect("row");
    assert_eq!(merged.state, "merged");
    assert_eq!(merged.head_contact_number.as_deref(), Some("0009000003"));
    let anonymised = db.contact("0009000004").await.expect("row");
    assert_eq!(anonymised.state, "anonymised");
    let raw = anonymised.raw.to_string();
    for personal in ["firstname", "lastname", "email", "cellPhoneNumber", "street1"] {
        let value = before["individualContact"][personal]
            .as_str()
            .or_else(|| before["addresses"][0][personal].as_str())
            .expect("seeded value");
        assert!(!raw.contains(value), "{personal} of the anonymised contact remains");
    }
    assert_eq!(anonymised.addresses[0]["town"], before["addresses"][0]["town"]);
    assert_eq!(
        db.contact(&new_number).await.expect("row").first_name.as_deref(),
        Some("Nina")
    );
    assert_eq!(sim.state().store.pending(), 0);
    let stats = admin(&sim, reqwest::Method::GET, "stats", None).await;
    assert_eq!(stats["webhook"]["abandoned"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_ingest_is_retried_until_it_is_back() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &[]).await;
    let _worker = spawn_worker(&broker.prefix, &db.url).await;
    let ingest_addr = ingest.base_url.trim_start_matches("http://").parse().expect("address");
    let proxy = TcpProxy::start(ingest_addr).await;
    proxy.set_down(true);
    let sim = spawn_sim_posting_to(
        &format!("http://127.0.0.1:{}/webhooks/secutix/contacts", proxy.port),
        |c| c.seed = 1,
    )
    .await;

    for attempt in 1..=3 {
        let report = run_webhook(&sim).await;
        assert_eq!(
            (report["failed"].as_u64(), report["pending"].as_u64()),
            (Some(1), Some(1))
        );
        assert_eq!(sim.state().store.attempts("0009000001"), Some(attempt));
    }
    // Meanwhile the contact changes: what arrives later is its latest state.
    sim.state()
        .store
        .update(
            "0009000001",
            &json!({ "individualContact": { "lastname": "Later" } }),
            None,
        )
        .expect("updated");
    assert!(db.contact("0009000001").await.is_none());

    proxy.set_down(false);
    let report = run_webhook(&sim).await;
    assert_eq!(
        (report["delivered"].as_u64(), report["pending"].as_u64()),
        (Some(1), Some(0))
    );
    let row = eventually(Duration::from_secs(10), "the retried contact", || async {
        db.contact("0009000001").await
    })
    .await;
    assert_eq!(row.last_name.as_deref(), Some("Later"));
    let stats = admin(&sim, reqwest::Method::GET, "stats", None).await;
    assert_eq!(stats["webhook"]["failed_attempts"], 3);
    assert_eq!(stats["webhook"]["abandoned"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_failing_twelve_times_is_abandoned_and_counted() {
    // Nothing listens on this port: every POST fails.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("address").port();
    drop(closed);
    let sim = spawn_sim_posting_to(&format!("http://127.0.0.1:{port}/webhooks/secutix/contacts"), |c| {
        c.seed = 2
    })
    .await;

    for run in 1..=11 {
        let report = run_webhook(&sim).await;
        assert_eq!(report["abandoned"], 0, "run {run}");
        assert_eq!(report["pending"], 2, "run {run}");
    }
    let report = run_webhook(&sim).await;
    assert_eq!(
        (report["abandoned"].as_u64(), report["pending"].as_u64()),
        (Some(2), Some(0))
    );
    // Nothing is left to send; a later change queues the contact afresh.
    assert_eq!(run_webhook(&sim).await["taken"], 0);
    let stats = admin(&sim, reqwest::Method::GET, "stats", None).await;
    assert_eq!(stats["webhook"]["abandoned"], 2);
    assert_eq!(stats["webhook"]["failed_attempts"], 24);
    sim.state()
        .store
        .update("0009000001", &json!({ "individualContact": { "title": "MS" } }), None)
        .expect("updated");
    assert_eq!(sim.state().store.attempts("0009000001"), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_ingest_authentication_method_verifies_the_simulator() {
    let broker = TestBroker::create().await;
    type Setup = fn(&mut SimConfig);
    let cases: [(&str, &[&str], Setup, bool); 5] = [
        (
            "basic",
            &["--basic-auth", "s360:pa55word"],
            |c| {
                c.webhook.auth.webhook_token = None;
                c.webhook.auth.webhook_basic_auth = Some("s360:pa55word".to_owned().into());
            },
            true,
        ),
        ("bearer", &["--bearer-token", INGEST_TOKEN], |_| {}, true),
        (
            "hmac",
            &["--hmac-secrets", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            |c| {
                c.webhook.auth.webhook_token = None;
                c.webhook.auth.webhook_hmac_secret = Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned().into());
            },
            true,
        ),
        (
            "hmac with another secret",
            &["--hmac-secrets", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            |c| {
                c.webhook.auth.webhook_token = None;
                c.webhook.auth.webhook_hmac_secret =
                    Some("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned().into());
            },
            false,
        ),
        (
            "none against a protected ingest",
            &["--bearer-token", INGEST_TOKEN],
            |c| {
                c.webhook.auth.webhook_token = None;
            },
            false,
        ),
    ];
    for (name, ingest_args, setup, accepted) in cases {
        let ingest = spawn_ingest(&broker.prefix, None, ingest_args).await;
        let sim = spawn_sim_posting_to(&format!("{}/webhooks/secutix/contacts", ingest.base_url), |c| {
            c.seed = 3;
            c.webhook.webhook_batch_size = 2;
            setup(c);
        })
        .await;
        let report = run_webhook(&sim).await;
        let expected = if accepted { 3 } else { 0 };
        assert_eq!(report["delivered"], expected, "{name}: {report}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_export_webhook_fills_the_database_with_sso_links() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &[]).await;
    let _worker = spawn_worker(&broker.prefix, &db.url).await;
    let sim = spawn_sim_posting_to(&format!("{}/webhooks/secutix/contacts", ingest.base_url), |c| {
        c.seed = 5;
        c.export.export_url = Some(
            format!("{}/webhooks/secutix/exports", ingest.base_url)
                .parse()
                .expect("url"),
        );
        c.export.export_batch_size = 2;
    })
    .await;
    sim.state()
        .store
        .add_link("0009000001", "secutix-bridge", "subject-1")
        .expect("linked");
    let report = admin(&sim, reqwest::Method::POST, "export/run", None).await;
    assert_eq!(report["rows_delivered"], 5);
    let row = eventually(Duration::from_secs(10), "the exported contacts", || async {
        let row = db.contact("0009000001").await?;
        (db.count("SELECT count(*) AS n FROM contacts").await == 5).then_some(row)
    })
    .await;
    assert_eq!(row.raw["socialConnections.providerUserReference"], "subject-1");
    let stats = admin(&sim, reqwest::Method::GET, "stats", None).await;
    assert_eq!(stats["export"]["rows_delivered"], 5);
}
