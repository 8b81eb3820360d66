//! Least privilege: the gateway connected as a role granted by `sync-worker migrate
//! --gateway-role` (`store::roles`) runs its journeys — sign-in, tokens, userinfo, refresh,
//! sign-up, export, deletion — and that role can change neither contacts nor the worker's
//! queues.

use reqwest::StatusCode;
use tests::{TestDatabase, spawn_gateway_with};

use crate::gateway_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_works_with_its_own_privileges_and_no_more() {
    let db = TestDatabase::create().await;
    let subject = seed_account(&db).await;
    let role = format!("gateway_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    db.execute(&format!("CREATE ROLE \"{role}\" LOGIN")).await;
    {
        let mut conn = db.pool.get().await.expect("connection");
        store::roles::grant_gateway(&mut conn, &role).await.expect("granted");
    }
    let (_, rest) = db.url.split_once("://").expect("url");
    let (_, host) = rest.split_once('@').expect("user in url");
    let as_role = format!("postgres://{role}@{host}");
    let gateway = spawn_gateway_with(&as_role, &["--clients-file", &clients_file()]).await;
    let s = Setup {
        db,
        gateway,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        subject,
    };

    // Sign-in, code, tokens, userinfo and a refresh: authentication state only.
    let (session, tokens) = shop_tokens(&s).await;
    let (status, refreshed) = token(
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
    assert_eq!(status, 200, "{refreshed}");
    let userinfo = s
        .client
        .get(format!("{}/userinfo", s.gateway.base_url))
        .bearer_auth(refreshed["access_token"].as_str().expect("access token"))
        .send()
        .await
        .expect("answers");
    assert_eq!(userinfo.status(), 200);

    // A sign-up creates an account and its verification link.
    let page = s
        .client
        .get(format!("{}/signup", s.gateway.base_url))
        .send()
        .await
        .expect("answers");
    let csrf = cookie_value(&cookie(&page, "__Host-csrf").expect("csrf"));
    let html = page.text().await.expect("html");
    let signed_up = s
        .client
        .post(format!("{}/signup", s.gateway.base_url))
        .header("cookie", format!("__Host-csrf={csrf}"))
        .form(&[
            ("csrf", hidden(&html, "csrf")),
            ("return_to", "/".to_owned()),
            ("email", "new.fan@example.net".to_owned()),
            ("password", "violet harbour at dusk".to_owned()),
            ("given_name", "Anna".to_owned()),
            ("family_name", "Muster".to_owned()),
            ("privacy", "yes".to_owned()),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(signed_up.status(), 200);
    assert_eq!(
        s.db.count("SELECT count(*) AS n FROM password_tokens WHERE purpose = 'verify'")
            .await,
        1
    );

    // The account page's export, then the deletion with its erasure request.
    let account = s
        .client
        .get(format!("{}/account", s.gateway.base_url))
        .header("cookie", format!("__Host-session={session}"))
        .send()
        .await
        .expect("answers");
    assert_eq!(account.status(), 200);
    let csrf = cookie_value(&cookie(&account, "__Host-csrf").expect("csrf"));
    let html = account.text().await.expect("html");
    let export = s
        .client
        .get(format!("{}/account/export", s.gateway.base_url))
        .header("cookie", format!("__Host-session={session}"))
        .send()
        .await
        .expect("answers");
    assert_eq!(export.status(), 200);
    let deleted = s
        .client
        .post(format!("{}/account/delete", s.gateway.base_url))
        .header("cookie", format!("__Host-csrf={csrf}; __Host-session={session}"))
        .form(&[
            ("csrf", hidden(&html, "csrf")),
            ("password", PASSWORD.to_owned()),
            ("confirm", "yes".to_owned()),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(deleted.status(), StatusCode::OK);
    assert_eq!(s.db.count("SELECT count(*) AS n FROM erasure_requests").await, 1);

    // What belongs to the worker is out of the role's reach.
    let mut conn = {
        use diesel_async::AsyncConnection;
        diesel_async::AsyncPgConnection::establish(&as_role)
            .await
            .expect("connects as the role")
    };
    for statement in [
        "UPDATE contacts SET first_name = 'Mallory'",
        "DELETE FROM contacts",
        "INSERT INTO mail_outbox (recipient, template) VALUES ('x@example.org', 'password-reset')",
        "UPDATE writeback_outbox SET state = 'done'",
        "UPDATE secutix_budget SET next_slot = now()",
        "DELETE FROM import_runs",
    ] {
        let refused = diesel_async::RunQueryDsl::execute(diesel::sql_query(statement), &mut conn).await;
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.to_string().contains("permission denied")),
            "{statement}: {refused:?}"
        );
    }
    drop(conn);
    drop(s.gateway);
    s.db.execute(&format!("DROP OWNED BY \"{role}\"")).await;
    s.db.execute(&format!("DROP ROLE \"{role}\"")).await;
}
