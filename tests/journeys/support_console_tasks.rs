//! The console's actions as the fan and the operators notice them: a resent verification mail
//! arrives over SMTP and its link verifies the address; a failed write-back and a failed link,
//! retried, are done at the S-360 simulator by the running worker; a write-back conflict is
//! resolved either way (S-360's value kept, nothing pushed; or the fan's value pushed again and
//! winning); a reconciliation asked from the fan's page applies the drift S-360 holds and the
//! page shows it; an admin completes an erasure request, recorded with who and when.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use store::console::Role;
use tests::{SmtpServer, TestBroker, eventually, spawn_worker_with};

use crate::{
    gateway_support::{cookie, cookie_value, hidden},
    import_support::{secutix_flags, start_sim},
    support_console_support::*,
};

const NUMBER: &str = "0001234567";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resent_verification_mail_arrives_and_its_link_verifies_the_address() {
    let broker = TestBroker::create().await;
    let smtp = SmtpServer::start().await;
    let (c, _) = start_with(false, &broker.prefix).await;
    let _worker = spawn_worker_with(&broker.prefix, &c.db.url, &["--smtp-url", &smtp.url()]).await;
    let staff = add_staff(&c, "ana@club.example", Role::Support).await;
    let session = sign_in(&c, &staff, 0).await.expect("signs in");
    let action = format!("/fans/{}/resend-verification", c.fan);

    // A verified address gets no verification mail.
    let (_, page) = get(&c, &session, &format!("/fans/{}", c.fan)).await;
    assert!(
        !page.contains("/resend-verification\""),
        "no button for a verified address"
    );
    let (status, location) = post(&c, &session, &action, Some(&csrf(&session))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("/fans/{}?done=already_verified", c.fan).as_str())
    );
    assert_eq!(links(&c).await, 0);

    c.db.execute("UPDATE accounts SET email_verified = false").await;
    let (_, page) = get(&c, &session, &format!("/fans/{}", c.fan)).await;
    assert!(
        page.contains("/resend-verification\""),
        "the button for an address not verified"
    );
    let (status, location) = post(&c, &session, &action, Some(&csrf(&session))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("/fans/{}?done=verification", c.fan).as_str())
    );
    let prefix = format!("{}/signup/verify?token=", c.gateway.base_url);
    let mail = eventually(Duration::from_secs(20), "the mail arrives over SMTP", || async {
        smtp.messages()
            .into_iter()
            .find(|m| m.contains("jean.dupont@example.org") && m.contains(&prefix))
    })
    .await;
    let start = mail.find(&prefix).expect("the link");
    let link = mail[start..].split_whitespace().next().expect("link").to_owned();
    let page = c.client.get(&link).send().await.expect("the link answers");
    assert_eq!(page.status(), StatusCode::OK, "the link opens the verification page");
    let csrf_cookie = cookie_value(&cookie(&page, "__Host-csrf").expect("csrf cookie"));
    let html = page.text().await.expect("html");
    let confirmed = c
        .client
        .post(format!("{}/signup/verify", c.gateway.base_url))
        .header("cookie", format!("__Host-csrf={csrf_cookie}"))
        .form(&[
            ("csrf", hidden(&html, "csrf")),
            ("token", hidden(&html, "token")),
            ("return_to", hidden(&html, "return_to")),
        ])
        .send()
        .await
        .expect("answers");
    assert!(confirmed.status().is_redirection(), "{}", confirmed.status());
    assert_eq!(
        c.db.count("SELECT count(*) AS n FROM accounts WHERE email_verified")
            .await,
        1,
        "the address is verified"
    );
    assert_eq!(audited(&c, "resend_verification", "ok").await, 1);
    assert_eq!(
        audited(&c, "resend_verification", "failed").await,
        1,
        "the verified one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retried_tasks_and_resolved_conflicts_reach_s360_and_a_reconciliation_shows_its_drift() {
    let broker = TestBroker::create().await;
    let sim = start_sim(|_| {}).await;
    let s360 = &sim.state().store;
    s360.create(&json!({
        "contactNumber": NUMBER,
        "individualContact": { "firstname": "Jean", "lastname": "Dupont", "email": "jean.dupont@example.org", "role": "PUBLIC", "hasLogin": true },
    }))
    .expect("created");
    let (c, _) = start_with(false, &broker.prefix).await;
    let flags = secutix_flags(&sim);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let _worker = spawn_worker_with(&broker.prefix, &c.db.url, &flags).await;
    let staff = add_staff(&c, "ana@club.example", Role::Support).await;
    let session = sign_in(&c, &staff, 0).await.expect("signs in");
    let fan_page = format!("/fans/{NUMBER}");
    let s360_name = || {
        let contact = s360.get(NUMBER).expect("in S-360").contact;
        (
            contact["individualContact"]["firstname"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            contact["individualContact"]["lastname"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    };

    // S-360 changed her last name and no webhook said so: reconciling finds and applies it.
    let (_, page) = get(&c, &session, &fan_page).await;
    assert!(page.contains("Last reconciled") && page.contains("never"));
    s360.update(NUMBER, &json!({ "individualContact": { "lastname": "Martin" } }), None)
        .expect("changed in S-360");
    let (status, location) = post(&c, &session, &format!("{fan_page}/reconcile"), Some(&csrf(&session))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some(format!("{fan_page}?done=reconcile").as_str()));
    eventually(Duration::from_secs(20), "the drift applied", || async {
        let mirror = c.db.contact(NUMBER).await?;
        (mirror.last_name.as_deref() == Some("Martin")).then_some(())
    })
    .await;
    let (_, page) = get(&c, &session, &fan_page).await;
    assert!(page.contains("(found updated)"), "the page shows what it found");
    assert!(!page.contains("Last reconciled</dt><dd>never"));

    tasks_to_act_on(&c).await;
    let (_, page) = get(&c, &session, &fan_page).await;
    assert!(
        page.contains("value=\"writeback-1\""),
        "a retry for the failed write-back"
    );
    assert!(page.contains("value=\"link\""), "and for the failed link");

    let state_of = |id: i64| {
        let c = &c;
        async move {
            c.db.count(&format!(
                "SELECT count(*) AS n FROM writeback_outbox WHERE id = {id} AND state = 'done'"
            ))
            .await
                == 1
        }
    };

    // Conflict 2: S-360's value stands, nothing pushed. Conflict 3 (edited before S-360's
    // newer version): the fan's value is pushed again and wins.
    let resolve = |task: &'static str, keep: &'static str| {
        let session = session.clone();
        let path = format!("{fan_page}/conflict");
        let c = &c;
        async move {
            post_with(
                c,
                &session,
                &path,
                Some(&csrf(&session)),
                &[("task", task), ("keep", keep)],
            )
            .await
        }
    };
    let (status, location) = resolve("writeback-2", "s360").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some(format!("{fan_page}?done=kept_s360").as_str()));
    let (status, location) = resolve("writeback-3", "fan").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("{fan_page}?done=pushed_again").as_str())
    );
    eventually(Duration::from_secs(30), "the fan's change pushed", || async {
        state_of(3).await.then_some(())
    })
    .await;
    assert_eq!(s360_name(), ("Pushed again".to_owned(), "Martin".to_owned()));
    let mirror = c.db.contact(NUMBER).await.expect("mirrored");
    assert_eq!(
        mirror.first_name.as_deref(),
        Some("Pushed again"),
        "the mirror follows S-360"
    );
    let (status, _) = resolve("writeback-2", "fan").await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a resolved conflict is not resolved again"
    );

    // The failed write-back, retried, is pushed by the worker.
    let retry = |task: &'static str| {
        let session = session.clone();
        let path = format!("{fan_page}/retry");
        let c = &c;
        async move { post_with(c, &session, &path, Some(&csrf(&session)), &[("task", task)]).await }
    };
    let (status, location) = retry("writeback-1").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some(format!("{fan_page}?done=retried").as_str()));
    eventually(Duration::from_secs(30), "the retried change pushed", || async {
        state_of(1).await.then_some(())
    })
    .await;
    assert_eq!(s360_name(), ("Pushed again".to_owned(), "Retried".to_owned()));
    let (status, _) = retry("writeback-1").await;
    assert_eq!(status, StatusCode::CONFLICT, "a done task is not retried");

    // The failed link, retried, is made at S-360.
    let (status, _) = retry("link").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    eventually(Duration::from_secs(30), "the link made", || async {
        (task_states(&c).await.1 == "linked").then_some(())
    })
    .await;
    let contact = s360.get(NUMBER).expect("in S-360").contact;
    assert!(
        contact["socialConnections"].to_string().contains(&c.fan.to_string()),
        "S-360 holds the link: {contact}"
    );
    assert_eq!(task_states(&c).await.0, ["done", "dismissed", "done"]);
    assert!(
        !s360
            .get(NUMBER)
            .expect("in S-360")
            .contact
            .to_string()
            .contains("Kept out"),
        "the dismissed change was never pushed"
    );

    assert_eq!(audited(&c, "reconcile_contact", "ok").await, 1);
    assert_eq!(audited(&c, "retry_task", "ok").await, 2);
    assert_eq!(audited(&c, "resolve_conflict", "ok").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_completes_an_erasure_request_recorded_with_who_and_when() {
    let c = start().await;
    tasks_to_act_on(&c).await;
    let admin = add_staff(&c, "ada@club.example", Role::Admin).await;
    let session = sign_in(&c, &admin, 0).await.expect("signs in");
    let (status, page) = get(&c, &session, "/erasures").await;
    assert_eq!(status, 200);
    assert!(page.contains("0007654321") && page.contains("anonymise the contact"));
    assert!(page.contains("action=\"/erasures/1/complete\""));
    let (status, location) = post(&c, &session, "/erasures/1/complete", Some(&csrf(&session))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/erasures?done=1"));
    let recorded =
        c.db.count(
            "SELECT count(*) AS n FROM erasure_requests r JOIN staff_accounts s ON s.staff_id = r.completed_by \
             WHERE r.id = 1 AND s.email = 'ada@club.example' AND r.completed_at > now() - interval '1 minute'",
        )
        .await;
    assert_eq!(recorded, 1, "who and when");
    let (_, page) = get(&c, &session, "/erasures?done=1").await;
    assert!(!page.contains("0007654321"), "no longer listed");
    assert!(page.contains("The request is marked completed."));
    let (status, _) = post(&c, &session, "/erasures/1/complete", Some(&csrf(&session))).await;
    assert_eq!(status, StatusCode::CONFLICT, "completed once");
    assert_eq!(audited(&c, "complete_erasure", "ok").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fans_page_lists_her_passkeys_and_linked_providers_without_their_secrets() {
    let c = start().await;
    let viewer = add_staff(&c, "vic@club.example", Role::Viewer).await;
    let session = sign_in(&c, &viewer, 0).await.expect("signs in");
    let (_, page) = get(&c, &session, &format!("/fans/{}", c.fan)).await;
    assert!(
        page.contains("<h2>Passkeys</h2><p class=\"muted\">Nothing recorded"),
        "none yet"
    );
    ways_in(&c).await;
    let (_, page) = get(&c, &session, &format!("/fans/{}", c.fan)).await;
    let passkeys = &page[page.find("<h2>Passkeys</h2>").expect("the passkeys")..];
    assert!(passkeys.contains("<td>Work laptop</td>"), "{passkeys}");
    assert!(
        !passkeys.contains("<td>never</td></tr></tbody></table></div><h2>Linked"),
        "used once"
    );
    let providers = &page[page.find("<h2>Linked sign-in providers</h2>").expect("the providers")..];
    assert!(providers.contains("<td>google</td>"), "{providers}");
    assert!(providers.contains("<td>never</td>"), "never used to sign in yet");
    assert!(!page.contains("upstream-id-1"), "no upstream id shown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconciliation_asked_of_a_worker_without_the_s360_api_is_dead_lettered() {
    let broker = TestBroker::create().await;
    let (c, _) = start_with(false, &broker.prefix).await;
    let _worker = spawn_worker_with(&broker.prefix, &c.db.url, &[]).await;
    let staff = add_staff(&c, "ana@club.example", Role::Support).await;
    let session = sign_in(&c, &staff, 0).await.expect("signs in");
    let (status, _) = post(
        &c,
        &session,
        &format!("/fans/{NUMBER}/reconcile"),
        Some(&csrf(&session)),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    eventually(Duration::from_secs(20), "the command dead-lettered", || async {
        (broker.ready_count(&broker.topology.dead_letter_queue()).await == 1).then_some(())
    })
    .await;
    assert_eq!(
        c.db.count("SELECT count(*) AS n FROM contact_checks").await,
        0,
        "nothing checked"
    );
}
