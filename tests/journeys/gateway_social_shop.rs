//! Social sign-in in Chromium from the simulated ticket shop (`tests/browser/social.mjs`), in
//! English, French and German: a new fan goes from the shop to "Continue with Google" on our
//! sign-in page, signs in at the upstream provider (oidc-provider), fills in the sign-up form
//! and lands back at the shop signed in; the "sign in to link" page and a cancelled sign-in
//! are met too, and every gateway page on the way passes axe-core with no serious or critical
//! violation. With `SCREENSHOTS=<dir>` the pages are written there (`docs/screenshots/`).

use std::time::Duration;

use serde_json::Value;
use tests::{
    TestDatabase,
    sim::{free_port, spawn_gateway_for_shops, spawn_sim_shop},
};

use crate::{
    gateway_support::seed_account,
    social_support::{start_upstream, upstreams_file},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_fans_sign_up_through_google_from_the_shop_and_land_signed_in_in_chromium() {
    let db = TestDatabase::create().await;
    seed_account(&db).await;
    let port = free_port();
    let issuer = format!("http://127.0.0.1:{port}");
    let upstream = start_upstream(&format!("{issuer}/login/social/google/callback"), "normal").await;
    let file = upstreams_file(&upstream.issuer);
    let sim = spawn_sim_shop(&issuer, true).await;
    let _gateway = spawn_gateway_for_shops(&db, port, &[&sim], &["--upstreams-file", &file]).await;

    let shop = format!("{}/shop", sim.base_url());
    let input = serde_json::json!({ "shop": shop, "base": issuer, "existing": "jean.dupont@example.org" });
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/browser/social.mjs");
    let run = tokio::process::Command::new("node")
        .args([script, &input.to_string()])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(240), run)
        .await
        .expect("Chromium finishes within 4 minutes")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = stdout
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("no report: {stdout} {}", String::from_utf8_lossy(&output.stderr)));
    assert!(report["error"].is_null(), "the script failed: {report:#}");

    let landed = report["landed"].as_array().expect("landed");
    assert_eq!(landed.len(), 3, "{report:#}");
    for fan in landed {
        assert!(
            fan["url"].as_str().is_some_and(|u| u.starts_with(&shop)),
            "at the shop: {fan}"
        );
        assert!(
            fan["text"].as_str().is_some_and(|t| t.contains("Signed in as Fan")),
            "signed in: {fan}"
        );
    }
    let pages = report["pages"].as_array().expect("pages");
    for (name, status) in [
        ("sign-in with providers", 200),
        ("sign-up through google", 200),
        ("sign-up through google errors", 422),
        ("account with google", 200),
        ("link after sign-in", 200),
        ("cancelled", 400),
    ] {
        for lang in ["en", "fr", "de"] {
            let page = pages
                .iter()
                .find(|p| p["page"] == name && p["lang"] == lang)
                .unwrap_or_else(|| panic!("{name} in {lang}: {pages:#?}"));
            assert_eq!(page["status"], status, "{page}");
            assert_eq!(page["html_lang"], lang, "{page}");
            assert_eq!(page["violations"], serde_json::json!([]), "{name} in {lang}: {page:#}");
        }
    }
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM federated_identities f JOIN accounts a USING (subject_id) WHERE a.email_verified"
        )
        .await,
        3,
        "one linked, verified account per new fan"
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM federated_identities f JOIN accounts a USING (subject_id) WHERE a.login_email = 'jean.dupont@example.org'").await, 0);
}
