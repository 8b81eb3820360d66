//! Every service with more than one replica, together: two gateways, two ingests and three
//! workers on one database and one broker, each request going to another replica than the
//! last. A fan signs in at one gateway and redeems the code at the other; a profile change made
//! at one is seen by the other's cached userinfo and written back to S-360 once; a merge posted
//! to one ingest ends the session everywhere and sends one back-channel logout; an
//! anonymisation posted to the other erases the account; and a replay changes nothing.

use std::time::{Duration, Instant};

use serde_json::Value;
use tests::{
    INGEST_TOKEN, TestBroker, TestDatabase,
    events::{anonymise, merge, modified_at, update},
    eventually,
    relying_party::LogoutEndpoint,
    replay_args, spawn_gateway_with, spawn_ingest, spawn_worker_with,
};

use crate::{gateway_support::*, import_support::*, oidc_support::*};

const NUMBER: &str = "0001234567";
const HEAD: &str = "0009999999";

fn registry(endpoint: &LogoutEndpoint) -> String {
    registry_file(vec![auth_gateway::clients::Client {
        backchannel_logout_uri: Some(endpoint.url.clone()),
        backchannel_logout_session_required: true,
        ..shop_client()
    }])
}

async fn post(ingest: &tests::Running, contacts: Vec<Value>) {
    let response = reqwest::Client::new()
        .post(format!("{}/webhooks/secutix/contacts", ingest.base_url))
        .bearer_auth(INGEST_TOKEN)
        .json(&Value::Array(contacts))
        .send()
        .await
        .expect("ingest answers");
    assert_eq!(response.status(), 200);
}

async fn userinfo(s: &Setup, base: &str, access: &str) -> Value {
    s.client
        .get(format!("{base}/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journey_across_two_gateways_two_ingests_and_three_workers() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let sim = start_sim(|_| {}).await;
    sim.state()
        .store
        .create(&serde_json::json!({
            "contactNumber": NUMBER,
            "individualContact": {
                "firstname": "Jean", "lastname": "Dupont", "email": "jean.dupont@example.org",
                "role": "PUBLIC", "hasLogin": true
            },
        }))
        .expect("created at S-360");
    let export = sim.state().store.get(NUMBER).expect("in S-360").contact;
    let file = write_file("jsonl", &jsonl(&[export]));
    import(&db.url, &["--file", file.to_str().expect("path")]).await;
    let hash = auth_gateway::passwords::Passwords::new(1)
        .expect("hasher")
        .hash(PASSWORD)
        .await
        .expect("hash");
    // As after the fan set the password through the mailed link, which proves the address.
    db.execute(&format!(
        "UPDATE accounts SET password_hash = '{hash}', email_verified = true"
    ))
    .await;
    let subject = db.accounts().await[0].0;

    let endpoint = LogoutEndpoint::start(0);
    let clients = registry(&endpoint);
    let keys = std::env::temp_dir().join(format!("cluster-keys-{}", uuid::Uuid::new_v4().simple()));
    let keys = keys.to_string_lossy().into_owned();
    let gateway_args = [
        "--clients-file",
        &clients,
        "--dev-keys-dir",
        &keys,
        "--amqp-name-prefix",
        &broker.prefix,
    ];
    let gateways = [
        spawn_gateway_with(&db.url, &gateway_args).await,
        spawn_gateway_with(&db.url, &gateway_args).await,
    ];
    let ingests = [
        spawn_ingest(&broker.prefix, None, &[]).await,
        spawn_ingest(&broker.prefix, None, &[]).await,
    ];
    let flags = secutix_flags(&sim);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let mut workers = Vec::new();
    for _ in 0..3 {
        workers.push(spawn_worker_with(&broker.prefix, &db.url, &flags).await);
    }
    let (a, b) = (gateways[0].base_url.as_str(), gateways[1].base_url.as_str());
    let s = Setup {
        db,
        gateway: tests::Running {
            base_url: a.to_owned(),
            cancel: Default::default(),
            task: None,
        },
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        subject,
    };

    // Signed in at A; the code comes from B with A's session; redeemed at A; userinfo at B.
    let session = sign_in_at(&s.client, a, &authorize_url(a, "shop", REDIRECT, &[]), PASSWORD)
        .await
        .expect("signed in at A");
    let code = code(visit(&s, &authorize_url(b, "shop", REDIRECT, &[]), Some(&session)).await);
    let tokens = redeem(&s, &code).await;
    let access = tokens["access_token"].as_str().expect("access token").to_owned();
    assert_eq!(
        userinfo(&s, b, &access).await["given_name"],
        "Jean",
        "B caches this answer"
    );

    // A profile change at A (form shown by B): B's cache drops its answer, S-360 gets it once.
    let changed = Instant::now();
    let page = s
        .client
        .get(format!("{b}/profile"))
        .header("cookie", format!("__Host-session={session}"))
        .send()
        .await
        .expect("profile page");
    let csrf = cookie_value(&cookie(&page, "__Host-csrf").expect("csrf cookie"));
    let html = page.text().await.expect("html");
    let fields = crate::gateway_profile::edited(&html, &[("first_name", Some("Jeanne"))]);
    let saved = s
        .client
        .post(format!("{a}/profile"))
        .header("cookie", format!("__Host-session={session}; __Host-csrf={csrf}"))
        .form(&fields)
        .send()
        .await
        .expect("saved");
    assert_eq!(saved.status(), 200, "{}", saved.text().await.unwrap_or_default());
    eventually(Duration::from_secs(10), "B's userinfo to follow the change", || async {
        (userinfo(&s, b, &access).await["given_name"] == "Jeanne").then_some(())
    })
    .await;
    let cache_followed = changed.elapsed();
    eventually(Duration::from_secs(15), "the write-back to S-360", || async {
        let contact = sim.state().store.get(NUMBER)?.contact;
        (contact["individualContact"]["firstname"] == "Jeanne").then_some(())
    })
    .await;
    // S-360 holds the change before the worker that sent it records it as done.
    eventually(Duration::from_secs(10), "the write-back recorded as done", || async {
        let open =
            s.db.count("SELECT count(*) AS n FROM writeback_outbox WHERE state <> 'done'")
                .await;
        (open == 0).then_some(())
    })
    .await;
    let written_back =
        s.db.count("SELECT count(*) AS n FROM writeback_outbox WHERE state = 'done'")
            .await;
    assert_eq!(written_back, 1, "pushed once, whichever worker took it");

    // A merge through ingest 1 (the head through ingest 2): the session ends at both
    // gateways and the shop hears it once, though two gateways deliver logouts.
    post(
        &ingests[1],
        vec![modified_at(update(HEAD, "Head"), "2027-01-01T00:00:00Z")],
    )
    .await;
    post(
        &ingests[0],
        vec![modified_at(merge(NUMBER, HEAD), "2027-01-01T00:00:00Z")],
    )
    .await;
    let merged = Instant::now();
    eventually(Duration::from_secs(10), "the merge applied", || async {
        s.db.contact(NUMBER)
            .await
            .is_some_and(|c| c.state == "merged")
            .then_some(())
    })
    .await;
    let mut ended_at = 0;
    for base in [a, b] {
        let silent = authorize_url(base, "shop", REDIRECT, &[("prompt", "none")]);
        let Answer::Redirect(params) = visit(&s, &silent, Some(&session)).await else {
            panic!("prompt=none never shows a page");
        };
        assert_eq!(params["error"], "login_required", "the session ended at {base}");
        ended_at += 1;
    }
    eventually(Duration::from_secs(5), "the back-channel logout", || async {
        (!endpoint.tokens().is_empty()).then_some(())
    })
    .await;
    let logged_out = merged.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        endpoint.tokens().len(),
        1,
        "one logout for one session, from one gateway"
    );

    // An anonymisation of the head through ingest 2: the moved account goes.
    post(&ingests[1], vec![modified_at(anonymise(HEAD), "2027-02-01T00:00:00Z")]).await;
    eventually(Duration::from_secs(10), "the anonymisation applied", || async {
        s.db.accounts().await.is_empty().then_some(())
    })
    .await;

    // Replaying the bus changes nothing, and nothing anonymised comes back.
    let before = s.db.contacts().await;
    let report = sync_worker::replay::run(
        &replay_args(&broker.prefix, &s.db.url, &["--from-offset", "first"]),
        &Default::default(),
    )
    .await
    .expect("replay")
    .report;
    assert_eq!(report.written, 0, "{report:?}");
    assert_eq!(s.db.contacts().await, before);
    assert_eq!(s.db.contact(HEAD).await.map(|c| c.state), Some("anonymised".to_owned()));
    println!(
        "replicas: {} gateways, {} ingests, {} workers; signed in at A, code from B, redeemed at A, \
         userinfo at B; B's cached userinfo followed the profile change made at A in {} ms; \
         write-backs to S-360: {written_back}; after the merge through ingest 1 the session ended \
         at {ended_at} of 2 gateways and {} back-channel logout reached the shop in {} ms; \
         accounts after the anonymisation through ingest 2: {}; replay of the stream: {} \
         contacts kept, {} rewritten",
        gateways.len(),
        ingests.len(),
        workers.len(),
        cache_followed.as_millis(),
        endpoint.tokens().len(),
        logged_out.as_millis(),
        s.db.accounts().await.len(),
        before.len(),
        report.written,
    );
    for worker in workers {
        worker.stop().await.expect("worker stops");
    }
}
