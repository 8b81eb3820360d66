//! Social sign-in's linking rules against the real upstream provider: a verified address that
//! has an account is never linked on its own (the fan must sign in to THAT account first, in
//! the same browser, by password or by a mailed code), an unverified address never links nor
//! creates anything, and a provider cannot be unlinked while it is the account's last way in.

use reqwest::StatusCode;

use crate::{
    gateway_support::*,
    social_support::{
        ISSUER, Jar, get, location, post, sign_up, social, start_upstream, through_google, upstreams_file,
    },
};

const JEAN: &str = "jean.dupont@example.org";

fn linked(subject: &str) -> String {
    format!("SELECT count(*) AS n FROM federated_identities WHERE subject_id = '{subject}'")
}

/// Signs in with Jean's password in `browser` (its CSRF cookie from the sign-in page).
async fn password_sign_in(s: &Setup, browser: &mut Jar, email: &str) -> reqwest::Response {
    let page = get(
        &s.client,
        browser,
        &format!("{}/login?return_to=%2F", s.gateway.base_url),
    )
    .await;
    let html = page.text().await.expect("html");
    post(
        &s.client,
        browser,
        &format!("{}/login", s.gateway.base_url),
        &[
            ("csrf", &hidden(&html, "csrf")),
            ("return_to", "/"),
            ("email", email),
            ("password", PASSWORD),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_accounts_address_links_only_after_signing_in_to_that_account() {
    let g = social("normal").await;
    let s = &g.s;
    let subject = s.subject.to_string();
    let mut browser = Jar::default();
    let answer = through_google(s, &mut browser, "/", JEAN, true).await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(
        cookie(&answer, "__Host-session").is_none(),
        "never signed in on the address alone"
    );
    let page = answer.text().await.expect("html");
    assert!(
        page.contains("You already have an account") && page.contains(JEAN),
        "{page}"
    );
    assert_eq!(s.db.count(&linked(&subject)).await, 0, "not linked yet");

    // Another browser signing in to Jean's account links nothing.
    let mut elsewhere = Jar::default();
    assert_eq!(
        password_sign_in(s, &mut elsewhere, JEAN).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(s.db.count(&linked(&subject)).await, 0);

    // This browser proves the account: linked.
    let answer = password_sign_in(s, &mut browser, JEAN).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert!(browser.get("__Host-federation").is_none(), "the pending link is spent");
    assert_eq!(s.db.count(&linked(&subject)).await, 1, "linked after the sign-in");

    // From then on Google signs Jean in, anywhere.
    let mut phone = Jar::default();
    let answer = through_google(s, &mut phone, "/", JEAN, true).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let session = phone.get("__Host-session").expect("signed in").to_owned();
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    assert!(
        redirect_params(s, &authorize, Some(&session))
            .await
            .contains_key("code")
    );
    assert_eq!(
        s.db.count(&format!(
            "SELECT count(*) AS n FROM sessions WHERE subject_id = '{subject}' AND auth_method = 'fed'"
        ))
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mailed_code_sign_in_to_that_account_links_it_too() {
    let broker = tests::TestBroker::create().await;
    let smtp = tests::SmtpServer::start().await;
    let upstream = start_upstream(&format!("{ISSUER}/login/social/google/callback"), "normal").await;
    let file = upstreams_file(&upstream.issuer);
    let s = setup_with(&["--upstreams-file", &file, "--amqp-name-prefix", &broker.prefix]).await;
    let _worker = tests::spawn_worker_with(&broker.prefix, &s.db.url, &["--smtp-url", &smtp.url()]).await;
    let mut browser = Jar::default();
    let answer = through_google(&s, &mut browser, "/", JEAN, true).await;
    assert_eq!(answer.status(), StatusCode::OK, "asked to sign in to the account first");

    let form = get(&s.client, &mut browser, &format!("{}/login/code", s.gateway.base_url)).await;
    let html = form.text().await.expect("html");
    let url = format!("{}/login/code", s.gateway.base_url);
    let asked = post(
        &s.client,
        &mut browser,
        &url,
        &[("csrf", &hidden(&html, "csrf")), ("return_to", "/"), ("email", JEAN)],
    )
    .await;
    assert_eq!(asked.status(), 200);
    let code = tests::eventually(std::time::Duration::from_secs(20), "the code mail", || async {
        smtp.messages().into_iter().find_map(|m| {
            let at = m.find("/login/code/verify?code=")? + "/login/code/verify?code=".len();
            Some(m[at..at + 8].to_owned())
        })
    })
    .await;
    assert_eq!(s.db.count(&linked(&s.subject.to_string())).await, 0);
    let csrf = browser.get("__Host-csrf").expect("csrf").to_owned();
    let url = format!("{}/login/code/verify", s.gateway.base_url);
    let answer = post(
        &s.client,
        &mut browser,
        &url,
        &[("csrf", &csrf), ("return_to", "/"), ("code", &code)],
    )
    .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER, "signed in with the code");
    assert_eq!(
        s.db.count(&linked(&s.subject.to_string())).await,
        1,
        "and Google linked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unverified_address_never_links_nor_creates_an_account() {
    let g = social("normal").await;
    let s = &g.s;
    for email in [JEAN, "new.fan@example.net"] {
        let mut browser = Jar::default();
        let answer = through_google(s, &mut browser, "/", email, false).await;
        assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{email}");
        assert!(cookie(&answer, "__Host-session").is_none());
        let page = answer.text().await.expect("html");
        assert!(page.contains("has not confirmed your e-mail address"), "{page}");
        // Signing in to the account afterwards links nothing either.
        if email == JEAN {
            assert_eq!(
                password_sign_in(s, &mut browser, JEAN).await.status(),
                StatusCode::SEE_OTHER
            );
        }
    }
    assert_eq!(s.db.count("SELECT count(*) AS n FROM federated_identities").await, 0);
    assert_eq!(s.db.count("SELECT count(*) AS n FROM accounts").await, 1, "only Jean");
    assert_eq!(
        s.db.count("SELECT count(*) AS n FROM federation_requests WHERE stage <> 'upstream'")
            .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_cannot_be_unlinked_while_it_is_the_last_way_in() {
    let g = social("normal").await;
    let s = &g.s;
    let mut browser = Jar::default();
    let answer = through_google(s, &mut browser, "/", "lea.meier@example.net", true).await;
    assert_eq!(location(&answer), "/login/social/signup");
    assert_eq!(sign_up(s, &mut browser).await.status(), StatusCode::SEE_OTHER);

    let account = get(&s.client, &mut browser, &format!("{}/account", s.gateway.base_url)).await;
    assert_eq!(account.status(), 200);
    let html = account.text().await.expect("html");
    assert!(html.contains("Sign-in services") && html.contains("Google"), "{html}");
    let unlink = |html: &str| {
        vec![
            ("csrf".to_owned(), hidden(html, "csrf")),
            ("provider".to_owned(), hidden(html, "provider")),
            ("subject".to_owned(), hidden(html, "subject")),
        ]
    };
    let export = get(
        &s.client,
        &mut browser,
        &format!("{}/account/export", s.gateway.base_url),
    )
    .await;
    let data: serde_json::Value = export.json().await.expect("json");
    assert_eq!(data["sign_in_services"][0]["provider"], "google", "in the data export");
    assert_eq!(data["account"]["password_set"], false);
    let form = unlink(&html);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let url = format!("{}/account/social/unlink", s.gateway.base_url);
    let answer = post(&s.client, &mut browser, &url, &form).await;
    assert_eq!(answer.status(), StatusCode::CONFLICT);
    assert!(answer.text().await.expect("html").contains("only way to sign in"));
    let lea = "SELECT count(*) AS n FROM federated_identities WHERE upstream_subject = 'google-lea.meier@example.net'";
    assert_eq!(s.db.count(lea).await, 1, "still linked");

    // With a password set, Google may go.
    s.db.execute("UPDATE accounts SET password_hash = (SELECT password_hash FROM accounts WHERE login_email = 'jean.dupont@example.org') WHERE login_email = 'lea.meier@example.net'")
        .await;
    let answer = post(&s.client, &mut browser, &url, &form).await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(s.db.count(lea).await, 0, "unlinked");
}
