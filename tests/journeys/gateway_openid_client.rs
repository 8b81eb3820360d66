//! An independent relying party completes against the gateway: `openid-client`, an OpenID
//! Certified library (`tests/browser/openid_client_rp.mjs`), signs the fan in with code + PKCE
//! for the confidential shop (client_secret_basic, the ID token's signature checked through
//! the JWKS, userinfo), asks for a re-authentication with `max_age=0`, refreshes, and signs
//! out with RP-initiated logout, after which `prompt=none` over the old session is refused,
//! against the running `auth-gateway` binary.
//!
//! The gateway listens on a free port while its issuer stays `http://127.0.0.1:8080`, as in
//! every test: the script discovers the issuer and validates `iss` against it, and rewrites the
//! origin of every request to the port the gateway listens on (see the script's header).

use std::time::Duration;

use serde_json::Value;
use tests::{TestDatabase, start_process};

use crate::gateway_support::*;

const ISSUER: &str = "http://127.0.0.1:8080";

/// The relying party's callback. Without a query: openid-client derives the token request's
/// `redirect_uri` from the callback URL with every query parameter stripped, so the S-360
/// shop's `?client_name=IDP` URI would only match with its request rewritten.
const RP_REDIRECT: &str = "https://shop.example.org/openid-client/callback";

const POST_LOGOUT: &str = "https://shop.example.org/signed-out";

/// A registry with the confidential shop, registered with [`RP_REDIRECT`] and a post-logout
/// redirect URI (and no front-channel page, so the sign-out redirects at once); returns its
/// path.
fn registry() -> String {
    registry_file(vec![auth_gateway::clients::Client {
        redirect_uris: vec![RP_REDIRECT.into()],
        post_logout_redirect_uris: vec![POST_LOGOUT.into()],
        ..shop_client()
    }])
}

/// Runs the relying party against the gateway at `base`; returns the outcome of each step,
/// failing with the step the script stopped at and its error.
async fn relying_party(base: &str) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/browser/openid_client_rp.mjs");
    let input = serde_json::json!({
        "base": base,
        "issuer": ISSUER,
        "client_id": "shop",
        "client_secret": SHOP_SECRET,
        "redirect_uri": RP_REDIRECT,
        "post_logout_redirect_uri": POST_LOGOUT,
        "email": "Jean.Dupont@example.org",
        "password": PASSWORD,
    });
    let run = tokio::process::Command::new("node")
        .args([script, &input.to_string()])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the relying party finishes within 2 minutes")
        .expect("node runs the relying party");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report: Value = stdout
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("no JSON report from the relying party; stdout: {stdout}; stderr: {stderr}"));
    assert!(
        output.status.success() && report["ok"] == true,
        "openid-client failed at step {}: {} ({}); stderr: {stderr}",
        report["step"],
        report["error"],
        report["code"],
    );
    report["steps"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_client_signs_in_reauthenticates_refreshes_and_signs_out() {
    let db = TestDatabase::create().await;
    let subject = seed_account(&db).await.to_string();
    let clients = registry();
    // The binary a deployment runs, not the library in this process.
    let keys = std::env::temp_dir().join(format!("gateway-test-keys-{}", uuid::Uuid::new_v4().simple()));
    let keys = keys.to_string_lossy().into_owned();
    let mut gateway = start_process(
        "auth-gateway",
        tests::sim::free_port(),
        &[
            "--database-url",
            &db.url,
            "--clients-file",
            &clients,
            "--dev-keys-dir",
            &keys,
        ],
        &[("AMQP_URL", tests::amqp_url())],
    )
    .await;

    let steps = relying_party(&gateway.url).await;

    // 1. Code + PKCE: openid-client checked the callback's state and iss, the ID token's
    //    signature (it fetched the JWKS for it), iss, aud and nonce; userinfo agrees on sub.
    let sign_in = &steps["sign_in"];
    assert_eq!(
        sign_in["sign_in_shown"], true,
        "step 1 (sign-in): the sign-in page first: {sign_in}"
    );
    assert_eq!(
        sign_in["sub"],
        subject.as_str(),
        "step 1 (sign-in): the fan's subject: {sign_in}"
    );
    assert_eq!(sign_in["iss"], ISSUER, "step 1 (sign-in): iss: {sign_in}");
    assert_eq!(sign_in["aud"], "shop", "step 1 (sign-in): aud: {sign_in}");
    assert_eq!(
        sign_in["nonce"], sign_in["nonce_sent"],
        "step 1 (sign-in): nonce: {sign_in}"
    );
    assert_eq!(
        sign_in["token_type"], "bearer",
        "step 1 (sign-in): token type: {sign_in}"
    );
    assert_eq!(
        sign_in["has_refresh_token"], true,
        "step 1 (sign-in): a refresh token: {sign_in}"
    );
    assert_eq!(
        sign_in["userinfo_sub"],
        subject.as_str(),
        "step 1 (sign-in): userinfo sub: {sign_in}"
    );
    assert_eq!(
        sign_in["userinfo_email"], "jean.dupont@example.org",
        "step 1 (sign-in): userinfo email: {sign_in}"
    );
    let fetched: Vec<&str> = sign_in["fetched"]
        .as_array()
        .map(|paths| paths.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for path in ["/token", "/jwks.json", "/userinfo"] {
        assert!(
            fetched.contains(&path),
            "step 1 (sign-in): openid-client fetched {path}: {fetched:?}"
        );
    }

    // 2. max_age=0 over the live session: the sign-in page again, and a later auth_time.
    let again = &steps["reauthentication"];
    assert_eq!(
        again["sign_in_shown"], true,
        "step 2 (re-authentication): the session alone does not answer max_age=0: {again}"
    );
    assert_eq!(
        again["sub"],
        subject.as_str(),
        "step 2 (re-authentication): sub: {again}"
    );
    let (first_time, second_time) = (sign_in["auth_time"].as_i64(), again["auth_time"].as_i64());
    assert!(
        first_time.is_some() && second_time > first_time,
        "step 2 (re-authentication): auth_time {second_time:?} later than {first_time:?}"
    );

    // 3. The refresh token grant: a new access token that userinfo accepts, a rotated
    //    refresh token.
    let refresh = &steps["refresh"];
    assert_eq!(
        refresh["new_access_token"], true,
        "step 3 (refresh): a new access token: {refresh}"
    );
    assert_eq!(
        refresh["rotated"], true,
        "step 3 (refresh): the refresh token rotated: {refresh}"
    );
    assert_eq!(
        refresh["userinfo_sub"],
        subject.as_str(),
        "step 3 (refresh): userinfo sub: {refresh}"
    );

    // 4. RP-initiated logout: straight to the registered URI with the state, the cookie
    //    cleared; the ended session no longer answers prompt=none.
    let logout = &steps["logout"];
    assert_eq!(
        logout["had_session"], true,
        "step 4 (logout): signed in before: {logout}"
    );
    assert_eq!(
        logout["status"], 302,
        "step 4 (logout): a redirect, no front-channel page: {logout}"
    );
    let state = logout["state_sent"].as_str().unwrap_or_default();
    assert_eq!(
        logout["location"],
        format!("{POST_LOGOUT}?state={state}").as_str(),
        "step 4 (logout): to the post-logout URI with the state: {logout}"
    );
    assert_eq!(
        logout["session_cleared"], true,
        "step 4 (logout): the session cookie cleared: {logout}"
    );
    assert_eq!(
        logout["prompt_none"], "login_required",
        "step 4 (logout): prompt=none with the old session: {logout}"
    );

    // SIGTERM: the binary drains and exits cleanly.
    let pid = gateway.child.id().expect("the gateway runs").to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    let status = tokio::time::timeout(Duration::from_secs(20), gateway.child.wait())
        .await
        .expect("the gateway stops within 20 s")
        .expect("its exit status");
    assert!(status.success(), "a clean exit: {status}");
}
