//! Checklist item 10 with an external peer: a relying party built on `jose`'s
//! `createRemoteJWKSet` (`tests/browser/jwks_peer.mjs`, which re-fetches the JWKS when a token
//! names a `kid` it does not know) keeps verifying ID tokens through a key rotation done as
//! `docs/operations.md` describes it, the gateway restarted on each step: the new key is
//! published, then made active while the old one stays published, then the old one is removed.

use std::process::Stdio;

use auth_gateway::keys::{KeyManifest, KeyState};
use reqwest::{StatusCode, redirect::Policy};
use serde_json::Value;
use tests::{Process, TestDatabase, sim::free_port, start_process};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::gateway_support::*;

/// A fresh development key pair (RS256 and ES256) under `name`, with `state`.
fn keys(name: &str, state: KeyState) -> KeyManifest {
    let dir = std::env::temp_dir().join(format!("rotation-keys-{}", uuid::Uuid::new_v4().simple()));
    let path = auth_gateway::keys::generate_development_keys(&dir).expect("keys generated");
    let mut manifest =
        KeyManifest::parse(&std::fs::read_to_string(&path).expect("manifest"), Some(&dir)).expect("a manifest");
    let _ = std::fs::remove_dir_all(&dir);
    for key in &mut manifest.keys {
        key.kid = format!("{name}-{}", key.alg.to_lowercase());
        key.state = state;
        key.file = None;
    }
    manifest
}

fn combined(parts: &[&KeyManifest]) -> String {
    let manifest = KeyManifest {
        keys: parts.iter().flat_map(|m| m.keys.clone()).collect(),
        sealing_keys: parts.first().map(|m| m.sealing_keys.clone()).unwrap_or_default(),
    };
    toml::to_string(&manifest).expect("manifest as TOML")
}

struct Gateway {
    db: TestDatabase,
    port: u16,
    clients: String,
}

impl Gateway {
    async fn start(&self, keys: String) -> Process {
        let base = format!("http://127.0.0.1:{}", self.port);
        let env = [
            ("DATABASE_URL", self.db.url.clone()),
            ("GATEWAY_ISSUER", base),
            ("GATEWAY_CLIENTS_FILE", self.clients.clone()),
            ("GATEWAY_KEYS", keys),
        ];
        start_process("auth-gateway", self.port, &[], &env).await
    }
}

/// Signs in at the gateway at `base` and redeems a code for the shop; returns its tokens.
async fn tokens(base: &str) -> (String, String) {
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client");
    let authorize = authorize_url(base, "shop", REDIRECT, &[]);
    let session = sign_in_at(&client, base, &authorize, PASSWORD)
        .await
        .expect("signed in");
    let response = client
        .get(&authorize)
        .header("cookie", format!("__Host-session={session}"))
        .send()
        .await
        .expect("authorize answers");
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()["location"].to_str().expect("location");
    let code = url::Url::parse(location)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code");
    let tokens: Value = client
        .post(format!("{base}/token"))
        .basic_auth("shop", Some(SHOP_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .expect("token answers")
        .json()
        .await
        .expect("json");
    (
        tokens["id_token"].as_str().expect("an ID token").to_owned(),
        tokens["access_token"].as_str().expect("an access token").to_owned(),
    )
}

fn kid(token: &str) -> String {
    jsonwebtoken::decode_header(token).expect("header").kid.expect("kid")
}

/// The peer process: one token per line in, one JSON verdict per line out.
struct Peer {
    _child: tokio::process::Child,
    input: tokio::process::ChildStdin,
    output: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl Peer {
    fn start(base: &str) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/browser/jwks_peer.mjs");
        let mut child = tokio::process::Command::new("node")
            .args([script, &format!("{base}/jwks.json"), base, "shop"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs the peer");
        let input = child.stdin.take().expect("stdin");
        let output = BufReader::new(child.stdout.take().expect("stdout")).lines();
        Self {
            _child: child,
            input,
            output,
        }
    }

    /// The peer's verdict on `line` (a token, or `forget` to drop its cached JWKS).
    async fn ask(&mut self, line: &str) -> Value {
        self.input
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("peer input");
        let answer = self.output.next_line().await.expect("peer output").expect("an answer");
        serde_json::from_str(&answer).expect("JSON verdict")
    }
}

async fn userinfo(base: &str, access_token: &str) -> StatusCode {
    reqwest::Client::new()
        .get(format!("{base}/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .expect("userinfo answers")
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_external_peer_follows_a_key_rotation_through_the_jwks() {
    let db = TestDatabase::create().await;
    seed_account(&db).await;
    let gateway = Gateway {
        db,
        port: free_port(),
        clients: clients_file(),
    };
    let base = format!("http://127.0.0.1:{}", gateway.port);
    let old = keys("old", KeyState::Active);
    let new = keys("new", KeyState::Published);
    let mut old_published = old.clone();
    let mut new_active = new.clone();
    for key in &mut old_published.keys {
        key.state = KeyState::Published;
    }
    for key in &mut new_active.keys {
        key.state = KeyState::Active;
    }

    // 1. The old key signs; the peer fetches the JWKS and verifies.
    let running = gateway.start(combined(&[&old])).await;
    let (old_id, old_access) = tokens(&base).await;
    assert_eq!(kid(&old_id), "old-rs256");
    let mut peer = Peer::start(&base);
    assert_eq!(peer.ask(&old_id).await["kid"], "old-rs256", "the peer verifies");
    drop(running);

    // 2. The new key is published before it signs anything.
    let running = gateway.start(combined(&[&old, &new])).await;
    let (id, _) = tokens(&base).await;
    assert_eq!(kid(&id), "old-rs256", "a published key signs nothing");
    drop(running);

    // 3. The new key signs; the old one stays published. The peer meets an unknown kid,
    //    re-fetches the JWKS and verifies; tokens of the old key still verify, at the peer and
    //    at the gateway.
    let running = gateway.start(combined(&[&new_active, &old_published])).await;
    let (new_id, new_access) = tokens(&base).await;
    assert_eq!(kid(&new_id), "new-rs256");
    assert_eq!(kid(&new_access), "new-es256");
    assert_eq!(
        peer.ask(&new_id).await["kid"],
        "new-rs256",
        "re-fetched on the unknown kid"
    );
    assert_eq!(
        peer.ask(&old_id).await["kid"],
        "old-rs256",
        "the old key still verifies"
    );
    assert_eq!(userinfo(&base, &old_access).await, StatusCode::OK);
    drop(running);

    // 4. The old key is removed: its tokens fail, at the gateway and at a peer that fetches the
    //    JWKS afresh; the new key's tokens still verify.
    let _running = gateway.start(combined(&[&new_active])).await;
    assert_eq!(userinfo(&base, &old_access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(userinfo(&base, &new_access).await, StatusCode::OK);
    peer.ask("forget").await;
    let verdict = peer.ask(&old_id).await;
    assert_eq!(verdict["ok"], false, "{verdict}");
    assert_eq!(verdict["code"], "ERR_JWKS_NO_MATCHING_KEY", "{verdict}");
    assert_eq!(peer.ask(&new_id).await["kid"], "new-rs256");
}
