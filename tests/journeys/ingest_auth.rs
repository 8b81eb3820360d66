//! Only S-360 may post: every configured authentication method, each failure a bare 401, and
//! signatures made by an independent Standard Webhooks implementation.

use std::process::Command;

use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;
use tests::{TestBroker, sample_contact, spawn_ingest};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ROTATED_OUT: &str = "whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=";

fn contacts_url(base: &str) -> String {
    format!("{base}/webhooks/secutix/contacts")
}

async fn status(request: RequestBuilder) -> (StatusCode, Value, Option<String>) {
    let response = request.send().await.expect("ingest answers");
    let status = response.status();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, response.json().await.unwrap_or(Value::Null), challenge)
}

/// Signs with the Python `standardwebhooks` package (installed by `.ci/run`), an
/// implementation independent of ours.
fn python_signature(secret: &str, id: &str, timestamp: i64, body: &str) -> String {
    let script = "import sys, datetime\n\
from standardwebhooks.webhooks import Webhook\n\
secret, msg_id, ts, body = sys.argv[1:5]\n\
print(Webhook(secret).sign(msg_id, datetime.datetime.fromtimestamp(int(ts), tz=datetime.timezone.utc), body))";
    let output = Command::new("python3")
        .args(["-c", script, secret, id, &timestamp.to_string(), body])
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "standardwebhooks failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8").trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bearer_token_or_basic_credentials_are_required() {
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(
        &broker.prefix,
        None,
        &[
            "--bearer-token",
            "a-static-token-of-s360",
            "--basic-auth",
            "s360:correct-horse-battery",
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let url = contacts_url(&ingest.base_url);
    let post = || client.post(&url).json(&sample_contact("0001"));

    let (code, body, challenge) = status(post()).await;
    assert_eq!(code, 401);
    assert_eq!(
        body,
        serde_json::json!({ "error": "unauthorized", "message": "authentication failed" })
    );
    assert_eq!(challenge.as_deref(), Some("Basic realm=\"secutix-bridge webhooks\""));
    assert_eq!(status(post().bearer_auth("a-static-token-of-s36")).await.0, 401);
    assert_eq!(status(post().bearer_auth("a-static-token-of-s3600")).await.0, 401);
    assert_eq!(status(post().basic_auth("s360", Some("wrong"))).await.0, 401);
    assert_eq!(
        status(post().basic_auth("other", Some("correct-horse-battery")))
            .await
            .0,
        401
    );
    assert_eq!(
        status(post().header("authorization", "Basic !!!not-base64")).await.0,
        401
    );
    assert_eq!(
        broker.ready_count(&broker.topology.worker_queue()).await,
        0,
        "nothing published"
    );

    assert_eq!(status(post().bearer_auth("a-static-token-of-s360")).await.0, 200);
    assert_eq!(
        status(post().header("authorization", "bearer a-static-token-of-s360"))
            .await
            .0,
        200,
        "scheme is case-insensitive"
    );
    assert_eq!(
        status(post().basic_auth("s360", Some("correct-horse-battery"))).await.0,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standard_webhooks_signatures_are_verified() {
    let broker = TestBroker::create().await;
    let secrets = format!("{ROTATED_OUT},{SECRET}");
    let ingest = spawn_ingest(
        &broker.prefix,
        None,
        &["--hmac-secrets", &secrets, "--dedup-window", "0"],
    )
    .await;
    let client = reqwest::Client::new();
    let url = contacts_url(&ingest.base_url);
    let body = sample_contact("0001").to_string();
    let now = chrono::Utc::now().timestamp();
    let signed = |id: &str, timestamp: i64, signature: &str, body: &str| {
        client
            .post(&url)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body.to_owned())
    };

    let good = python_signature(SECRET, "msg_1", now, &body);
    assert_eq!(status(signed("msg_1", now, &good, &body)).await.0, 200);

    // Tampered body, another id, or a timestamp outside five minutes: refused.
    let tampered = body.replace("Jean", "Jane");
    assert_eq!(status(signed("msg_1", now, &good, &tampered)).await.0, 401);
    assert_eq!(status(signed("msg_2", now, &good, &body)).await.0, 401);
    let old = now - 330;
    let stale = python_signature(SECRET, "msg_3", old, &body);
    assert_eq!(status(signed("msg_3", old, &stale, &body)).await.0, 401);
    let future = now + 330;
    let early = python_signature(SECRET, "msg_4", future, &body);
    assert_eq!(status(signed("msg_4", future, &early, &body)).await.0, 401);
    // A secret that is not configured.
    let foreign = python_signature(
        "whsec_QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=",
        "msg_5",
        now,
        &body,
    );
    assert_eq!(status(signed("msg_5", now, &foreign, &body)).await.0, 401);
    // Missing signature headers, and no other method configured.
    assert_eq!(status(client.post(&url).json(&sample_contact("0001"))).await.0, 401);

    // During a rotation both secrets are accepted; several signatures may be sent at once.
    let by_old = python_signature(ROTATED_OUT, "msg_6", now, &body);
    assert_eq!(status(signed("msg_6", now, &by_old, &body)).await.0, 200);
    let both = format!("{foreign} {}", python_signature(SECRET, "msg_7", now, &body));
    assert_eq!(status(signed("msg_7", now, &both, &body)).await.0, 200);
    assert_eq!(broker.ready_count(&broker.topology.worker_queue()).await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_allow_list_checks_the_real_client_address() {
    let broker = TestBroker::create().await;
    let client = reqwest::Client::new();

    let direct = spawn_ingest(&broker.prefix, None, &["--allow-cidrs", "203.0.113.0/24"]).await;
    let url = contacts_url(&direct.base_url);
    assert_eq!(
        status(client.post(&url).json(&sample_contact("1"))).await.0,
        401,
        "127.0.0.1 is not allowed"
    );
    let forged = client
        .post(&url)
        .header("x-forwarded-for", "203.0.113.5")
        .json(&sample_contact("1"));
    assert_eq!(
        status(forged).await.0,
        401,
        "X-Forwarded-For from an untrusted peer is ignored"
    );

    let proxied = spawn_ingest(
        &broker.prefix,
        None,
        &["--allow-cidrs", "203.0.113.0/24", "--trusted-proxies", "127.0.0.1"],
    )
    .await;
    let url = contacts_url(&proxied.base_url);
    let via_proxy = |chain: &str| {
        client
            .post(&url)
            .header("x-forwarded-for", chain)
            .json(&sample_contact("1"))
    };
    assert_eq!(status(via_proxy("203.0.113.5")).await.0, 200);
    assert_eq!(
        status(via_proxy("203.0.113.5, 198.51.100.9")).await.0,
        401,
        "the right-most untrusted hop counts"
    );
    assert_eq!(
        status(client.post(&url).json(&sample_contact("1"))).await.0,
        401,
        "the proxy itself is not allowed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_authentication_the_ingest_refuses_to_start_unless_told_to() {
    use clap::Parser;
    let settings =
        webhook_ingest::Settings::try_parse_from(["webhook-ingest", "--listen-addr", "127.0.0.1:0"]).expect("parses");
    let error = match webhook_ingest::Application::build(settings, Default::default()).await {
        Ok(_) => panic!("must refuse to start without authentication"),
        Err(error) => error.to_string(),
    };
    assert!(error.contains("INGEST_ALLOW_UNAUTHENTICATED=true"), "{error}");
    assert!(error.contains("INGEST_BASIC_AUTH"), "{error}");

    let broker = TestBroker::create().await;
    let open = spawn_ingest(&broker.prefix, None, &["--allow-unauthenticated", "true"]).await;
    let response = reqwest::Client::new()
        .post(contacts_url(&open.base_url))
        .json(&sample_contact("1"));
    assert_eq!(status(response).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_setting_stops_start_up_naming_the_variable() {
    for (flag, value, variable) in [
        ("--listen-addr", "not-an-address", "LISTEN_ADDR"),
        ("--amqp-url", "http://broker", "AMQP_URL"),
        ("--hmac-secrets", "not-whsec", "INGEST_HMAC_SECRETS"),
        ("--allow-cidrs", "10.0.0.0/99", "INGEST_ALLOW_CIDRS"),
        ("--max-batch", "many", "INGEST_MAX_BATCH"),
    ] {
        let error = infra::config::parse_from::<webhook_ingest::Settings, _, _>(["webhook-ingest", flag, value])
            .expect_err("invalid");
        let text = error.to_string();
        assert!(text.contains(variable), "{flag}: {text}");
        assert!(!text.contains(value), "the rejected value is not echoed: {text}");
    }
}
