//! The new fan's whole way in, in Chromium: from the ticket shop to "Create an account", the
//! verification link from the mail, and back at the shop signed in, with S-360's contact
//! created once (by the shop at the first SSO sign-in in `shop` mode, or by the worker through
//! the contact API in `api` mode) and our account attached to it. Then the green path stays
//! green: a later shop sign-in, after the fan changed their e-mail with us and after S-360
//! changed it, signs in without S-360's "Link account" page or its e-mail mismatch.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tests::{
    SmtpServer, TestBroker, TestDatabase, eventually,
    sim::{SIM_SHOP_CLIENT_ID, SIM_SHOP_SECRET, free_port, spawn_gateway_for_shops, spawn_sim_posting_to},
    spawn_ingest, spawn_worker_with,
};

use crate::{
    gateway_support::{cookie, cookie_value, hidden, sign_in_as},
    signup_support::worker_flags,
    sim_shop::{browser, me, through_the_provider},
};

const FAN: &str = "anna.muster@example.net";
const FAN_PASSWORD: &str = "violet harbour at dusk";

/// The simulated shop signs the fan in silently with the gateway session; its shop session
/// (the green path), or the status of the page it showed instead.
async fn shop_sign_in(
    client: &reqwest::Client,
    sim: &secutix_sim::SimHandle,
    session: &str,
) -> Result<String, StatusCode> {
    let answer = through_the_provider(client, sim, "/shop", session).await;
    match cookie(&answer, "shop_session") {
        Some(set) => Ok(cookie_value(&set)),
        None => Err(answer.status()),
    }
}

/// The contacts S-360 holds with `email`.
fn contacts_with(sim: &secutix_sim::SimHandle, email: &str) -> Vec<Value> {
    sim.state()
        .store
        .list()
        .into_iter()
        .map(|record| record.contact)
        .filter(|c| {
            c["individualContact"]["email"]
                .as_str()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
        .collect()
}

async fn change_email(client: &reqwest::Client, base: &str, session: &str, email: &str) {
    let page = client
        .get(format!("{base}/account/email"))
        .header("cookie", format!("__Host-session={session}"))
        .send()
        .await
        .expect("answers");
    let csrf = cookie_value(&cookie(&page, "__Host-csrf").expect("csrf"));
    let html = page.text().await.expect("html");
    let answer = client
        .post(format!("{base}/account/email"))
        .header("cookie", format!("__Host-csrf={csrf}; __Host-session={session}"))
        .form(&[
            ("csrf", hidden(&html, "csrf")),
            ("email", email.to_owned()),
            ("password", FAN_PASSWORD.to_owned()),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(answer.status(), 200);
}

async fn use_email_link(client: &reqwest::Client, smtp: &SmtpServer, email: &str) {
    let mail = eventually(Duration::from_secs(20), "the link to the new address", || async {
        smtp.messages()
            .into_iter()
            .find(|m| m.contains(email) && m.contains("/account/email/verify?token="))
    })
    .await;
    let link = mail
        .split_whitespace()
        .find(|w| w.starts_with("http") && w.contains("/account/email/verify?token="))
        .expect("the link")
        .to_owned();
    let page = client.get(&link).send().await.expect("answers");
    let csrf = cookie_value(&cookie(&page, "__Host-csrf").expect("csrf"));
    let html = page.text().await.expect("html");
    let base = &link[..link.find("/account").expect("path")];
    let answer = client
        .post(format!("{base}/account/email/verify"))
        .header("cookie", format!("__Host-csrf={csrf}"))
        .form(&[("csrf", hidden(&html, "csrf")), ("token", hidden(&html, "token"))])
        .send()
        .await
        .expect("answers");
    assert_eq!(answer.status(), 200, "the address changes");
}

async fn journey(mode: &str) {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let smtp = SmtpServer::start().await;
    let ingest = spawn_ingest(&broker.prefix, None, &["--dedup-window", "0"]).await;
    let port = free_port();
    let issuer = format!("http://127.0.0.1:{port}");
    let sim = spawn_sim_posting_to(&format!("{}/webhooks/secutix/contacts", ingest.base_url), |c| {
        c.shop.shop_issuer = Some(issuer.parse().expect("url"));
        c.shop.shop_client_id = SIM_SHOP_CLIENT_ID.into();
        c.shop.shop_client_secret = Some(SIM_SHOP_SECRET.to_owned().into());
        c.shop.shop_exclusive = true;
        c.webhook.webhook_interval = Duration::from_millis(500);
    })
    .await;
    let _gateway = spawn_gateway_for_shops(&db, port, &[&sim], &["--amqp-name-prefix", &broker.prefix]).await;
    let mut flags = worker_flags(&sim, mode);
    flags.extend(["--smtp-url".to_owned(), smtp.url()]);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let _worker = spawn_worker_with(&broker.prefix, &db.url, &flags).await;

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/browser/signup.mjs");
    let shop = format!("{}/shop", sim.base_url());
    let maildir = smtp.maildir().to_string_lossy().into_owned();
    let run = tokio::process::Command::new("node")
        .args([script, &shop, &maildir, FAN, FAN_PASSWORD])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("Chromium finishes within 2 minutes")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let seen: Value = stdout
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("no report: {stdout} {}", String::from_utf8_lossy(&output.stderr)));
    assert!(
        seen["signInPage"].as_str().is_some_and(|u| u.starts_with(&issuer)),
        "{seen}"
    );
    assert_eq!(seen["afterSignUp"], "Consultez votre messagerie", "{seen}");
    assert!(seen["landed"].as_str().is_some_and(|u| u.starts_with(&shop)), "{seen}");
    assert!(
        seen["text"]
            .as_str()
            .is_some_and(|t| t.contains("Signed in as Anna Muster")),
        "the shop shows her signed in: {seen}"
    );

    // One contact at S-360, linked to her subject, and her account attached to it.
    eventually(Duration::from_secs(30), "the account attached", || async {
        let rows = db
            .count(&format!(
                "SELECT count(*) AS n FROM accounts WHERE login_email = '{FAN}' AND contact_number IS NOT NULL"
            ))
            .await;
        (rows == 1).then_some(())
    })
    .await;
    let contacts = contacts_with(&sim, FAN);
    assert_eq!(contacts.len(), 1, "exactly one contact at S-360: {contacts:#?}");
    let number = contacts[0]["contactNumber"].as_str().expect("number").to_owned();
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM accounts a JOIN contact_creations c USING (subject_id) \
             WHERE a.contact_number = '{number}' AND c.state = 'attached'"
        ))
        .await,
        1
    );

    // The second sign-in is S-360's green path.
    let client = browser();
    let base = issuer.clone();
    let session = sign_in_as(
        &client,
        &base,
        &format!("{base}/login?return_to=%2F"),
        FAN,
        FAN_PASSWORD,
    )
    .await
    .expect("signed in at the gateway");
    let shop_session = shop_sign_in(&client, &sim, &session).await.expect("green path");
    assert_eq!(
        me(&client, &sim, &shop_session).await.1["contactNumber"],
        number.as_str()
    );

    // She changes her address with us: after the write-back, the shop's cross-check agrees.
    let moved = "anna.new@example.net";
    change_email(&client, &base, &session, moved).await;
    use_email_link(&client, &smtp, moved).await;
    eventually(Duration::from_secs(30), "the write-back to S-360", || async {
        (contacts_with(&sim, moved).len() == 1).then_some(())
    })
    .await;
    let shop_session = shop_sign_in(&client, &sim, &session)
        .await
        .expect("green path after her change");
    assert_eq!(
        me(&client, &sim, &shop_session).await.1["contactNumber"],
        number.as_str()
    );

    // S-360 changes it: the login follows, and the shop's cross-check agrees again.
    let master = "anna.box-office@example.net";
    sim.state()
        .store
        .update(
            &number,
            &serde_json::json!({ "individualContact": { "email": master } }),
            None,
        )
        .expect("changed at S-360");
    eventually(Duration::from_secs(30), "the login following S-360", || async {
        let n = db
            .count(&format!(
                "SELECT count(*) AS n FROM accounts WHERE login_email = '{master}'"
            ))
            .await;
        (n == 1).then_some(())
    })
    .await;
    let session = sign_in_as(
        &client,
        &base,
        &format!("{base}/login?return_to=%2F"),
        master,
        FAN_PASSWORD,
    )
    .await
    .expect("signed in with the address S-360 gave");
    let shop_session = shop_sign_in(&client, &sim, &session)
        .await
        .expect("green path after S-360's change");
    assert_eq!(
        me(&client, &sim, &shop_session).await.1["contactNumber"],
        number.as_str()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_fan_signs_up_from_the_shop_in_chromium_and_the_shop_creates_her_contact() {
    journey("shop").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_fan_signs_up_from_the_shop_in_chromium_and_the_worker_creates_her_contact() {
    journey("api").await;
}
