//! Malformed, oversized, truncated, wrongly encoded and hostile requests on every public
//! endpoint of the gateway: each gets the right 4xx with a body of the endpoint's kind (JSON
//! for APIs, an HTML page for browser pages), never a redirect to a place it was not asked to
//! trust, never a 5xx, and nothing is stored.

use base64::Engine;
use reqwest::{Method, header::HeaderMap};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::gateway_support::{REDIRECT, SHOP_SECRET, setup};

/// What a bad request must get back.
enum Expect {
    /// A JSON body whose `error` member is this code.
    Json(&'static str),
    /// An HTML page.
    Html,
    /// No body (forward-auth answers for proxies).
    Empty,
}

struct Case {
    name: &'static str,
    method: Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    status: u16,
    expect: Expect,
}

fn case(name: &'static str, method: Method, path: &str, status: u16, expect: Expect) -> Case {
    Case {
        name,
        method,
        path: path.to_owned(),
        headers: Vec::new(),
        body: Vec::new(),
        status,
        expect,
    }
}

impl Case {
    fn form(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.headers
            .push(("content-type", "application/x-www-form-urlencoded".into()));
        self.body = body.into();
        self
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn shop(self) -> Self {
        let credentials = base64::engine::general_purpose::STANDARD.encode(format!("shop:{SHOP_SECRET}"));
        self.header("authorization", format!("Basic {credentials}"))
    }
}

fn unsigned_token(header: &str, claims: &str) -> String {
    let encode = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!("{}.{}.", encode(header), encode(claims))
}

/// The catalogue: one line per bad request (kept as a table, hence unformatted).
#[rustfmt::skip]
fn cases() -> Vec<Case> {
    use Expect::{Empty, Html, Json};
    let huge = [b"grant_type=refresh_token&refresh_token=".as_slice(), &[b'a'; 300_000]].concat();
    let evil = "https%3A%2F%2Fevil.example%2Fcb";
    let registered = urlencode(REDIRECT);
    let not_utf8_basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(b"\xff\xfe:\xff"));
    let unsigned = format!("Bearer {}", unsigned_token(r#"{"alg":"none","typ":"at+jwt"}"#, r#"{"sub":"x"}"#));
    vec![
        case("authorize without parameters", Method::GET, "/authorize", 400, Html),
        case("authorize, client id not UTF-8", Method::GET, "/authorize?client_id=%ff%fe&response_type=code", 400, Html),
        case("authorize, client id twice", Method::GET, &format!("/authorize?client_id=shop&client_id=web-app&response_type=code&scope=openid&redirect_uri={registered}"), 400, Html),
        case("authorize, NUL in the client id", Method::GET, "/authorize?client_id=sh%00op&response_type=code", 400, Html),
        case("authorize to an unregistered redirect", Method::GET, &format!("/authorize?client_id=shop&response_type=code&scope=openid&redirect_uri={evil}"), 400, Html),
        case("token without a body", Method::POST, "/token", 400, Json("invalid_request")),
        case("token as JSON", Method::POST, "/token", 400, Json("invalid_request")).header("content-type", "application/json").shop(),
        case("token form not UTF-8", Method::POST, "/token", 400, Json("invalid_request")).form(b"grant_type=%ff\xff".to_vec()),
        case("token body of 300 KB", Method::POST, "/token", 413, Json("invalid_request")).form(huge.clone()),
        case("token, password grant", Method::POST, "/token", 400, Json("unsupported_grant_type")).form("grant_type=password&username=a&password=b").shop(),
        case("token, unknown code", Method::POST, "/token", 400, Json("invalid_grant")).form(format!("grant_type=authorization_code&code=nope&redirect_uri={registered}")).shop(),
        case("token, malformed Basic header", Method::POST, "/token", 401, Json("invalid_client")).form("grant_type=authorization_code&code=x").header("authorization", "Basic %%%"),
        case("token, Basic credentials not UTF-8", Method::POST, "/token", 401, Json("invalid_client")).form("grant_type=authorization_code&code=x").header("authorization", not_utf8_basic),
        case("token by DELETE", Method::DELETE, "/token", 405, Json("invalid_request")),
        case("userinfo without a token", Method::GET, "/userinfo", 401, Json("invalid_request")),
        case("userinfo, three parts of garbage", Method::GET, "/userinfo", 401, Json("invalid_token")).header("authorization", "Bearer a.b.c"),
        case("userinfo, unsigned token", Method::GET, "/userinfo", 401, Json("invalid_token")).header("authorization", unsigned),
        case("userinfo, 30 KB token", Method::GET, "/userinfo", 401, Json("invalid_token")).header("authorization", format!("Bearer {}", "a".repeat(30_000))),
        case("revoke without client authentication", Method::POST, "/revoke", 401, Json("invalid_client")).form("token=abc"),
        case("introspect without client authentication", Method::POST, "/introspect", 401, Json("invalid_client")).form("token=abc"),
        case("sign-in without its CSRF token", Method::POST, "/login", 403, Html).form("email=a%40b.c&password=x"),
        case("sign-in as JSON", Method::POST, "/login", 403, Html).header("content-type", "application/json"),
        case("sign-in body of 300 KB", Method::POST, "/login", 413, Json("payload_too_large")).form(huge.clone()),
        case("sign-in by PUT", Method::PUT, "/login", 405, Json("method_not_allowed")),
        case("grant access to another site", Method::GET, "/ticketshop?target=https%3A%2F%2Fevil.example%2F", 400, Html),
        case("grant access without a target", Method::GET, "/ticketshop", 400, Html),
        case("forward-auth, cookie of garbage", Method::GET, "/auth/verify", 401, Empty).header("cookie", "__Host-session=%ff%00"),
        case("forgotten password without CSRF token", Method::POST, "/password/forgot", 403, Html).form("email=a%40b.c"),
        case("forgotten password body of 300 KB", Method::POST, "/password/forgot", 413, Json("payload_too_large")).form(huge),
        case("new password page, token not UTF-8", Method::GET, "/password/reset?token=%ff", 410, Html),
        case("new password without CSRF token", Method::POST, "/password/reset", 403, Html).form("token=x&password=y"),
        case("an unknown path", Method::GET, "/admin", 404, Json("not_found")),
    ]
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_request_gets_the_right_4xx_and_stores_nothing() {
    let s = setup().await;
    let base = s.gateway.base_url.clone();
    let mut failures = Vec::new();
    for case in cases() {
        let mut headers = HeaderMap::new();
        for (name, value) in &case.headers {
            headers.append(*name, value.parse().expect("header value"));
        }
        let response = s
            .client
            .request(case.method.clone(), format!("{base}{}", case.path))
            .headers(headers)
            .body(case.body.clone())
            .send()
            .await
            .expect("the gateway answers");
        let status = response.status().as_u16();
        let location = response.headers().get("location").cloned();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.bytes().await.expect("body");
        let kind_ok = match case.expect {
            Expect::Json(code) => {
                content_type.starts_with("application/json")
                    && serde_json::from_slice::<Value>(&body).is_ok_and(|json| json["error"] == code)
            }
            Expect::Html => content_type.starts_with("text/html") && body.starts_with(b"<!doctype html>"),
            Expect::Empty => body.is_empty(),
        };
        if status != case.status || !kind_ok || location.is_some() {
            failures.push(format!(
                "{}: {status} {content_type} {:?} location {location:?}",
                case.name,
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ));
        }
    }
    assert!(failures.is_empty(), "unexpected answers:\n{}", failures.join("\n"));

    // A body announced longer than what arrives.
    let address = base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.expect("connect");
    stream
        .write_all(
            b"POST /token HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/x-www-form-urlencoded\r\n\
              Content-Length: 100\r\n\r\ngrant_type=ref",
        )
        .await
        .expect("write");
    stream.shutdown().await.expect("half-close");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(
        answer.contains("application/json") && answer.contains("\"invalid_request\""),
        "{answer}"
    );

    // Nothing was stored by any of them.
    for table in [
        "sessions",
        "refresh_tokens",
        "authorization_codes",
        "password_tokens",
        "mail_outbox",
        "revoked_tokens",
    ] {
        assert_eq!(
            s.db.count(&format!("SELECT count(*) AS n FROM {table}")).await,
            0,
            "{table}"
        );
    }
    assert_eq!(s.db.count("SELECT count(*) AS n FROM accounts").await, 1);
}
