//! Security checklist probes beyond the main flows: password rehash at sign-in when the argon2
//! parameters rose, the forgotten-password limit per source address (and the same answer for
//! known and unknown addresses while the broker is down), guessing reset links, no token in any
//! redirect, the timing of sign-ins for unknown and known accounts, a wrong PKCE verifier, and
//! a burst of guesses against the lockout.

use std::time::{Duration, Instant};

use argon2::{PasswordHasher, password_hash::SaltString};
use reqwest::StatusCode;
use tests::TestBroker;

use crate::gateway_support::*;

const CURRENT_PARAMETERS: &str = "$argon2id$v=19$m=19456,t=2,p=1$";

async fn stored_hash(s: &Setup) -> String {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        password_hash: String,
    }
    use diesel_async::RunQueryDsl;
    let mut conn = s.db.pool.get().await.expect("connection");
    diesel::sql_query("SELECT password_hash FROM accounts")
        .get_result::<Row>(&mut conn)
        .await
        .expect("account")
        .password_hash
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hash_with_older_parameters_is_replaced_at_the_next_sign_in() {
    let s = setup().await;
    let salt = SaltString::encode_b64(b"an old salt 1234").expect("salt");
    let old = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(4096, 1, 1, None).expect("params"),
    )
    .hash_password(PASSWORD.as_bytes(), &salt)
    .expect("hash")
    .to_string();
    s.db.execute(&format!("UPDATE accounts SET password_hash = '{old}'"))
        .await;
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);

    assert_eq!(
        sign_in(&s, &authorize, "a wrong password").await,
        Err(StatusCode::UNAUTHORIZED)
    );
    assert_eq!(stored_hash(&s).await, old, "a failed sign-in changes nothing");
    sign_in(&s, &authorize, PASSWORD)
        .await
        .expect("signed in with the old hash");
    let new = stored_hash(&s).await;
    assert!(new.starts_with(CURRENT_PARAMETERS), "rehashed: {new}");
    sign_in(&s, &authorize, PASSWORD)
        .await
        .expect("signed in with the new hash");
    assert_eq!(stored_hash(&s).await, new, "a current hash is kept");
}

async fn forgot(s: &Setup, email: &str) -> (StatusCode, Option<String>, String) {
    let response = post_forgot(s, email, &[]).await;
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().expect("ascii").to_owned());
    (response.status(), retry, response.text().await.expect("text"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forgotten_password_form_is_limited_per_source_address() {
    let broker = TestBroker::create().await;
    let s = setup_with(&["--amqp-name-prefix", &broker.prefix]).await;
    for i in 0..10 {
        let email = if i % 2 == 0 {
            "jean.dupont@example.org".to_owned()
        } else {
            format!("nobody{i}@example.org")
        };
        let (status, _, _) = forgot(&s, &email).await;
        assert_eq!(status, 200, "request {i}");
    }
    let (known, known_retry, known_page) = forgot(&s, "jean.dupont@example.org").await;
    let (unknown, unknown_retry, unknown_page) = forgot(&s, "nobody@example.org").await;
    assert_eq!(known, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = known_retry.expect("Retry-After").parse().expect("seconds");
    assert!((1..=900).contains(&retry), "{retry}");
    assert_eq!(
        (unknown, unknown_page.as_str()),
        (known, known_page.as_str()),
        "the limit answers alike for every address"
    );
    assert!(unknown_retry.is_some());
    // Links are issued after the answer: wait for them.
    tests::eventually(Duration::from_secs(10), "three links", || async {
        (s.db.count("SELECT count(*) AS n FROM password_tokens").await >= 3).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        s.db.count("SELECT count(*) AS n FROM password_tokens").await,
        3,
        "the account's own hourly limit still applies"
    );
    // The window passes: requests are accepted again.
    s.db.execute("UPDATE login_throttle SET updated_at = now() - interval '16 minutes'")
        .await;
    assert_eq!(forgot(&s, "nobody@example.org").await.0, 200);
}

/// Every `Location` the gateway sends in a whole journey carries no token, password or session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_redirect_carries_a_token_or_a_secret() {
    let broker = TestBroker::create().await;
    let s = setup_with(&[
        "--amqp-name-prefix",
        &broker.prefix,
        "--ticketshop-urls",
        "https://shop.example.org/club",
    ])
    .await;
    let base = &s.gateway.base_url;
    let mut locations = Vec::new();
    let mut follow = |response: &reqwest::Response| {
        if let Some(location) = response.headers().get("location") {
            locations.push(location.to_str().expect("ascii").to_owned());
        }
    };
    let silent = authorize_url(base, "shop", REDIRECT, &[("prompt", "none")]);
    follow(&s.client.get(&silent).send().await.expect("answers"));
    follow(&s.client.get(format!("{base}/profile")).send().await.expect("answers"));
    let authorize = authorize_url(base, "shop", REDIRECT, &[]);
    let session = sign_in(&s, &authorize, PASSWORD).await.expect("signed in");
    let with_session = |url: String| {
        s.client
            .get(url)
            .header("cookie", format!("__Host-session={session}"))
            .send()
    };
    follow(&with_session(authorize.clone()).await.expect("answers"));
    follow(&with_session(silent.clone()).await.expect("answers"));
    follow(
        &with_session(format!("{base}/ticketshop?target=https://shop.example.org/club/events"))
            .await
            .expect("answers"),
    );
    let (_, tokens) = shop_tokens(&s).await;
    let code_redirect = locations.iter().filter(|l| l.contains("code=")).count();
    assert!(code_redirect >= 2, "{locations:?}");
    assert!(locations.len() >= 5, "{locations:?}");
    for location in &locations {
        for secret in [
            "access_token",
            "id_token",
            "refresh_token",
            "eyJ",
            "password",
            session.as_str(),
            tokens["access_token"].as_str().expect("token"),
        ] {
            assert!(!location.contains(secret), "{secret} in {location}");
        }
    }
}

/// The median time of `n` refused sign-ins for `email` (throttling cleared before each).
async fn refused_sign_in_time(s: &Setup, email: &str, n: usize) -> Duration {
    let base = &s.gateway.base_url;
    let mut times = Vec::new();
    for _ in 0..n {
        s.db.execute("DELETE FROM login_throttle").await;
        let page = s.client.get(format!("{base}/login")).send().await.expect("answers");
        let csrf = cookie_value(&cookie(&page, "__Host-csrf").expect("csrf cookie"));
        let html = page.text().await.expect("html");
        let form = [
            ("csrf", hidden(&html, "csrf")),
            ("email", email.to_owned()),
            ("password", "not the password at all".to_owned()),
        ];
        let start = Instant::now();
        let response = s
            .client
            .post(format!("{base}/login"))
            .header("cookie", format!("__Host-csrf={csrf}"))
            .form(&form)
            .send()
            .await
            .expect("answers");
        times.push(start.elapsed());
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    times.sort();
    times[n / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_accounts_take_as_long_to_refuse_as_known_ones() {
    let s = setup().await;
    refused_sign_in_time(&s, "warm-up@example.org", 2).await;
    let known = refused_sign_in_time(&s, "jean.dupont@example.org", 7).await;
    let unknown = refused_sign_in_time(&s, "nobody@example.org", 7).await;
    let ratio = unknown.as_secs_f64() / known.as_secs_f64();
    // Without the dummy hash an unknown account would answer about 50 times faster.
    assert!((0.5..2.0).contains(&ratio), "unknown {unknown:?} vs known {known:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_pkce_verifier_is_refused_and_the_code_is_spent() {
    let s = setup().await;
    let code = app_code(&s).await;
    let grant = |verifier: &'static str| {
        [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", APP_REDIRECT),
            ("code_verifier", verifier),
            ("client_id", "web-app"),
        ]
    };
    let wrong = "wrong-verifier-wrong-verifier-wrong-verifier-000";
    let (status, body) = token(&s, &grant(wrong), false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    let (status, body) = token(&s, &grant(VERIFIER), false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_outage_does_not_tell_known_addresses_from_unknown_ones() {
    let s = setup_with(&["--amqp-url", "amqp://guest:guest@127.0.0.1:1/%2f"]).await;
    let (known, _, known_page) = forgot(&s, "jean.dupont@example.org").await;
    let (unknown, _, unknown_page) = forgot(&s, "nobody@example.org").await;
    assert_eq!((known, known_page), (unknown, unknown_page));
    assert_eq!(known, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_reset_links_locks_the_address_out() {
    let s = setup().await;
    let reset = |token: String| {
        s.client
            .get(format!("{}/password/reset?token={token}", s.gateway.base_url))
            .send()
    };
    for i in 0..5 {
        let response = reset(format!("guess-{i}")).await.expect("answers");
        assert_eq!(response.status(), StatusCode::GONE, "guess {i}");
    }
    // Even a valid link is refused from this address while it is locked out.
    let token = "a-valid-token-for-this-test-0123456789abcdef";
    s.db.execute(&format!(
        "INSERT INTO password_tokens (token_hash, subject_id, purpose, expires_at) \
         VALUES (sha256('{token}'::bytea), '{}', 'reset', now() + interval '1 hour')",
        s.subject
    ))
    .await;
    let locked = reset(token.to_owned()).await.expect("answers");
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.headers().contains_key("retry-after"));
    s.db.execute("UPDATE login_throttle SET locked_until = now() - interval '1 second'")
        .await;
    assert_eq!(reset(token.to_owned()).await.expect("answers").status(), 200);
}

/// Guesses sent at once all pass the lock check before any of them has failed, then wait for
/// the hasher. The lock that engages meanwhile refuses the rest, the right password at the end
/// of the burst included, and no more guesses are answered than the lockout allows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_guesses_cannot_outrun_the_lockout() {
    let s = setup().await;
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    let guesses = futures::future::join_all((0..12).map(|_| sign_in(&s, &authorize, "a wrong password")));
    let right = async {
        // After the guesses are queued at the hasher, before any has failed.
        tokio::time::sleep(Duration::from_millis(100)).await;
        sign_in(&s, &authorize, PASSWORD).await
    };
    let (guesses, right) = tokio::join!(guesses, right);
    assert_eq!(
        right,
        Err(StatusCode::TOO_MANY_REQUESTS),
        "the lock refuses the right password"
    );
    let answered = guesses.iter().filter(|r| **r == Err(StatusCode::UNAUTHORIZED)).count();
    let free = store::auth::throttle::FREE_ATTEMPTS as usize;
    assert!(
        (free..=free + 2).contains(&answered),
        "{answered} wrong guesses answered as such; the lockout allows {free}: {guesses:?}"
    );
    assert!(
        guesses
            .iter()
            .all(|r| matches!(r, Err(StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS)))
    );
}
