//! The provider's logouts reach the simulated ticket shop, as they would S-360's: a merge or an
//! anonymisation at S-360, posted by the simulator's own webhook through the ingest and applied
//! by the worker, ends the fan's shop session through a back-channel logout within a second of
//! the worker's transaction; a sign-out at the provider ends it through the front-channel
//! iframe; a forged, replayed or unsigned logout token is refused and ends nothing.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use secutix_sim::SimHandle;
use serde_json::{Value, json};
use tests::{
    INGEST_TOKEN, TestBroker, TestDatabase, eventually,
    sim::{SIM_SHOP_CLIENT_ID, SIM_SHOP_SECRET, free_port, spawn_gateway_for_shops},
    spawn_ingest, spawn_worker_with,
};

use crate::{
    gateway_support::{PASSWORD, Setup, cookie, cookie_value, seed_account, sign_in},
    import_support::secutix_flags,
    sim_shop::{back_to_shop, browser, location, me},
};

const NUMBER: &str = "0001234567";
const HEAD: &str = "0009999999";
const PROVIDER: &str = "secutix-bridge";

/// The whole chain: S-360 (the simulator, with its shop and its webhook to the ingest), the
/// ingest, a worker and the gateway, Jean known on both sides and linked at the shop.
struct Chain {
    setup: Setup,
    sim: SimHandle,
    _broker: TestBroker,
    _ingest: tests::Running,
    _worker: tests::Running,
}

async fn chain() -> Chain {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let subject = seed_account(&db).await;
    let ingest = spawn_ingest(&broker.prefix, None, &[]).await;
    let port = free_port();
    let issuer = format!("http://127.0.0.1:{port}");
    let webhook = format!("{}/webhooks/secutix/contacts", ingest.base_url);
    let sim = tests::sim::spawn_sim(|config| {
        config.shop.shop_issuer = Some(issuer.parse().expect("url"));
        config.shop.shop_client_id = SIM_SHOP_CLIENT_ID.into();
        config.shop.shop_client_secret = Some(SIM_SHOP_SECRET.to_owned().into());
        config.webhook.webhook_url = Some(webhook.parse().expect("url"));
        config.webhook.auth.webhook_token = Some(INGEST_TOKEN.to_owned().into());
    })
    .await;
    for (number, first, email) in [
        (NUMBER, "Jean", "jean.dupont@example.org"),
        (HEAD, "Jeanne", "jeanne.dupont@example.org"),
    ] {
        sim.state()
            .store
            .create(&json!({
                "contactNumber": number,
                "individualContact": { "firstname": first, "lastname": "Dupont", "email": email,
                                        "role": "PUBLIC", "hasLogin": true }
            }))
            .expect("contact");
    }
    sim.state()
        .store
        .add_link(NUMBER, PROVIDER, &subject.to_string())
        .expect("linked");
    let gateway = spawn_gateway_for_shops(&db, port, &[&sim], &["--amqp-name-prefix", &broker.prefix]).await;
    let flags = secutix_flags(&sim);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let worker = spawn_worker_with(&broker.prefix, &db.url, &flags).await;
    // What the webhook has queued so far (the contacts created above) is delivered first.
    run_webhook(&sim).await;
    Chain {
        setup: Setup {
            db,
            gateway,
            client: browser(),
            subject,
        },
        sim,
        _broker: broker,
        _ingest: ingest,
        _worker: worker,
    }
}

/// Runs the simulator's Contact Webhook V2 now, as its schedule would.
async fn run_webhook(sim: &SimHandle) {
    let response = reqwest::Client::new()
        .post(format!("{}/admin/webhook/run", sim.base_url()))
        .send()
        .await
        .expect("simulator answers");
    assert!(response.status().is_success(), "{}", response.status());
}

/// Jean signs in at the shop through the provider; returns the gateway and shop sessions.
async fn shop_sign_in(c: &Chain) -> (String, String) {
    let client = &c.setup.client;
    let visit = client
        .get(format!("{}/shop/login?return_to=/shop/tickets", c.sim.base_url()))
        .send()
        .await
        .expect("shop answers");
    assert_eq!(visit.status(), StatusCode::FOUND);
    let state_cookie = cookie_value(&cookie(&visit, "shop_auth").expect("state cookie"));
    let authorize = location(&visit);
    let session = sign_in(&c.setup, &authorize, PASSWORD)
        .await
        .expect("signed in at the gateway");
    let (_, callback) = back_to_shop(client, &c.sim, &authorize, &session, &state_cookie).await;
    assert_eq!(
        callback.status(),
        StatusCode::FOUND,
        "{}",
        callback.text().await.unwrap_or_default()
    );
    let shop_session = cookie_value(&cookie(&callback, "shop_session").expect("shop session"));
    let (status, who) = me(client, &c.sim, &shop_session).await;
    assert_eq!(status, 200, "{who}");
    assert_eq!(who["contactNumber"], NUMBER);
    (session, shop_session)
}

/// Waits until the worker has ended the fan's session (its transaction queues the logout
/// delivery, stamped with the transaction's start), then until the shop session is gone;
/// returns how long after the worker's transaction the shop heard it.
async fn shop_session_ends(c: &Chain, shop_session: &str) -> Duration {
    let queued_ms = eventually(Duration::from_secs(20), "the worker to end the session", || async {
        let ms = c
            .setup
            .db
            .count(
                "SELECT coalesce((extract(epoch FROM min(created_at)) * 1000)::bigint, 0) AS n FROM logout_deliveries",
            )
            .await;
        (ms > 0).then_some(ms)
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, _) = me(&c.setup.client, &c.sim, shop_session).await;
        if status == StatusCode::UNAUTHORIZED {
            let after = chrono::Utc::now().timestamp_millis() - queued_ms;
            return Duration::from_millis(after.max(0) as u64);
        }
        assert!(
            Instant::now() < deadline,
            "the shop session outlived the worker's change by 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn stats(sim: &SimHandle) -> Value {
    sim.state().stats.to_json(0)["shop"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_at_s360_ends_the_shop_session_within_a_second() {
    let c = chain().await;
    let (_, shop_session) = shop_sign_in(&c).await;
    c.sim.state().store.merge(NUMBER, HEAD).expect("merged at S-360");
    run_webhook(&c.sim).await;
    let after = shop_session_ends(&c, &shop_session).await;
    assert!(
        after < Duration::from_secs(1),
        "the shop heard it {after:?} after the worker"
    );
    assert_eq!(stats(&c.sim)["backchannel_logouts"], 1);
    assert_eq!(stats(&c.sim)["logouts_refused"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymisation_at_s360_ends_the_shop_session_within_a_second() {
    let c = chain().await;
    let (_, shop_session) = shop_sign_in(&c).await;
    c.sim.state().store.anonymise(NUMBER).expect("anonymised at S-360");
    run_webhook(&c.sim).await;
    let after = shop_session_ends(&c, &shop_session).await;
    assert!(
        after < Duration::from_secs(1),
        "the shop heard it {after:?} after the worker"
    );
    assert_eq!(stats(&c.sim)["backchannel_logouts"], 1);
    eventually(Duration::from_secs(10), "the account erased", || async {
        c.setup.db.accounts().await.is_empty().then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_out_at_the_provider_reaches_the_shop_on_both_channels() {
    let c = chain().await;
    let (session, shop_session) = shop_sign_in(&c).await;
    let page = c
        .setup
        .client
        .get(format!("{}/logout", c.setup.gateway.base_url))
        .header("cookie", format!("__Host-session={session}"))
        .send()
        .await
        .expect("gateway answers");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    let frame = html
        .split("<iframe src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a front-channel iframe")
        .replace("&amp;", "&");
    assert!(
        frame.starts_with(&format!("{}/shop/frontchannel-logout?", c.sim.base_url())),
        "{frame}"
    );
    assert!(frame.contains("iss=") && frame.contains("sid="), "{frame}");
    // The browser loads the iframe; the back-channel call may have been first.
    let framed = c.setup.client.get(&frame).send().await.expect("shop answers");
    assert_eq!(framed.status(), 200);
    assert_eq!(
        me(&c.setup.client, &c.sim, &shop_session).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(stats(&c.sim)["frontchannel_logouts"], 1);
    eventually(Duration::from_secs(5), "the back-channel logout", || async {
        (stats(&c.sim)["backchannel_logouts"] == 1).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shop_refuses_logout_tokens_it_cannot_trust() {
    let c = chain().await;
    let (_, shop_session) = shop_sign_in(&c).await;
    let url = format!("{}/shop/backchannel-logout", c.sim.base_url());
    let post = |form: Vec<(&'static str, String)>| {
        let url = url.clone();
        async move {
            let response = reqwest::Client::new()
                .post(url)
                .form(&form)
                .send()
                .await
                .expect("shop answers");
            let status = response.status();
            (status, response.json::<Value>().await.expect("json"))
        }
    };
    let (status, body) = post(vec![]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_request");
    // An unsigned token naming Jean's subject, then an ID token (wrong typ, no event).
    let unsigned = {
        use base64::Engine;
        let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.",
            b64(json!({"alg": "none", "typ": "logout+jwt"})),
            b64(
                json!({"iss": c.setup.gateway.base_url, "aud": SIM_SHOP_CLIENT_ID, "sub": c.setup.subject.to_string(),
                        "iat": chrono::Utc::now().timestamp(),
                        "events": {"http://schemas.openid.net/event/backchannel-logout": {}}})
            )
        )
    };
    let (status, body) = post(vec![("logout_token", unsigned)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].as_str().expect("message").contains("RS256"), "{body}");
    assert_eq!(me(&c.setup.client, &c.sim, &shop_session).await.0, 200, "nothing ended");
    assert_eq!(stats(&c.sim)["logouts_refused"], 2);
}
