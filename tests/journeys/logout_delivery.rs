//! The back-channel logouts sent whenever a session ends: sign-out, a password change, a merge
//! and an anonymisation applied by the worker, an administrator's revocation; and their
//! delivery to an endpoint that answers 503 or refuses connections for a while ("sign out
//! everywhere" and account deletion: `gateway_account`).

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::Value;
use tests::{TestDatabase, eventually, relying_party::LogoutEndpoint};

use crate::{
    gateway_support::*,
    oidc_logout::{assert_signed_out, get, logout_url, setup_logout, verified, verify_logout_tokens},
    oidc_support::*,
};

/// Applies contact events as the worker's consumer does.
async fn apply(db: &TestDatabase, payloads: Vec<Value>) {
    let mut conn = AsyncPgConnection::establish(&db.url).await.expect("connection");
    let events: Vec<_> = payloads
        .into_iter()
        .enumerate()
        .map(|(i, payload)| tests::events::event(payload, chrono::Utc::now(), 1000 + i as u128))
        .collect();
    sync_worker::apply::apply_batch(&mut conn, &events)
        .await
        .expect("applied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_way_a_session_ends_reaches_the_relying_party() {
    let endpoint = LogoutEndpoint::start(0);
    let s = setup_logout(&endpoint).await;

    // A password change (the set-password link's last step).
    let (_, first) = shop_tokens(&s).await;
    let mut conn = AsyncPgConnection::establish(&s.db.url).await.expect("connection");
    store::auth::accounts::set_password(&mut conn, s.subject, "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA")
        .await
        .expect("password set");
    let after_reset = verified(&s, &endpoint, 1).await;
    assert_eq!(after_reset[0]["sid"], id_claims(&s, &first).await["sid"]);

    // A merge at S-360, applied by the worker: the absorbed contact's sessions end.
    seed_password(&s).await;
    let (_, second) = shop_tokens(&s).await;
    apply(
        &s.db,
        vec![
            tests::events::update("0009999999", "Head"),
            tests::events::merge("0001234567", "0009999999"),
        ],
    )
    .await;
    let after_merge = verified(&s, &endpoint, 2).await;
    assert_eq!(after_merge[1]["sid"], id_claims(&s, &second).await["sid"]);

    // An anonymisation: the account goes, and its sessions' relying parties hear of it first.
    let moved =
        s.db.count(&format!(
            "SELECT count(*) AS n FROM accounts WHERE subject_id = '{}' AND contact_number = '0009999999'",
            s.subject
        ))
        .await;
    assert_eq!(moved, 1, "the account moved to the head");
    let (_, third) = shop_tokens(&s).await;
    apply(&s.db, vec![tests::events::anonymise("0009999999")]).await;
    let after_anonymisation = verified(&s, &endpoint, 3).await;
    assert_eq!(after_anonymisation[2]["sid"], id_claims(&s, &third).await["sid"]);
    assert_eq!(s.db.count("SELECT count(*) AS n FROM accounts").await, 0);
}

/// Gives the account [`PASSWORD`] again (the test changed it).
async fn seed_password(s: &Setup) {
    let hash = auth_gateway::passwords::Passwords::new(1)
        .expect("hasher")
        .hash(PASSWORD)
        .await
        .expect("hash");
    s.db.execute(&format!(
        "UPDATE accounts SET password_hash = '{hash}' WHERE subject_id = '{}'",
        s.subject
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_is_retried_without_slowing_the_sign_out() {
    let endpoint = LogoutEndpoint::start(2);
    let s = setup_logout(&endpoint).await;
    let (session, _) = shop_tokens(&s).await;
    let started = Instant::now();
    let response = get(&s, &logout_url(&s, &[]), &session).await;
    assert_eq!(response.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(1));
    // Refused twice (1 s, then 2 s later), delivered at the third attempt.
    let logouts = verified(&s, &endpoint, 1).await;
    assert_eq!((logouts.len(), endpoint.refused()), (1, 2));
    let state =
        s.db.count("SELECT count(*) AS n FROM logout_deliveries WHERE state = 'delivered' AND attempts = 3")
            .await;
    assert_eq!(state, 1, "one row, delivered at the third attempt");
}

/// A back-channel logout endpoint started on `port` (once something else freed it); returns the
/// logout tokens it receives.
fn endpoint_on(port: u16) -> Arc<Mutex<Vec<String>>> {
    use actix_web::{App, HttpResponse, HttpServer, web};
    let received = Arc::new(Mutex::new(Vec::new()));
    let shared = received.clone();
    let server = HttpServer::new(move || {
        let shared = shared.clone();
        App::new().route(
            "/backchannel-logout",
            web::post().to(move |form: web::Form<std::collections::HashMap<String, String>>| {
                let shared = shared.clone();
                async move {
                    let token = form.get("logout_token").cloned().unwrap_or_default();
                    shared.lock().expect("lock").push(token);
                    HttpResponse::Ok().finish()
                }
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", port))
    .expect("the port is free again")
    .run();
    tokio::spawn(server);
    received
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_port_is_retried_without_slowing_the_sign_out_and_nothing_is_lost() {
    // A port nothing listens on: connections are refused, not answered 503.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let shop = auth_gateway::clients::Client {
        backchannel_logout_uri: Some(format!("http://127.0.0.1:{port}/backchannel-logout")),
        backchannel_logout_session_required: true,
        ..shop_client()
    };
    let s = setup_with_registry(&registry_file(vec![shop]), &[]).await;
    let (session, tokens) = shop_tokens(&s).await;
    let sid = id_claims(&s, &tokens).await["sid"].as_str().expect("sid").to_owned();
    let started = Instant::now();
    let response = get(&s, &logout_url(&s, &[]), &session).await;
    assert_eq!(response.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    assert_signed_out(&s, &session).await;

    // Refused, and retried: the delivery waits in the outbox with the reason.
    eventually(Duration::from_secs(10), "two refused attempts", || async {
        let refused =
            s.db.count(
                "SELECT count(*) AS n FROM logout_deliveries WHERE state = 'pending' AND attempts >= 2 \
                 AND last_error LIKE 'unreachable%'",
            )
            .await;
        (refused == 1).then_some(())
    })
    .await;

    // The endpoint comes up: the logout arrives, once.
    let received = endpoint_on(port);
    let tokens = eventually(
        Duration::from_secs(20),
        "the logout after the endpoint came up",
        || async {
            let tokens = received.lock().expect("lock").clone();
            (!tokens.is_empty()).then_some(tokens)
        },
    )
    .await;
    let logouts = verify_logout_tokens(&s, tokens).await;
    assert_eq!(logouts.len(), 1);
    assert_eq!(
        (logouts[0]["sid"].as_str(), logouts[0]["sub"].as_str()),
        (Some(sid.as_str()), Some(s.subject.to_string().as_str()))
    );
    eventually(Duration::from_secs(20), "the delivery recorded", || async {
        let delivered =
            s.db.count("SELECT count(*) AS n FROM logout_deliveries WHERE state = 'delivered' AND attempts >= 3")
                .await;
        (delivered == 1).then_some(())
    })
    .await;
    assert_eq!(
        s.db.count("SELECT count(*) AS n FROM logout_deliveries").await,
        1,
        "one row, nothing lost or doubled"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(received.lock().expect("lock").len(), 1, "delivered once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrators_revocation_reaches_the_relying_party() {
    let endpoint = LogoutEndpoint::start(0);
    let s = setup_logout(&endpoint).await;
    let (session, tokens) = shop_tokens(&s).await;
    let database = tests::database::database_args(&s.db.url);
    let whose = |email: &str| auth_gateway::sessions_admin::Whose {
        subject: None,
        email: Some(email.into()),
    };
    let unknown = auth_gateway::sessions_admin::run(
        auth_gateway::sessions_admin::SessionsCommand::End(whose("nobody@example.org")),
        &database,
    )
    .await;
    assert!(unknown.is_err(), "an unknown address is an error, not a silent success");
    let listed = auth_gateway::sessions_admin::run(
        auth_gateway::sessions_admin::SessionsCommand::List(whose("jean.dupont@example.org")),
        &database,
    )
    .await
    .expect("listed");
    let sid = id_claims(&s, &tokens).await["sid"].as_str().expect("sid").to_owned();
    assert!(
        listed.starts_with("1 live session(s)") && listed.contains(&sid),
        "{listed}"
    );
    let ended = auth_gateway::sessions_admin::run(
        auth_gateway::sessions_admin::SessionsCommand::End(whose("jean.dupont@example.org")),
        &database,
    )
    .await
    .expect("ended");
    assert!(ended.starts_with("ended 1 live session(s)"), "{ended}");
    assert_signed_out(&s, &session).await;
    let logouts = verified(&s, &endpoint, 1).await;
    assert_eq!(logouts[0]["sid"], sid.as_str());
    let (status, _) = token(
        &s,
        &[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                tokens["refresh_token"].as_str().expect("refresh token"),
            ),
        ],
        true,
    )
    .await;
    assert_eq!(status, 400, "the refresh token ended with the session");
}
