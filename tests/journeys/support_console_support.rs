//! Shared steps of the support console tests: the gateway (with the console registered as its
//! staff client, and the fan of `gateway_support`), the console, staff accounts, and a staff
//! sign-in walked through as a browser would (console `/login`, the gateway's staff page with
//! password and a TOTP code computed here, the console's `/callback`).

use reqwest::{StatusCode, redirect::Policy};
use tests::{Running, TestDatabase};

use crate::gateway_support::{cookie, cookie_value, hidden, registry_file, seed_account, shop_client};

pub const CONSOLE_SECRET: &str = "console-secret-for-the-tests-only";
pub const STAFF_PASSWORD: &str = "staff password of the tests";

pub struct Console {
    pub db: TestDatabase,
    pub gateway: Running,
    pub console: Running,
    pub client: reqwest::Client,
    /// The fan of `gateway_support::seed_account` (jean.dupont@example.org).
    pub fan: uuid::Uuid,
}

/// A staff account created for a test, with its TOTP secret.
pub struct StaffMember {
    pub email: String,
    pub secret: Vec<u8>,
}

pub async fn start() -> Console {
    start_with(false, "").await.0
}

/// [`start`]; with `own_role`, the console connects as a role granted only the console's
/// privileges (`store::roles::grant_console`), whose URL is returned too; its mail goes to the
/// test broker's topology of `amqp_prefix`.
pub async fn start_with(own_role: bool, amqp_prefix: &str) -> (Console, String) {
    start_on_broker(own_role, amqp_prefix, &tests::amqp_url()).await
}

/// [`start_with`] on the broker at `amqp_url` (one that cannot be reached, for outages).
pub async fn start_on_broker(own_role: bool, amqp_prefix: &str, amqp_url: &str) -> (Console, String) {
    use clap::Parser;
    let db = TestDatabase::create().await;
    let console_db = if own_role {
        let role = format!("console_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        db.execute(&format!("CREATE ROLE \"{role}\" LOGIN")).await;
        let mut conn = db.pool.get().await.expect("connection");
        store::roles::grant_console(&mut conn, &role).await.expect("granted");
        let (_, rest) = db.url.split_once("://").expect("url");
        let (_, host) = rest.split_once('@').expect("user in url");
        format!("postgres://{role}@{host}")
    } else {
        db.url.clone()
    };
    let fan = seed_account(&db).await;
    let gateway_port = tests::sim::free_port();
    let console_port = tests::sim::free_port();
    let gateway_url = format!("http://127.0.0.1:{gateway_port}");
    let console_url = format!("http://127.0.0.1:{console_port}");
    let clients = registry_file(vec![
        shop_client(),
        auth_gateway::clients::Client {
            id: "support-console".into(),
            name: "Support console".into(),
            kind: auth_gateway::clients::ClientKind::Confidential,
            secret_hashes: vec![auth_gateway::clients::hash_secret(CONSOLE_SECRET)],
            redirect_uris: vec![format!("{console_url}/callback")],
            staff: true,
            ..Default::default()
        },
    ]);
    let gateway = spawn_gateway(&db, gateway_port, &clients).await;
    infra::telemetry::init_for_tests();
    let settings = support_console::Settings::try_parse_from([
        "support-console",
        "--listen-addr",
        &format!("127.0.0.1:{console_port}"),
        "--public-url",
        &console_url,
        "--issuer",
        &gateway_url,
        "--client-secret",
        CONSOLE_SECRET,
        "--database-url",
        &console_db,
        "--http-workers",
        "2",
        "--amqp-url",
        amqp_url,
        "--amqp-name-prefix",
        amqp_prefix,
    ])
    .expect("valid console settings");
    let cancel = tokio_util::sync::CancellationToken::new();
    let app = support_console::Application::build(settings, cancel.clone())
        .await
        .expect("console starts");
    let console = Running {
        base_url: console_url,
        cancel,
        task: Some(tokio::spawn(app.run_until_stopped())),
    };
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client");
    let console = Console {
        db,
        gateway,
        console,
        client,
        fan,
    };
    (console, console_db)
}

/// The gateway on `port`, its issuer naming that address (the console checks `iss`).
async fn spawn_gateway(db: &TestDatabase, port: u16, clients: &str) -> Running {
    use clap::Parser;
    infra::telemetry::init_for_tests();
    let keys = std::env::temp_dir().join(format!("gateway-test-keys-{}", uuid::Uuid::new_v4().simple()));
    let address = format!("127.0.0.1:{port}");
    let issuer = format!("http://{address}");
    let keys = keys.to_string_lossy();
    let argv = [
        "auth-gateway",
        "--listen-addr",
        &address,
        "--issuer",
        &issuer,
        "--database-url",
        &db.url,
        "--clients-file",
        clients,
        "--dev-keys-dir",
        &keys,
    ];
    let settings = auth_gateway::Settings::try_parse_from(argv).expect("valid gateway settings");
    let cancel = tokio_util::sync::CancellationToken::new();
    let app = auth_gateway::Application::build(settings, cancel.clone())
        .await
        .expect("gateway starts");
    Running {
        base_url: issuer,
        cancel,
        task: Some(tokio::spawn(app.run_until_stopped())),
    }
}

/// Creates a staff account straight in the database (the CLI path is tested on its own).
pub async fn add_staff(c: &Console, email: &str, role: store::console::Role) -> StaffMember {
    let secret = store::totp::new_secret().expect("randomness").to_vec();
    let hash = support_console::staff_add::hash_password(STAFF_PASSWORD).expect("hash");
    let mut conn = c.db.pool.get().await.expect("connection");
    let new = store::console::staff::NewStaff {
        email,
        name: "Ana Staff",
        role,
        password_hash: &hash,
        totp_secret: &secret,
    };
    store::console::staff::create(&mut conn, &new)
        .await
        .expect("insert")
        .expect("created");
    StaffMember {
        email: email.into(),
        secret,
    }
}

/// The TOTP code of the current step moved by `offset` (each sign-in spends a step).
pub fn totp(secret: &[u8], offset: i64) -> String {
    store::totp::code(secret, store::totp::step_at(chrono::Utc::now().timestamp()) + offset)
}

/// The gateway's staff page for a console sign-in: `(login cookie, csrf cookie, page html)`.
pub async fn staff_page(c: &Console, next: &str) -> (String, String, String) {
    let start = c
        .client
        .get(format!("{}/login?next={}", c.console.base_url, next))
        .send()
        .await
        .expect("console login");
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let login = cookie(&start, "__Host-console-login").expect("login cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax"] {
        assert!(login.contains(attribute), "{login}");
    }
    let authorize = start.headers()["location"].to_str().expect("location").to_owned();
    assert!(authorize.starts_with(&c.gateway.base_url), "{authorize}");
    let page = c.client.get(&authorize).send().await.expect("gateway authorize");
    assert_eq!(page.status(), StatusCode::OK, "the staff sign-in page");
    let csrf = cookie(&page, "__Host-csrf").expect("csrf cookie");
    assert!(cookie(&page, "__Host-session").is_none(), "no fan session for staff");
    (
        cookie_value(&login),
        cookie_value(&csrf),
        page.text().await.expect("html"),
    )
}

/// Posts the staff page; returns the gateway's answer.
pub async fn post_staff_page(
    c: &Console,
    csrf: &str,
    html: &str,
    email: &str,
    password: &str,
    code: &str,
) -> reqwest::Response {
    let form = [
        ("csrf", hidden(html, "csrf")),
        ("request", hidden(html, "request")),
        ("email", email.to_owned()),
        ("password", password.to_owned()),
        ("code", code.to_owned()),
    ];
    c.client
        .post(format!("{}/staff/login", c.gateway.base_url))
        .header("cookie", format!("__Host-csrf={csrf}"))
        .form(&form)
        .send()
        .await
        .expect("staff login answers")
}

/// A whole staff sign-in with the TOTP step moved by `offset`; the console's session cookie
/// value, or the status where it stopped.
pub async fn sign_in(c: &Console, staff: &StaffMember, offset: i64) -> Result<String, StatusCode> {
    sign_in_with_code(c, staff, &totp(&staff.secret, offset)).await
}

/// [`sign_in`] with a given authenticator code.
pub async fn sign_in_with_code(c: &Console, staff: &StaffMember, code: &str) -> Result<String, StatusCode> {
    let (login, csrf, html) = staff_page(c, "/").await;
    let answer = post_staff_page(c, &csrf, &html, &staff.email, STAFF_PASSWORD, code).await;
    if answer.status() != StatusCode::FOUND {
        return Err(answer.status());
    }
    let callback = answer.headers()["location"].to_str().expect("location").to_owned();
    assert!(
        callback.starts_with(&format!("{}/callback?", c.console.base_url)),
        "{callback}"
    );
    let done = c
        .client
        .get(&callback)
        .header("cookie", format!("__Host-console-login={login}"))
        .send()
        .await
        .expect("callback");
    if done.status() != StatusCode::OK {
        return Err(done.status());
    }
    let session = cookie(&done, "__Host-console").expect("console session cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(session.contains(attribute), "{attribute} missing: {session}");
    }
    Ok(cookie_value(&session))
}

/// GETs a console page with the session; `(status, html)`.
pub async fn get(c: &Console, session: &str, path: &str) -> (StatusCode, String) {
    let response = c
        .client
        .get(format!("{}{path}", c.console.base_url))
        .header("cookie", format!("__Host-console={session}"))
        .send()
        .await
        .expect("console answers");
    (response.status(), response.text().await.expect("body"))
}

/// POSTs a console form with the session and `csrf` (none when `None`); `(status, location)`.
pub async fn post(c: &Console, session: &str, path: &str, csrf: Option<&str>) -> (StatusCode, Option<String>) {
    post_with(c, session, path, csrf, &[]).await
}

/// [`post`] with the form's other `fields`.
pub async fn post_with(
    c: &Console,
    session: &str,
    path: &str,
    csrf: Option<&str>,
    fields: &[(&str, &str)],
) -> (StatusCode, Option<String>) {
    let mut form: Vec<(&str, &str)> = csrf.map(|t| vec![("csrf", t)]).unwrap_or_default();
    form.extend_from_slice(fields);
    let response = c
        .client
        .post(format!("{}{path}", c.console.base_url))
        .header("cookie", format!("__Host-console={session}"))
        .form(&form)
        .send()
        .await
        .expect("console answers");
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (response.status(), location)
}

/// The CSRF token of a session, as its pages carry it.
pub fn csrf(session: &str) -> String {
    support_console::session::csrf_token(session)
}

/// Locks the fan out as five wrong passwords at the gateway's sign-in form do.
pub async fn lock_fan(c: &Console) {
    let authorize =
        crate::gateway_support::authorize_url(&c.gateway.base_url, "shop", crate::gateway_support::REDIRECT, &[]);
    for _ in 0..5 {
        let refused =
            crate::gateway_support::sign_in_at(&c.client, &c.gateway.base_url, &authorize, "wrong password").await;
        assert!(refused.is_err());
    }
    assert_eq!(locked(c).await, 1, "the fan's account is locked");
    // The gateway writes the history off the sign-in's path: wait for it.
    let query = format!("SELECT count(*) AS n FROM sign_in_audit WHERE subject_id = '{}'", c.fan);
    tests::eventually(
        std::time::Duration::from_secs(10),
        "the failures in her history",
        || async { (c.db.count(&query).await >= 6).then_some(()) },
    )
    .await;
    // The source address was locked too (every test request comes from 127.0.0.1); only the
    // account's lock is the console's to lift, and the staff must still reach their page.
    c.db.execute("DELETE FROM login_throttle WHERE key LIKE 'address:%'")
        .await;
}

/// Opens a session at the gateway for the fan, as a sign-in does.
pub async fn fan_session(c: &Console) {
    let mut conn = c.db.pool.get().await.expect("connection");
    store::auth::sessions::create(&mut conn, c.fan, store::auth::method::AuthMethod::Password)
        .await
        .expect("session");
}

/// Locked throttle keys of the fan's account.
pub async fn locked(c: &Console) -> i64 {
    c.db
        .count("SELECT count(*) AS n FROM login_throttle WHERE key = 'account:jean.dupont@example.org' AND locked_until > now()")
        .await
}

/// Set-password links issued (a resend issues one).
pub async fn links(c: &Console) -> i64 {
    c.db.count("SELECT count(*) AS n FROM password_tokens").await
}

/// The fan's live sessions at the gateway.
pub async fn live_sessions(c: &Console) -> i64 {
    c.db.count("SELECT count(*) AS n FROM sessions WHERE revoked_at IS NULL")
        .await
}

/// Staff audit entries of `action` with `outcome`.
pub async fn audited(c: &Console, action: &str, outcome: &str) -> i64 {
    c.db.count(&format!(
        "SELECT count(*) AS n FROM staff_audit WHERE action = '{action}' AND outcome = '{outcome}'"
    ))
    .await
}

/// The fan's S-360 tasks as the actions find them: write-back 1 failed, 2 and 3 in conflict
/// (edited on a version S-360 has since replaced), the import's link failed; and one open
/// erasure request (of another, deleted account).
pub async fn tasks_to_act_on(c: &Console) {
    c.db.execute(
        "INSERT INTO writeback_outbox (id, command_id, contact_number, fields, base_modified_at, state, attempts, last_error) VALUES \
         (1, gen_random_uuid(), '0001234567', '{\"lastname\": \"Retried\"}', now(), 'failed', 1, 'http_400'), \
         (2, gen_random_uuid(), '0001234567', '{\"lastname\": \"Kept out\"}', now() - interval '1 hour', 'conflict', 1, 's360_newer'), \
         (3, gen_random_uuid(), '0001234567', '{\"firstname\": \"Pushed again\"}', now() - interval '1 hour', 'conflict', 1, 's360_newer')",
    )
    .await;
    c.db.execute(&format!(
        "INSERT INTO import_links (contact_number, subject_id, state, attempts, last_error) \
         VALUES ('0001234567', '{}', 'failed', 1, 'contact_already_linked')",
        c.fan
    ))
    .await;
    c.db.execute(
        "INSERT INTO erasure_requests (id, subject_id, contact_number, erased, pending) \
         VALUES (1, gen_random_uuid(), '0007654321', '[]', '{\"s360_contact\": \"x\", \"sso_link\": \"y\"}')",
    )
    .await;
}

/// The states of write-backs 1, 2 and 3, the link's, and whether erasure request 1 is open.
pub async fn task_states(c: &Console) -> (Vec<String>, String, bool) {
    #[derive(diesel::QueryableByName)]
    struct State {
        #[diesel(sql_type = diesel::sql_types::Text)]
        state: String,
    }
    use diesel_async::RunQueryDsl;
    let mut conn = c.db.pool.get().await.expect("connection");
    let states = |sql: &'static str| diesel::sql_query(sql);
    let writebacks: Vec<State> = states("SELECT state FROM writeback_outbox ORDER BY id")
        .load(&mut conn)
        .await
        .expect("write-backs");
    let link: Vec<State> = states("SELECT state FROM import_links")
        .load(&mut conn)
        .await
        .expect("link");
    let open =
        c.db.count("SELECT count(*) AS n FROM erasure_requests WHERE completed_at IS NULL")
            .await;
    (
        writebacks.into_iter().map(|s| s.state).collect(),
        link.into_iter().map(|s| s.state).collect(),
        open == 1,
    )
}

/// A passkey ("Work laptop", used once) and a linked Google identity for the fan.
pub async fn ways_in(c: &Console) {
    c.db.execute(&format!(
        "INSERT INTO passkeys (id, subject_id, credential_id, name, credential, backup_eligible, backup_state, last_used_at) \
         VALUES (gen_random_uuid(), '{}', '\\x0102', 'Work laptop', '{{}}', true, true, now())",
        c.fan
    ))
    .await;
    c.db.execute(&format!(
        "INSERT INTO federated_identities (provider_id, upstream_subject, subject_id, email_at_link) \
         VALUES ('google', 'upstream-id-1', '{}', 'jean.dupont@example.org')",
        c.fan
    ))
    .await;
}
