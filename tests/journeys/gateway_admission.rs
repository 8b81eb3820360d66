//! Admission control at the on-sale rush: password sign-ins queue for the hashing threads in
//! arrival order, at most `--signin-queue` of them; the rest get a 503 busy page with
//! `Retry-After` that goes back to their own authorization request by itself, and the shed
//! count is exported. A fan already signed in keeps getting silent sign-ins meanwhile.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::gateway_support::*;

const PARALLEL: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_storm_is_shed_with_a_page_that_retries_and_silent_sign_ins_go_on() {
    let s = setup_with(&["--signin-queue", "2", "--signin-wait", "60"]).await;
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    let session = sign_in(&s, &authorize, PASSWORD)
        .await
        .expect("signed in before the rush");

    // One sign-in page's CSRF token serves every request of the storm (double-submit).
    let page = s.client.get(&authorize).send().await.expect("sign-in page");
    let csrf = cookie_value(&cookie(&page, "__Host-csrf").expect("csrf cookie"));
    let html = page.text().await.expect("html");
    let return_to = hidden(&html, "return_to");
    let form = [
        ("csrf", csrf.clone()),
        ("return_to", return_to.clone()),
        ("email", "jean.dupont@example.org".to_owned()),
        ("password", PASSWORD.to_owned()),
    ];
    let storm = (0..PARALLEL).map(|_| {
        s.client
            .post(format!("{}/login", s.gateway.base_url))
            .header("cookie", format!("__Host-csrf={csrf}"))
            .form(&form)
            .send()
    });
    let storm = tokio::spawn(futures::future::join_all(storm));

    // While the storm runs: the sign-in page is replaced by the busy page, and a fan with a
    // session is answered without waiting for any hash.
    let mut busy_page_seen = false;
    let mut slowest_silent = Duration::ZERO;
    let silent = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[("prompt", "none")]);
    while !storm.is_finished() {
        let started = Instant::now();
        let params = redirect_params(&s, &silent, Some(&session)).await;
        assert!(params.contains_key("code"), "{params:?}");
        slowest_silent = slowest_silent.max(started.elapsed());
        let shown = s.client.get(&authorize).send().await.expect("answers");
        busy_page_seen |= shown.status() == StatusCode::SERVICE_UNAVAILABLE;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let responses = storm.await.expect("joined");
    let mut counts = std::collections::BTreeMap::new();
    let mut busy_body = None;
    for response in responses {
        let response = response.expect("answered");
        *counts.entry(response.status().as_u16()).or_insert(0) += 1;
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(response.headers()["retry-after"], "3");
            busy_body = Some(response.text().await.expect("html"));
        }
    }
    assert!(counts.keys().all(|status| [303, 503].contains(status)), "{counts:?}");
    assert!(
        counts.get(&303).is_some_and(|n| *n >= 3),
        "those queued are served: {counts:?}"
    );
    assert!(
        counts.get(&503).is_some_and(|n| *n >= 1),
        "those past the queue are shed: {counts:?}"
    );
    assert!(
        busy_page_seen,
        "the sign-in page gives way to the busy page while the queue is full"
    );
    assert!(
        slowest_silent < Duration::from_secs(1),
        "silent sign-ins never wait on argon2: {slowest_silent:?}"
    );

    // The busy page retries the fan's own authorization request, without JavaScript.
    let body = busy_body.expect("a busy page");
    let escaped = return_to.replace('&', "&amp;");
    assert!(body.contains(&format!("content=\"3;url={escaped}\"")), "{body}");
    assert!(!body.contains("<script"), "no JavaScript needed");
    let retried = s
        .client
        .get(format!("{}{return_to}", s.gateway.base_url))
        .send()
        .await
        .expect("answers");
    assert_eq!(
        retried.status(),
        200,
        "after the rush the retry shows the sign-in page again"
    );
    let shed = tests::metric(&s.gateway.base_url, "auth_gateway_signins_shed_total").await;
    assert!(shed as usize >= counts[&503], "shed sign-ins are counted: {shed}");
    assert_eq!(
        tests::metric(&s.gateway.base_url, "auth_gateway_signin_queue_depth").await,
        0
    );
}
