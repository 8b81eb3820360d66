//! The console's guards on every action, each tested per action: a viewer gets 403 and nothing
//! changes; a form without this session's CSRF token is refused; a sign-in older than 5
//! minutes must be renewed first. Each refusal is itself in the audit log; completing an
//! erasure request is an admin's only. Also: the search's
//! queries run on indexes, and the command line creates a staff account who can sign in.

use reqwest::StatusCode;
use store::console::Role;

use crate::support_console_support::*;

/// A form's fields besides its CSRF token.
type Fields = &'static [(&'static str, &'static str)];

/// Every action: its path below `/fans/<fan>/` (or from the root when it starts with `/`),
/// its form's fields and its name in the audit.
const ACTIONS: [(&str, Fields, &str); 10] = [
    ("resend-mail", &[], "resend_mail"),
    ("unlock", &[], "lift_lock"),
    ("revoke-sessions", &[], "revoke_sessions"),
    ("resend-verification", &[], "resend_verification"),
    ("retry", &[("task", "writeback-1")], "retry_task"),
    ("retry", &[("task", "link")], "retry_task"),
    (
        "conflict",
        &[("task", "writeback-2"), ("keep", "s360")],
        "resolve_conflict",
    ),
    (
        "conflict",
        &[("task", "writeback-3"), ("keep", "fan")],
        "resolve_conflict",
    ),
    ("reconcile", &[], "reconcile_contact"),
    ("/erasures/1/complete", &[], "complete_erasure"),
];

fn path(c: &Console, action: &str) -> String {
    if action.starts_with('/') {
        action.to_owned()
    } else {
        format!("/fans/{}/{action}", c.fan)
    }
}

/// Locked, with a live session, an address not verified yet, S-360 tasks failed and in
/// conflict, an erasure request open: what the actions would change.
async fn fan_to_act_on(c: &Console) {
    lock_fan(c).await;
    fan_session(c).await;
    c.db.execute("UPDATE accounts SET email_verified = false").await;
    tasks_to_act_on(c).await;
}

async fn unchanged(c: &Console) {
    assert_eq!(locked(c).await, 1, "still locked");
    assert_eq!(live_sessions(c).await, 1, "her session stands");
    assert_eq!(links(c).await, 0, "no link was mailed");
    assert_eq!(
        task_states(c).await,
        (
            vec!["failed".to_owned(), "conflict".to_owned(), "conflict".to_owned()],
            "failed".to_owned(),
            true
        ),
        "no task retried or resolved, the erasure request still open"
    );
    let done = c
        .db
        .count("SELECT count(*) AS n FROM staff_audit WHERE outcome = 'ok' AND action NOT IN ('view_fan', 'view_erasures', 'sign_in')")
        .await;
    assert_eq!(done, 0, "no action recorded as done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_is_refused_every_action_and_nothing_changes() {
    let c = start().await;
    fan_to_act_on(&c).await;
    let viewer = add_staff(&c, "vic@club.example", Role::Viewer).await;
    let session = sign_in(&c, &viewer, 0).await.expect("signs in");
    let (status, page) = get(&c, &session, &format!("/fans/{}", c.fan)).await;
    assert_eq!(status, 200, "a viewer reads");
    assert!(!page.contains("/unlock\""), "and is shown no action");
    assert!(!page.contains("/retry\""), "nor a retry");
    for (action, fields, _) in ACTIONS {
        let (status, _) = post_with(&c, &session, &path(&c, action), Some(&csrf(&session)), fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{action}");
        unchanged(&c).await;
    }
    for (_, _, name) in ACTIONS {
        assert!(audited(&c, name, "refused").await >= 1, "{name} refused in the audit");
    }
    // Completing an erasure request is an admin's: support staff are refused it too.
    let sam = add_staff(&c, "sam@club.example", Role::Support).await;
    let support = sign_in(&c, &sam, 0).await.expect("signs in");
    let (_, erasures) = get(&c, &support, "/erasures").await;
    assert!(erasures.contains("0007654321"), "support staff read the open requests");
    assert!(!erasures.contains("/complete\""), "without the form");
    let (status, _) = post(&c, &support, "/erasures/1/complete", Some(&csrf(&support))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    unchanged(&c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_without_this_sessions_csrf_token_is_refused() {
    let c = start().await;
    fan_to_act_on(&c).await;
    let ana = add_staff(&c, "ana@club.example", Role::Admin).await;
    let bob = add_staff(&c, "bob@club.example", Role::Admin).await;
    let session = sign_in(&c, &ana, 0).await.expect("signs in");
    let other = sign_in(&c, &bob, 0).await.expect("signs in");
    for (action, fields, _) in ACTIONS {
        let path = path(&c, action);
        for token in [None, Some(""), Some(csrf(&other).as_str()), Some(session.as_str())] {
            let (status, _) = post_with(&c, &session, &path, token, fields).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{action} with {token:?}");
            unchanged(&c).await;
        }
    }
    assert_eq!(audited(&c, "lift_lock", "refused").await, 4);
    // Nor does a form without a session do anything.
    let (status, _) = post(
        &c,
        "no-such-session",
        &format!("/fans/{}/unlock", c.fan),
        Some(&csrf("no-such-session")),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    unchanged(&c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_sign_in_must_be_renewed_before_an_action() {
    let c = start().await;
    fan_to_act_on(&c).await;
    let ana = add_staff(&c, "ana@club.example", Role::Admin).await;
    let session = sign_in(&c, &ana, 0).await.expect("signs in");
    c.db.execute("UPDATE staff_sessions SET auth_time = now() - interval '6 minutes'")
        .await;
    for (action, fields, _) in ACTIONS {
        let token = csrf(&session);
        let mut form = vec![("csrf", token.as_str())];
        form.extend_from_slice(fields);
        let response = c
            .client
            .post(format!("{}{}", c.console.base_url, path(&c, action)))
            .header("cookie", format!("__Host-console={session}"))
            .form(&form)
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{action}");
        let html = response.text().await.expect("html");
        let back = if action.starts_with('/') {
            "%2Ferasures".to_owned()
        } else {
            format!("%2Ffans%2F{}", c.fan)
        };
        assert!(
            html.contains(&format!("href=\"/login?next={back}\"")),
            "asks to sign in again: {html}"
        );
        unchanged(&c).await;
    }
    assert_eq!(audited(&c, "revoke_sessions", "refused").await, 1);
    // Reading needs no fresh sign-in.
    let (status, _) = get(&c, &session, &format!("/fans/{}", c.fan)).await;
    assert_eq!(status, 200);
    // A fresh sign-in, and the action goes through.
    let fresh = sign_in(&c, &ana, 1).await.expect("signs in again");
    let (status, _) = post(&c, &fresh, &format!("/fans/{}/unlock", c.fan), Some(&csrf(&fresh))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(locked(&c).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_creates_a_staff_member_who_signs_in_with_the_printed_secret() {
    use clap::Parser;
    let c = start().await;
    let settings =
        support_console::Settings::try_parse_from(["support-console", "--database-url", &c.db.url]).expect("settings");
    let add = |email: &str, password: &str| support_console::cli::StaffAddArgs {
        email: email.into(),
        name: "Carla Support".into(),
        role: Role::Support,
        password: Some(password.to_owned().into()),
        totp_issuer: "Club support console".into(),
    };
    let printed = support_console::staff_add::run(&settings, &add("carla@club.example", STAFF_PASSWORD))
        .await
        .expect("created");
    let uri = printed
        .lines()
        .find_map(|l| l.strip_prefix("totp_uri: "))
        .expect("the provisioning URI");
    let uri = url::Url::parse(uri).expect("a URI");
    assert_eq!(uri.scheme(), "otpauth");
    let secret = uri
        .query_pairs()
        .find(|(k, _)| k == "secret")
        .expect("secret")
        .1
        .into_owned();
    let staff = StaffMember {
        email: "carla@club.example".into(),
        secret: base32_decode(&secret),
    };
    let session = sign_in(&c, &staff, 0).await.expect("signs in with the app's code");
    let (status, _) = get(&c, &session, "/").await;
    assert_eq!(status, 200);
    // The same address twice, or a short password, is refused.
    assert!(
        support_console::staff_add::run(&settings, &add("Carla@Club.example", STAFF_PASSWORD))
            .await
            .is_err()
    );
    assert!(
        support_console::staff_add::run(&settings, &add("dan@club.example", "short"))
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_works_with_its_own_privileges_and_no_more() {
    use diesel_async::{AsyncConnection, RunQueryDsl};
    let broker = tests::TestBroker::create().await;
    let (c, as_role) = start_with(true, &broker.prefix).await;
    fan_to_act_on(&c).await;
    let ana = add_staff(&c, "ana@club.example", Role::Admin).await;
    let session = sign_in(&c, &ana, 0).await.expect("signs in");
    let (status, _) = get(&c, &session, "/?q=dupont").await;
    assert_eq!(status, 200);
    let (status, _) = get(&c, &session, &format!("/fans/{}", c.fan)).await;
    assert_eq!(status, 200);
    for (action, fields, _) in ACTIONS {
        let (status, _) = post_with(&c, &session, &path(&c, action), Some(&csrf(&session)), fields).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{action}");
    }
    // Both mails (set-password, verification) issued a link; the older stops working.
    assert_eq!((locked(&c).await, live_sessions(&c).await, links(&c).await), (0, 0, 2));
    assert_eq!(
        task_states(&c).await,
        (
            vec!["pending".to_owned(), "dismissed".to_owned(), "pending".to_owned()],
            "pending".to_owned(),
            false
        ),
        "tasks due again, one conflict closed, one queued again, the erasure request completed"
    );
    assert_eq!(
        broker.ready_count(&broker.topology.commands_queue()).await,
        3,
        "both mails and the reconciliation went to the worker"
    );
    // A contact creation left ambiguous is searched and decided again.
    tests::TestDatabase::execute(&c.db, &format!(
        "INSERT INTO contact_creations (subject_id, state, attempts, last_error) VALUES ('{}', 'ambiguous', 2, '0000000001,0000000002')",
        c.fan
    ))
    .await;
    let (status, _) = post_with(
        &c,
        &session,
        &path(&c, "retry"),
        Some(&csrf(&session)),
        &[("task", "creation")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let due = c
        .db
        .count("SELECT count(*) AS n FROM contact_creations WHERE state = 'pending' AND attempts = 0 AND last_error IS NULL AND next_attempt_at <= now()")
        .await;
    assert_eq!(due, 1, "the creation is due again");
    let (status, _) = get(&c, &session, "/audit.jsonl").await;
    assert_eq!(status, 200);
    // The sync page reads the import runs and the reconciliations' reports with it too.
    let (status, page) = get(&c, &session, "/sync").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("No reconciliation has run."), "{page}");

    // The audit is insert-only for it, and contacts, accounts and the worker's queues are
    // out of its reach.
    let mut conn = diesel_async::AsyncPgConnection::establish(&as_role)
        .await
        .expect("connects as the role");
    for statement in [
        "UPDATE staff_audit SET outcome = 'ok'",
        "DELETE FROM staff_audit",
        "UPDATE contacts SET first_name = 'X'",
        "DELETE FROM accounts",
        "UPDATE accounts SET email_verified = true",
        "INSERT INTO mail_outbox (contact_number, recipient, template) VALUES ('1', 'a@b.c', 'x')",
        "UPDATE staff_accounts SET role = 'admin'",
        "UPDATE writeback_outbox SET fields = '{}'",
        "DELETE FROM writeback_outbox",
        "INSERT INTO writeback_outbox (command_id, contact_number, fields) VALUES (gen_random_uuid(), '1', '{}')",
        "UPDATE contact_creations SET contact_number = '1'",
        "DELETE FROM import_links",
        "UPDATE erasure_requests SET pending = '{}'",
        "DELETE FROM erasure_requests",
    ] {
        let refused = diesel::sql_query(statement)
            .execute(&mut conn)
            .await
            .expect_err(statement);
        assert!(
            refused.to_string().contains("permission denied"),
            "{statement}: {refused}"
        );
    }
}

fn base32_decode(text: &str) -> Vec<u8> {
    let (mut out, mut buffer, mut bits) = (Vec::new(), 0u32, 0u32);
    for c in text.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => panic!("not base32"),
        };
        buffer = (buffer << 5) | u32::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_form_of_search_runs_on_an_index() {
    use diesel_async::RunQueryDsl;
    use store::console::search::{Query, sql, value};
    let c = start().await;
    let mut conn = c.db.pool.get().await.expect("connection");
    // Tiny tables are scanned whatever the indexes; with scans priced out, the plan shows
    // whether an index can answer.
    diesel::sql_query("SET enable_seqscan = off")
        .execute(&mut conn)
        .await
        .expect("set");
    #[derive(diesel::QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        line: String,
    }
    for (query, indexes) in [
        (
            Query::Email("jean.dupont@example.org".into()),
            &["contacts_email_lower_idx", "accounts_login_email_idx"][..],
        ),
        (Query::Name("dupo".into()), &["contacts_name_trgm_idx"][..]),
        (Query::ContactNumber("0001234567".into()), &["contacts_pkey"][..]),
        (Query::Subject(c.fan), &["accounts_pkey"][..]),
    ] {
        let plan: Vec<Line> = diesel::sql_query(format!("EXPLAIN {}", sql(&query)))
            .bind::<diesel::sql_types::Text, _>(value(&query))
            .bind::<diesel::sql_types::BigInt, _>(26)
            .bind::<diesel::sql_types::BigInt, _>(0)
            .load(&mut conn)
            .await
            .expect("explain");
        let plan: String = plan.into_iter().map(|l| l.line + "\n").collect();
        for index in indexes {
            assert!(plan.contains(index), "{query:?} uses {index}:\n{plan}");
        }
    }
}
