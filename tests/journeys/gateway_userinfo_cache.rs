//! The `/userinfo` cache: repeated requests are answered from memory, yet revocation is visible
//! at the next request and changes made elsewhere (the worker's merges, anonymisations and
//! profile updates, another replica's revocations) within milliseconds, announced by the
//! database's notifications; two replicas share one database in the last test.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tests::eventually;

use crate::gateway_support::*;

/// How soon a change made through the database must be visible.
const AT_ONCE: Duration = Duration::from_millis(500);

async fn userinfo(s: &Setup, token: &str) -> (StatusCode, Value) {
    userinfo_at(s, &s.gateway.base_url, token).await
}

/// `/userinfo` of the gateway at `base` (another replica on the same database).
async fn userinfo_at(s: &Setup, base: &str, token: &str) -> (StatusCode, Value) {
    let response = s
        .client
        .get(format!("{base}/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .expect("answers");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Changes a contact's first name without firing triggers, as if a change were never announced.
async fn silently_rename(s: &Setup, name: &str) {
    s.db.execute(&format!(
        "DO $$ BEGIN PERFORM set_config('session_replication_role', 'replica', true); \
         UPDATE contacts SET first_name = '{name}'; END $$"
    ))
    .await;
}

/// Waits until answers come from memory: a change that is not announced stays unseen.
async fn until_cached(s: &Setup, token: &str) {
    until_cached_at(s, &s.gateway.base_url, token).await;
}

async fn until_cached_at(s: &Setup, base: &str, token: &str) {
    eventually(Duration::from_secs(10), "the cache to serve", || async {
        silently_rename(s, "Jean").await;
        userinfo_at(s, base, token).await;
        silently_rename(s, "Unannounced").await;
        let (_, body) = userinfo_at(s, base, token).await;
        silently_rename(s, "Jean").await;
        (body["given_name"] == "Jean").then_some(())
    })
    .await;
}

/// Polls until `userinfo` answers `status`, for at most [`AT_ONCE`].
async fn visible(s: &Setup, token: &str, status: StatusCode) {
    eventually(AT_ONCE, "the change at userinfo", || async {
        (userinfo(s, token).await.0 == status).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_answers_follow_announced_changes_merges_and_anonymisations() {
    let s = setup().await;
    let (_, tokens) = shop_tokens(&s).await;
    let access = tokens["access_token"].as_str().expect("access token");
    until_cached(&s, access).await;
    let metrics = s
        .client
        .get(format!("{}/metrics", s.gateway.base_url))
        .send()
        .await
        .expect("answers")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("auth_gateway_userinfo_cache_live 1"), "{metrics}");
    assert!(metrics.contains("auth_gateway_userinfo_cache_requests_total{result=\"hit\"}"));

    // A webhook update of the contact: the worker's upsert (INSERT … ON CONFLICT DO UPDATE).
    s.db.execute(
        "INSERT INTO contacts (contact_number, raw, version_time, version_event_id, source) \
         SELECT contact_number, raw, version_time, version_event_id, source FROM contacts \
         ON CONFLICT (contact_number) DO UPDATE SET first_name = 'Jeanne'",
    )
    .await;
    eventually(AT_ONCE, "the new name", || async {
        (userinfo(&s, access).await.1["given_name"] == "Jeanne").then_some(())
    })
    .await;

    // A merge, then (restored) an anonymisation: the token stops working.
    userinfo(&s, access).await;
    s.db.execute("UPDATE contacts SET state = 'merged', head_contact_number = '0009999999'")
        .await;
    visible(&s, access, StatusCode::UNAUTHORIZED).await;
    s.db.execute("UPDATE contacts SET state = 'active', head_contact_number = NULL")
        .await;
    visible(&s, access, StatusCode::OK).await;
    s.db.execute("UPDATE contacts SET state = 'anonymised', first_name = NULL")
        .await;
    visible(&s, access, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_and_password_changes_are_visible_at_the_next_request() {
    let s = setup().await;
    let (_, first) = shop_tokens(&s).await;
    let (_, second) = shop_tokens(&s).await;
    let access = first["access_token"].as_str().expect("access token");
    let other = second["access_token"].as_str().expect("access token");
    until_cached(&s, access).await;
    assert_eq!(userinfo(&s, other).await.0, StatusCode::OK);

    // Revoking the access token: refused at the very next request.
    let revoke = |token: String| {
        s.client
            .post(format!("{}/revoke", s.gateway.base_url))
            .basic_auth("shop", Some(SHOP_SECRET))
            .form(&[("token", token)])
            .send()
    };
    assert_eq!(revoke(access.to_owned()).await.expect("answers").status(), 200);
    assert_eq!(userinfo(&s, access).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(userinfo(&s, other).await.0, StatusCode::OK, "other tokens still work");

    // Revoking the grant (refresh token) ends its access tokens at once too.
    let refresh = second["refresh_token"].as_str().expect("refresh token");
    assert_eq!(revoke(refresh.to_owned()).await.expect("answers").status(), 200);
    assert_eq!(userinfo(&s, other).await.0, StatusCode::UNAUTHORIZED);

    // A password change elsewhere (another replica, or an operator) ends every grant.
    let (_, third) = shop_tokens(&s).await;
    let third = third["access_token"].as_str().expect("access token");
    assert_eq!(userinfo(&s, third).await.0, StatusCode::OK);
    assert_eq!(userinfo(&s, third).await.0, StatusCode::OK);
    s.db.execute("UPDATE refresh_tokens SET revoked_at = now() WHERE revoked_at IS NULL")
        .await;
    visible(&s, third, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_at_one_replica_reaches_the_cache_of_another() {
    let keys = std::env::temp_dir().join(format!("gateway-replicas-{}", uuid::Uuid::new_v4().simple()));
    let keys = keys.to_string_lossy().into_owned();
    let s = setup_with(&["--dev-keys-dir", &keys]).await;
    let other = tests::spawn_gateway_with(&s.db.url, &["--dev-keys-dir", &keys]).await;
    let (_, tokens) = shop_tokens(&s).await;
    let access = tokens["access_token"].as_str().expect("access token");
    until_cached_at(&s, &other.base_url, access).await;

    let revoked = s
        .client
        .post(format!("{}/revoke", s.gateway.base_url))
        .basic_auth("shop", Some(SHOP_SECRET))
        .form(&[("token", access)])
        .send()
        .await
        .expect("answers");
    assert_eq!(revoked.status(), 200);
    eventually(AT_ONCE, "the other replica to refuse the token", || async {
        (userinfo_at(&s, &other.base_url, access).await.0 == StatusCode::UNAUTHORIZED).then_some(())
    })
    .await;
}
