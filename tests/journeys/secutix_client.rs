//! The S-360 contact API client against the simulator, which enforces S-360's token rules
//! and its shared rate limit: fresh tokens with the configured claims and time unit, 509 and
//! 429 answered by waiting for `Retry-After`, one limiter for every task of the process,
//! retries for outages only, never for a refusal.

use std::{
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

use secutix_client::{Client, Error, SecutixArgs};
use serde_json::json;
use tests::TcpProxy;

use crate::import_support::*;

fn client_of(base: &str, extra: &[&str]) -> Client {
    #[derive(clap::Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: SecutixArgs,
    }
    let mut argv = vec![
        "client".to_owned(),
        "--secutix-api-url".into(),
        format!("{base}/tnco/backend-apis"),
    ];
    // Defaults first, each replaced by the same flag in `extra`.
    for pair in secutix_credentials().chunks(2) {
        if !extra.contains(&pair[0].as_str()) {
            argv.extend(pair.iter().cloned());
        }
    }
    argv.extend(extra.iter().map(|s| (*s).to_owned()));
    let args = infra::config::parse_from::<Wrapper, _, _>(argv)
        .expect("valid client settings")
        .args;
    Client::from_args(&args).expect("client builds").expect("configured")
}

fn seed(sim: &secutix_sim::SimHandle, count: usize) {
    for i in 0..count {
        sim.state()
            .store
            .create(&json!({ "contactNumber": format!("C{i:04}"), "individualContact": { "firstname": "Fan" } }))
            .expect("created");
    }
}

fn calls(sim: &secutix_sim::SimHandle) -> (u64, u64, u64) {
    let stats = &sim.state().stats;
    (
        stats.api_calls.load(Ordering::Relaxed),
        stats.api_rejected_token.load(Ordering::Relaxed),
        stats.api_rejected_limit.load(Ordering::Relaxed),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_follow_the_configured_claims_and_unit_and_refusals_are_not_retried() {
    let sim = start_sim(|_| {}).await;
    seed(&sim, 1);
    let good = client_of(sim.base_url(), &[]);
    let contact = good.get_contact_data("C0000").await.expect("answers").expect("known");
    assert_eq!(contact["individualContact"]["firstname"], "Fan");
    assert_eq!(
        good.get_contact_data("C9999").await.expect("answers"),
        None,
        "unknown is None"
    );

    let wrong_secret = client_of(sim.base_url(), &["--secutix-api-secret", "another-secret"]);
    let before = calls(&sim);
    match wrong_secret.get_contact_data("C0000").await {
        Err(Error::Rejected { status: 401, code, .. }) => assert_eq!(code, "invalid_token"),
        other => panic!("expected a 401 refusal, got {other:?}"),
    }
    assert_eq!(calls(&sim).0 - before.0, 1, "a refusal is not retried");

    let wrong_audience = client_of(sim.base_url(), &["--secutix-virtual-operator", "OTHER_VO"]);
    assert!(matches!(
        wrong_audience.get_contact_data("C0000").await,
        Err(Error::Rejected { status: 401, .. })
    ));
    let milliseconds = client_of(sim.base_url(), &["--secutix-token-time-unit", "milliseconds"]);
    assert!(
        matches!(
            milliseconds.get_contact_data("C0000").await,
            Err(Error::Rejected { status: 401, .. })
        ),
        "an instance reading seconds refuses millisecond stamps"
    );
    let (_, rejected_tokens, _) = calls(&sim);
    assert_eq!(rejected_tokens, 3);

    let sim_ms = start_sim(|c| c.api.api_time_unit = secutix_sim::config::TimeUnit::Milliseconds).await;
    seed(&sim_ms, 1);
    let milliseconds = client_of(sim_ms.base_url(), &["--secutix-token-time-unit", "milliseconds"]);
    assert!(milliseconds.get_contact_data("C0000").await.expect("answers").is_some());

    // A bad field is a 4xx: returned at once, not retried.
    let before = calls(&sim).0;
    let fields = json!({ "addresses": "not a list" })
        .as_object()
        .expect("object")
        .clone();
    let refused = good.save_individual_contact_data("C0000", &fields, None).await;
    assert!(
        matches!(refused, Err(Error::Rejected { status: 400..=499, .. })),
        "{refused:?}"
    );
    assert_eq!(calls(&sim).0 - before, 1);
}

async fn rate_limited_calls_wait_for_retry_after(status: u16) {
    let sim = start_sim(|c| {
        c.api.api_rate_limit = 3;
        c.api.api_rate_window = Duration::from_secs(2);
        c.api.api_limit_status = status;
    })
    .await;
    seed(&sim, 6);
    // A client that does not limit itself, to meet S-360's limit.
    let client = client_of(
        sim.base_url(),
        &["--secutix-rate-per-minute", "60000", "--secutix-max-attempts", "6"],
    );
    let started = Instant::now();
    for i in 0..6 {
        let contact = client
            .get_contact_data(&format!("C{i:04}"))
            .await
            .expect("answered in the end");
        assert!(contact.is_some());
    }
    let (_, _, limited) = calls(&sim);
    assert!(limited >= 1, "S-360's limit was met ({status})");
    assert!(
        limited <= 3,
        "after Retry-After the calls went through: {limited} refusals"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "Retry-After was honoured"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_509_waits_for_retry_after_then_succeeds() {
    rate_limited_calls_wait_for_retry_after(509).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_429_waits_for_retry_after_then_succeeds() {
    rate_limited_calls_wait_for_retry_after(429).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_limiter_keeps_concurrent_tasks_under_the_instance_limit() {
    let sim = start_sim(|c| {
        c.api.api_rate_limit = 5;
        c.api.api_rate_window = Duration::from_secs(1);
    })
    .await;
    seed(&sim, 12);
    // 240 per minute: 4 per second, under the instance's 5.
    let client = client_of(sim.base_url(), &["--secutix-rate-per-minute", "240"]);
    let started = Instant::now();
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.get_contact_data(&format!("C{i:04}")).await })
        })
        .collect();
    for task in tasks {
        assert!(task.await.expect("task").expect("answered").is_some());
    }
    assert_eq!(calls(&sim), (12, 0, 0), "no call was refused");
    assert!(started.elapsed() >= Duration::from_millis(2700), "calls were spaced");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outages_are_retried_with_back_off_then_reported() {
    let sim = start_sim(|_| {}).await;
    seed(&sim, 1);
    let proxy = TcpProxy::start(format!("127.0.0.1:{}", sim.port()).parse().expect("address")).await;
    proxy.set_down(true);
    let base = format!("http://127.0.0.1:{}", proxy.port);
    let client = client_of(&base, &["--secutix-max-attempts", "8", "--secutix-timeout", "2"]);
    let restore = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(700)).await;
        proxy.set_down(false);
        proxy
    });
    let contact = client
        .get_contact_data("C0000")
        .await
        .expect("answered after the outage");
    assert!(contact.is_some());
    let _proxy = restore.await.expect("proxy");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let port = closed.local_addr().expect("address").port();
    drop(closed);
    let unreachable = client_of(&format!("http://127.0.0.1:{port}"), &["--secutix-max-attempts", "3"]);
    match unreachable.get_contact_data("C0000").await {
        Err(error @ Error::Unreachable { attempts: 3, .. }) => assert!(error.is_transient()),
        other => panic!("expected unreachable, got {other:?}"),
    }
}
