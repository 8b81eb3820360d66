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

/// Hostile and wrongly encoded bodies: each is refused with a named 4xx and nothing is published.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_and_wrongly_encoded_bodies_are_refused() {
    let broker = TestBroker::create().await;
    let ingest = spawn_ingest(&broker.prefix, None, &[]).await;
    let url = format!("{}/webhooks/secutix/contacts", ingest.base_url);
    let utf16: Vec<u8> = r#"{"contactNumber":"1"}"#.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "nested 100,000 deep",
            "[".repeat(100_000).into_bytes(),
            400,
            "malformed_json",
        ),
        ("UTF-16", utf16, 400, "malformed_json"),
        (
            "invalid UTF-8",
            b"{\"contactNumber\":\"1\xff\"}".to_vec(),
            400,
            "malformed_json",
        ),
        (
            "byte-order mark",
            b"\xef\xbb\xbf{\"contactNumber\":\"1\"}".to_vec(),
            400,
            "malformed_json",
        ),
        ("empty body", Vec::new(), 400, "malformed_json"),
        (
            "NaN",
            br#"{"contactNumber":"1","x":NaN}"#.to_vec(),
            400,
            "malformed_json",
        ),
        (
            "number beyond a 64-bit float",
            br#"{"contactNumber":"1","score":1e999}"#.to_vec(),
            400,
            "malformed_json",
        ),
        (
            "lone surrogate escape",
            br#"{"contactNumber":"1","note":"\ud800 x"}"#.to_vec(),
            400,
            "malformed_json",
        ),
        ("null", b"null".to_vec(), 400, "wrong_shape"),
        ("a string", br#""0001""#.to_vec(), 400, "wrong_shape"),
        (
            "NUL in the number",
            br#"{"contactNumber":"12\u00003"}"#.to_vec(),
            422,
            "invalid_contact",
        ),
        (
            "number of 21 characters",
            br#"{"contactNumber":"123456789012345678901"}"#.to_vec(),
            422,
            "invalid_contact",
        ),
        (
            "padded number",
            br#"{"contactNumber":" 1 "}"#.to_vec(),
            422,
            "invalid_contact",
        ),
        (
            "member twice",
            br#"{"contactNumber":"1","contactNumber":"2"}"#.to_vec(),
            422,
            "invalid_contact",
        ),
        (
            "array of arrays",
            br#"[[{"contactNumber":"1"}]]"#.to_vec(),
            422,
            "invalid_contact",
        ),
    ];
    for (name, body, status, code) in cases {
        let answer = post(&url, "application/json", body).await;
        assert_eq!(
            (answer.status, answer.body["error"].as_str()),
            (status, Some(code)),
            "{name}"
        );
    }

    // A body announced longer than what arrives.
    let address = ingest.base_url.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.expect("connect");
    let head = format!(
        "POST /webhooks/secutix/contacts HTTP/1.1\r\nHost: ingest\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{{\"contactNumber\":\"1\"",
        tests::INGEST_TOKEN
    );
    tokio::io::AsyncWriteExt::write_all(&mut stream, head.as_bytes())
        .await
        .expect("write");
    tokio::io::AsyncWriteExt::shutdown(&mut stream)
        .await
        .expect("half-close");
    let mut answer = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut stream, &mut answer)
        .await
        .expect("read");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("application/json"), "{answer}");

    assert_eq!(broker.ready_count(&broker.topology.worker_queue()).await, 0);
}
