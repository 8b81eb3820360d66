//! Checklist item 40 against the real binary: password hashing runs on a bounded number of
//! blocking threads, so fifty sign-ins at once keep the gateway's peak memory within a few
//! argon2id buffers (19 MiB each) rather than fifty, and every one of them still succeeds.

use reqwest::redirect::Policy;
use tests::{TestDatabase, sim::free_port, start_process};

use crate::gateway_support::*;

const PARALLEL: usize = 50;
const ARGON2_BUFFER: u64 = 19 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_parallel_sign_ins_keep_the_gateways_memory_bounded() {
    let db = TestDatabase::create().await;
    seed_account(&db).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let keys = std::env::temp_dir().join(format!("gateway-memory-keys-{}", uuid::Uuid::new_v4().simple()));
    let env = [
        ("DATABASE_URL", db.url.clone()),
        ("GATEWAY_ISSUER", base.clone()),
        ("GATEWAY_CLIENTS_FILE", clients_file()),
        ("GATEWAY_DEV_KEYS_DIR", keys.to_string_lossy().into_owned()),
        // Every one of the fifty must be served, also on a slow debug build (none is shed).
        ("GATEWAY_SIGNIN_WAIT", "120".to_owned()),
    ];
    let gateway = start_process("auth-gateway", port, &[], &env).await;
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client");
    let authorize = authorize_url(&base, "shop", REDIRECT, &[]);
    // One sign-in first: the pools, caches and one hashing buffer are allocated.
    sign_in_at(&client, &base, &authorize, PASSWORD)
        .await
        .expect("the first sign-in");
    let before = gateway.peak_memory();

    let sign_ins = (0..PARALLEL).map(|_| sign_in_at(&client, &base, &authorize, PASSWORD));
    let results = futures::future::join_all(sign_ins).await;
    let refused: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(refused.is_empty(), "every sign-in succeeds: {refused:?}");
    let growth = gateway.peak_memory().saturating_sub(before);
    println!(
        "peak memory grew by {} MiB under {PARALLEL} parallel sign-ins",
        growth >> 20
    );
    assert!(
        growth < 4 * ARGON2_BUFFER,
        "the peak grew by {} MiB under {PARALLEL} parallel sign-ins (unbounded hashing would take {} MiB)",
        growth >> 20,
        (PARALLEL as u64 * ARGON2_BUFFER) >> 20
    );
    let _ = std::fs::remove_dir_all(keys);
}
