//! Contact Webhook V2 as a receiver sees it: S contacts per run, bs per POST (an object when
//! bs = 1), latest states only, the scheduler on its own, Standard Webhooks signatures that the
//! ingest's verifier accepts.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use secutix_sim::{SimConfig, SimHandle, Simulator};
use serde_json::{Value, json};
use standard_webhooks::{SignatureHeaders, StandardWebhooks};

/// What the receiver got: each request's headers and JSON body.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<(actix_web::http::header::HeaderMap, web::Bytes)>>>);

impl Received {
    fn bodies(&self) -> Vec<Value> {
        self.0
            .lock()
            .expect("lock")
            .iter()
            .map(|(_, b)| serde_json::from_slice(b).expect("JSON body"))
            .collect()
    }
}

/// A receiver on a free port answering 200.
async fn receiver() -> (String, Received) {
    receiver_answering(200).await
}

/// A receiver on a free port answering `status`.
async fn receiver_answering(status: u16) -> (String, Received) {
    let received = Received::default();
    let data = web::Data::new(received.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let server = HttpServer::new(move || {
        App::new().app_data(data.clone()).default_service(web::to(
            move |req: HttpRequest, body: web::Bytes, got: web::Data<Received>| async move {
                got.0.lock().expect("lock").push((req.headers().clone(), body));
                HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("status")).finish()
            },
        ))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("listen")
    .run();
    tokio::spawn(server);
    (format!("http://127.0.0.1:{port}/hook"), received)
}

async fn sim(url: &str, configure: impl FnOnce(&mut SimConfig)) -> SimHandle {
    let mut config = SimConfig::ephemeral();
    config.webhook.webhook_url = Some(url.parse().expect("url"));
    configure(&mut config);
    Simulator::start(config).await.expect("starts")
}

async fn run(sim: &SimHandle) -> Value {
    reqwest::Client::new()
        .post(format!("{}/admin/webhook/run", sim.base_url()))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_take_s_contacts_and_post_bs_per_request() {
    let (url, received) = receiver().await;
    let sim = sim(&url, |c| {
        c.seed = 7;
        c.webhook.webhook_per_run = 5;
        c.webhook.webhook_batch_size = 3;
    })
    .await;
    let report = run(&sim).await;
    assert_eq!(
        report,
        json!({ "taken": 5, "delivered": 5, "failed": 0, "abandoned": 0, "pending": 2 })
    );
    let sizes: Vec<usize> = received
        .bodies()
        .iter()
        .map(|b| b.as_array().expect("an array").len())
        .collect();
    assert_eq!(sizes, [3, 2]);
    run(&sim).await;
    let bodies = received.bodies();
    assert_eq!(bodies.len(), 3);
    assert_eq!(bodies[2][1]["contactNumber"], "0009000007", "queue order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_contact_per_post_is_an_object_with_its_latest_state() {
    let (url, received) = receiver().await;
    let sim = sim(&url, |c| c.seed = 1).await;
    for name in ["Second", "Third"] {
        sim.state()
            .store
            .update(
                "0009000001",
                &json!({ "individualContact": { "firstname": name } }),
                None,
            )
            .expect("updated");
    }
    run(&sim).await;
    let bodies = received.bodies();
    assert_eq!(bodies.len(), 1, "one contact, once, however often it changed");
    assert!(bodies[0].is_object());
    assert_eq!(bodies[0]["individualContact"]["firstname"], "Third");
    assert_eq!(run(&sim).await["taken"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_posts_signed_requests_by_itself() {
    let (url, received) = receiver().await;
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let sim = sim(&url, |c| {
        c.seed = 2;
        c.webhook.webhook_interval = Duration::from_secs(1);
        c.webhook.auth.webhook_hmac_secret = Some(secret.to_owned().into());
    })
    .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while received.bodies().len() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "the scheduler did not run");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .expect("base64");
    let verifier = StandardWebhooks::new(vec![key]);
    let now = chrono::Utc::now().timestamp();
    for (headers, body) in received.0.lock().expect("lock").iter() {
        let signature = SignatureHeaders::from_lookup(|name| headers.get(name).and_then(|v| v.to_str().ok()))
            .expect("signature headers");
        assert!(
            verifier.verify(&signature, body, now).is_ok(),
            "the verifier the ingest uses accepts it"
        );
        assert!(verifier.verify(&signature, b"{}", now).is_err());
    }
    assert_eq!(sim.state().store.pending(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_200_counts_as_delivered() {
    let (url, received) = receiver_answering(204).await;
    let sim = sim(&url, |c| c.seed = 1).await;
    let report = run(&sim).await;
    assert_eq!(
        (report["failed"].as_u64(), report["pending"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(received.bodies().len(), 1);
    assert_eq!(sim.state().store.attempts("0009000001"), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_the_shop_creates_at_a_first_sso_sign_in_is_posted_with_its_link() {
    let (url, received) = receiver().await;
    let sim = sim(&url, |_| {}).await;
    let sub = "7f3c2a9e-5b1d-4c8e-9a61-2d4f8b0e6c13";
    let userinfo = json!({ "sub": sub, "email": "new.fan@example.org", "given_name": "Nia", "family_name": "Neu" });
    let linked = secutix_sim::shop::link::link(&sim.state().store, "secutix-bridge", sub, &userinfo).expect("linked");
    assert!(matches!(linked, secutix_sim::shop::link::Linked::Created(_)));
    run(&sim).await;
    let bodies = received.bodies();
    assert_eq!(bodies.len(), 1, "created and linked: one contact, its latest state");
    assert_eq!(
        bodies[0]["socialConnections"],
        json!([{ "provider": "secutix-bridge", "providerUserReference": sub }])
    );
    assert_eq!(bodies[0]["individualContact"]["hasLogin"], true);
    let contact = model::secutix::from_get_contact_data(bodies[0].clone()).expect("a contact");
    assert_eq!(
        contact.sso_id.as_deref(),
        Some(sub),
        "the worker reads the SSO id from it"
    );
}
