//! Bad input gets a 4xx whose JSON body says exactly what is wrong, and nothing is published.

use serde_json::{Value, json};
use tests::{TestBroker, sample_contact, spawn_ingest};

struct Answer {
    status: u16,
    body: Value,
}

async fn post(url: &str, content_type: &str, body: impl Into<reqwest::Body>) -> Answer {
    let response = reqwest::Client::new()
        .post(url)
        .bearer_auth(tests::INGEST_TOKEN)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("ingest answers");
    let status = response.status().as_u16();
    let body = response.json().await.expect("a JSON error body");
    Answer { status, body }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_request_is_named_and_nothing_is_published() {
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &["--max-body-bytes", "4096", "--max-batch", "3"]).await;
    let url = format!("{}/webhooks/secutix/contacts", ingest.base_url);
    let valid = serde_json::to_string(&sample_contact("0001")).expect("json");

    let answer = post(&url, "text/plain", valid.clone()).await;
    assert_eq!(
        (answer.status, answer.body["error"].as_str()),
        (415, Some("unsupported_media_type"))
    );

    let answer = post(&url, "application/json", "{\n  \"contactNumber\": \"1\",\n  oops\n}").await;
    assert_eq!(
        (answer.status, answer.body["error"].as_str()),
        (400, Some("malformed_json"))
    );
    let message = answer.body["message"].as_str().expect("message");
    assert!(message.contains("line 3 column 3"), "{message}");

    let answer = post(&url, "application/json", "42").await;
    assert_eq!(
        (answer.status, answer.body["error"].as_str()),
        (400, Some("wrong_shape"))
    );

    let mut bad = sample_contact("0002");
    bad["contactNumber"] = json!(2);
    let body = json!([sample_contact("0001"), bad]).to_string();
    let answer = post(&url, "application/json", body).await;
    assert_eq!(answer.status, 422);
    assert_eq!(
        answer.body,
        json!({ "error": "invalid_contact", "message": "[1].contactNumber: must be a string (leading zeros are significant)" })
    );

    let answer = post(
        &url,
        "application/json",
        serde_json::to_string(&vec![json!({ "contactNumber": "1" }); 4]).expect("json"),
    )
    .await;
    assert_eq!(
        (answer.status, answer.body["error"].as_str()),
        (413, Some("too_many_contacts"))
    );

    let big = json!({ "contactNumber": "1", "note": "x".repeat(5000) }).to_string();
    let answer = post(&url, "application/json", big.clone()).await;
    assert_eq!(
        (answer.status, answer.body["error"].as_str()),
        (413, Some("body_too_large"))
    );

    // Without Content-Length the limit is enforced while streaming.
    let chunks: Vec<Result<String, std::io::Error>> = big
        .as_bytes()
        .chunks(1000)
        .map(|c| Ok(String::from_utf8_lossy(c).into_owned()))
        .collect();
    let streamed = reqwest::Body::wrap_stream(futures_stream(chunks));
    let answer = post(&url, "application/json", streamed).await;
    assert_eq!(
        (answer.status, answer.body["error"].as_str()),
        (413, Some("body_too_large"))
    );

    assert_eq!(
        broker.ready_count(&broker.topology.worker_queue()).await,
        0,
        "nothing of a rejected request is published"
    );

    // The same body with the right content type is accepted, so the rejections above were
    // about what they said.
    let answer = post(&url, "application/json; charset=utf-8", valid).await;
    assert_eq!(answer.status, 200);
    assert_eq!(broker.ready_count(&broker.topology.worker_queue()).await, 1);
}

fn futures_stream(
    chunks: Vec<Result<String, std::io::Error>>,
) -> impl futures::stream::Stream<Item = Result<String, std::io::Error>> {
    futures::stream::iter(chunks)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_bodies_never_echo_personal_data() {
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &[]).await;
    let url = format!("{}/webhooks/secutix/contacts", ingest.base_url);
    let body = json!([{ "contactNumber": "jean.dupont@example.org", "individualContact": { "lastname": "Dupont" } }]);
    let answer = post(&url, "application/json", body.to_string()).await;
    assert_eq!(answer.status, 422);
    let text = answer.body.to_string();
    assert!(!text.contains("jean") && !text.contains("Dupont"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_and_methods_are_refused() {
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &[]).await;
    let client = reqwest::Client::new();
    let response = client
        .get(format!("{}/webhooks/secutix/contacts", ingest.base_url))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 405);
    let response = client
        .post(format!("{}/webhooks/other", ingest.base_url))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 404);
    assert_eq!(response.json::<Value>().await.expect("json")["error"], "not_found");
}
