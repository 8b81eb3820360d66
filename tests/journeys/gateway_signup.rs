//! Fan sign-up end to end against the real gateway, worker, PostgreSQL, RabbitMQ and an SMTP
//! server: the form, the double opt-in by a mailed single-use link, the client's authorization
//! request kept through it, no account enumeration, and the abuse limits.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use tests::{SmtpServer, TestBroker, eventually, spawn_worker_with};

use crate::gateway_support::*;

const FAN_EMAIL: &str = "new.fan@example.net";
const FAN_PASSWORD: &str = "violet harbour at dusk";

/// The form as a fan fills it in; tests change what they need.
fn fan_form() -> Vec<(&'static str, String)> {
    vec![
        ("email", FAN_EMAIL.to_owned()),
        ("password", FAN_PASSWORD.to_owned()),
        ("given_name", "Anna".to_owned()),
        ("family_name", "Muster".to_owned()),
        ("language", "de".to_owned()),
        ("privacy", "yes".to_owned()),
    ]
}

/// Opens `/signup?return_to=…` and submits `form`; returns the answer.
async fn sign_up(s: &Setup, return_to: &str, form: &[(&str, String)]) -> reqwest::Response {
    let page = s
        .client
        .get(format!(
            "{}/signup?return_to={}",
            s.gateway.base_url,
            url::form_urlencoded::byte_serialize(return_to.as_bytes()).collect::<String>()
        ))
        .send()
        .await
        .expect("answers");
    assert_eq!(page.status(), 200, "the sign-up page");
    let csrf = cookie_value(&cookie(&page, "__Host-csrf").expect("csrf cookie"));
    let html = page.text().await.expect("html");
    let mut fields = vec![
        ("csrf", hidden(&html, "csrf")),
        ("return_to", hidden(&html, "return_to")),
    ];
    fields.extend(form.iter().map(|(k, v)| (*k, v.clone())));
    s.client
        .post(format!("{}/signup", s.gateway.base_url))
        .header("cookie", format!("__Host-csrf={csrf}"))
        .form(&fields)
        .send()
        .await
        .expect("answers")
}

fn verify_link_in(mail: &str) -> String {
    let start = mail
        .find("http://127.0.0.1:8080/signup/verify?token=")
        .expect("a verification link");
    mail[start..].split_whitespace().next().expect("link").to_owned()
}

/// Opens a verification link and presses its button; returns the answer to the button.
async fn confirm(s: &Setup, link: &str) -> reqwest::Response {
    let local = link.replace("http://127.0.0.1:8080", &s.gateway.base_url);
    let page = s.client.get(&local).send().await.expect("answers");
    if page.status() != StatusCode::OK {
        return page;
    }
    let csrf = cookie_value(&cookie(&page, "__Host-csrf").expect("csrf cookie"));
    let html = page.text().await.expect("html");
    s.client
        .post(format!("{}/signup/verify", s.gateway.base_url))
        .header("cookie", format!("__Host-csrf={csrf}"))
        .form(&[
            ("csrf", hidden(&html, "csrf")),
            ("token", hidden(&html, "token")),
            ("return_to", hidden(&html, "return_to")),
        ])
        .send()
        .await
        .expect("answers")
}

/// Signs in as the new fan from the sign-in page of `authorize`; the answer.
async fn sign_in_as_fan(s: &Setup, authorize: &str) -> reqwest::Response {
    let page = s.client.get(authorize).send().await.expect("answers");
    let csrf = cookie_value(&cookie(&page, "__Host-csrf").expect("csrf cookie"));
    let html = page.text().await.expect("html");
    s.client
        .post(format!("{}/login", s.gateway.base_url))
        .header("cookie", format!("__Host-csrf={csrf}"))
        .form(&[
            ("csrf", hidden(&html, "csrf")),
            ("return_to", hidden(&html, "return_to")),
            ("email", FAN_EMAIL.to_owned()),
            ("password", FAN_PASSWORD.to_owned()),
        ])
        .send()
        .await
        .expect("answers")
}

async fn mail_to(smtp: &SmtpServer, recipient: &str, subject: &str) -> String {
    eventually(Duration::from_secs(20), "the mail", || async {
        smtp.messages()
            .into_iter()
            .find(|m| m.contains(recipient) && m.contains(subject))
    })
    .await
}

async fn with_worker(extra: &[&str]) -> (Setup, SmtpServer, TestBroker, tests::Running) {
    let broker = TestBroker::create().await;
    let smtp = SmtpServer::start().await;
    let mut args = vec!["--amqp-name-prefix", broker.prefix.as_str()];
    args.extend_from_slice(extra);
    let s = setup_with(&args).await;
    let worker = spawn_worker_with(&broker.prefix, &s.db.url, &["--smtp-url", &smtp.url()]).await;
    (s, smtp, broker, worker)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_fan_signs_up_confirms_the_mailed_link_and_lands_back_at_the_shop_signed_in() {
    let (s, smtp, _broker, _worker) = with_worker(&[]).await;
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    let sign_in_page = s
        .client
        .get(&authorize)
        .send()
        .await
        .expect("answers")
        .text()
        .await
        .expect("html");
    let return_to = hidden(&sign_in_page, "return_to");
    assert!(
        sign_in_page.contains("href=\"/signup?return_to="),
        "the sign-in page leads to sign-up"
    );

    let answer = sign_up(&s, &return_to, &fan_form()).await;
    assert_eq!(answer.status(), 200);
    let page = answer.text().await.expect("html");
    assert!(page.contains("Check your mailbox"), "{page}");
    assert_eq!(
        s.db.count(&format!(
            "SELECT count(*) AS n FROM accounts WHERE login_email = '{FAN_EMAIL}' AND origin = 'signup' \
             AND NOT email_verified AND contact_number IS NULL AND given_name = 'Anna' AND language = 'de' \
             AND NOT newsletter AND privacy_accepted_at IS NOT NULL"
        ))
        .await,
        1,
        "an unverified account holding the sign-up's profile, without a contact"
    );

    // Before the address is confirmed, the right password opens no session.
    let early = sign_in_as_fan(&s, &authorize).await;
    assert_eq!(early.status(), StatusCode::FORBIDDEN);
    assert!(
        cookie(&early, "__Host-session").is_none(),
        "no session before verification"
    );
    assert!(early.text().await.expect("html").contains("action=\"/signup/resend\""));

    let mail = mail_to(&smtp, FAN_EMAIL, "E-Mail-Adresse").await;
    assert!(
        mail.contains("Bestätigen Sie Ihre E-Mail-Adresse"),
        "in the language chosen at sign-up"
    );
    let link = verify_link_in(&mail);
    let secret = url::Url::parse(&link)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "token")
        .expect("token")
        .1
        .into_owned();
    assert_eq!(
        s.db.count(&format!(
            "SELECT count(*) AS n FROM password_tokens WHERE purpose = 'verify' \
             AND token_hash = decode('{}', 'hex')",
            store::password_link::token_hash(&secret)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ))
        .await,
        1,
        "only the token's hash is stored"
    );

    let confirmed = confirm(&s, &link).await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    let session = cookie_value(&cookie(&confirmed, "__Host-session").expect("signed in"));
    let next = confirmed.headers()["location"].to_str().expect("location").to_owned();
    assert_eq!(next, return_to, "back to the shop's authorization request");

    let back = format!("{}{next}", s.gateway.base_url);
    let code = redirect_params(&s, &back, Some(&session)).await["code"].clone();
    let (status, tokens) = token(
        &s,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
        true,
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let claims = verify_id_token(&s, tokens["id_token"].as_str().expect("id token")).await;
    assert_eq!(claims["email"], FAN_EMAIL);
    assert_eq!(claims["email_verified"], true);
    assert_eq!(
        (claims["given_name"].as_str(), claims["locale"].as_str()),
        (Some("Anna"), Some("de"))
    );
    assert!(claims.get("contact_number").is_none(), "no contact yet: {claims}");
    let userinfo: Value = s
        .client
        .get(format!("{}/userinfo", s.gateway.base_url))
        .bearer_auth(tokens["access_token"].as_str().expect("access token"))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(
        (
            &userinfo["family_name"],
            &userinfo["email_verified"],
            userinfo.get("contact_number")
        ),
        (&Value::from("Muster"), &Value::from(true), None),
        "{userinfo}"
    );
    assert_eq!(
        s.db.count("SELECT count(*) AS n FROM contact_creations WHERE state = 'pending' OR state = 'waiting'")
            .await,
        1,
        "verification asks for the S-360 contact"
    );

    // The link works once.
    assert_eq!(confirm(&s, &link).await.status(), StatusCode::GONE);
    assert_eq!(sign_in_as_fan(&s, &authorize).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_address_gets_the_same_page_and_its_owner_a_notice_and_nothing_changes() {
    let (s, smtp, _broker, _worker) = with_worker(&[]).await;
    let mut taken = fan_form();
    taken[0].1 = "Jean.Dupont@example.org".into();
    let mut new_fan = Vec::new();
    let mut owner = Vec::new();
    for round in 0..3 {
        let started = Instant::now();
        let mut form = fan_form();
        form[0].1 = format!("fan{round}@example.net");
        let answer = sign_up(&s, "/", &form).await;
        new_fan.push((started.elapsed(), answer.status(), answer.text().await.expect("html")));
        let started = Instant::now();
        let answer = sign_up(&s, "/", &taken).await;
        owner.push((started.elapsed(), answer.status(), answer.text().await.expect("html")));
    }
    for ((_, new_status, new_page), (_, taken_status, taken_page)) in new_fan.iter().zip(&owner) {
        assert_eq!((new_status, new_page), (taken_status, taken_page), "the same answer");
    }
    let median = |runs: &[(Duration, StatusCode, String)]| {
        let mut times: Vec<Duration> = runs.iter().map(|r| r.0).collect();
        times.sort();
        times[1]
    };
    let (new_time, taken_time) = (median(&new_fan), median(&owner));
    println!("sign-up median: new address {new_time:?}, taken address {taken_time:?}");
    assert!(
        taken_time * 3 > new_time && new_time * 3 > taken_time,
        "the same work either way: {new_time:?} against {taken_time:?}"
    );

    // In the owner's language (the contact's: French), not the sign-up form's.
    let notice = mail_to(&smtp, "jean.dupont@example.org", "/password/forgot").await;
    assert!(notice.contains("a tenté de créer un compte"), "{notice}");
    assert!(notice.contains("/password/forgot"), "the notice leads to sign-in help");
    assert!(
        !notice.contains("/signup/verify"),
        "no verification link for a taken address"
    );
    assert_eq!(
        s.db.count(
            "SELECT count(*) AS n FROM accounts WHERE lower(login_email) = 'jean.dupont@example.org' \
                    AND origin = 'import' AND given_name IS NULL"
        )
        .await,
        1,
        "the owner's account is untouched"
    );
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    assert!(
        sign_in(&s, &authorize, PASSWORD).await.is_ok(),
        "its password still works"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_replayed_and_guessed_verification_links_are_refused_and_a_new_one_can_be_asked() {
    let (s, smtp, _broker, _worker) = with_worker(&[]).await;
    assert_eq!(sign_up(&s, "/", &fan_form()).await.status(), 200);
    let first = verify_link_in(&mail_to(&smtp, FAN_EMAIL, "E-Mail-Adresse").await);
    s.db.execute("UPDATE password_tokens SET expires_at = now() - interval '1 second'")
        .await;
    assert_eq!(confirm(&s, &first).await.status(), StatusCode::GONE, "an expired link");

    // The sign-in page offers a new link; the answer is the same for any address.
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    let unverified = sign_in_as_fan(&s, &authorize).await;
    let csrf = cookie_value(&cookie(&unverified, "__Host-csrf").expect("csrf"));
    let html = unverified.text().await.expect("html");
    let resend = |email: String| {
        let (s, csrf, html) = (&s, csrf.clone(), html.clone());
        async move {
            s.client
                .post(format!("{}/signup/resend", s.gateway.base_url))
                .header("cookie", format!("__Host-csrf={csrf}"))
                .form(&[
                    ("csrf", hidden(&html, "csrf")),
                    ("email", email),
                    ("return_to", hidden(&html, "return_to")),
                ])
                .send()
                .await
                .expect("answers")
        }
    };
    let known = resend(FAN_EMAIL.into()).await;
    let unknown = resend("nobody@example.net".into()).await;
    assert_eq!(known.status(), unknown.status());
    assert_eq!(known.text().await.expect("html"), unknown.text().await.expect("html"));
    let second = eventually(Duration::from_secs(20), "a second link", || async {
        smtp.messages()
            .into_iter()
            .map(|m| verify_link_in(&m))
            .find(|l| *l != first)
    })
    .await;
    assert!(
        second.contains("return_to=%2Fauthorize"),
        "the new link keeps the shop's request"
    );
    assert!(
        !smtp.messages().iter().any(|m| m.contains("nobody@example.net")),
        "nothing is sent to unknown addresses"
    );
    assert_eq!(confirm(&s, &second).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(confirm(&s, &second).await.status(), StatusCode::GONE, "a replayed link");

    // Guessing links locks the source address out like failed sign-ins: with the expired and
    // the replayed link above, the fifth failure locks it.
    let mut statuses = Vec::new();
    for guess in 0..4 {
        let link = format!("{}/signup/verify?token=guess{guess}", s.gateway.base_url);
        statuses.push(s.client.get(link).send().await.expect("answers").status());
    }
    assert_eq!(
        statuses,
        [
            StatusCode::GONE,
            StatusCode::GONE,
            StatusCode::GONE,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_forms_robots_and_floods_are_refused_with_their_reasons() {
    let s = setup_with(&["--signups-per-address", "4"]).await;
    let weak = {
        let mut form = fan_form();
        form[1].1 = "password1234".into();
        form.retain(|(k, _)| *k != "privacy");
        form
    };
    let answer = sign_up(&s, "/", &weak).await;
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = answer.text().await.expect("html");
    assert!(
        page.contains("id=\"password-error\"") && page.contains("id=\"privacy-error\""),
        "{page}"
    );
    assert!(
        page.contains("value=\"Anna\"") && !page.contains("password1234"),
        "kept, but never the password"
    );

    let mut robot = fan_form();
    robot.push(("website", "https://spam.example".into()));
    let answer = sign_up(&s, "/", &robot).await;
    assert_eq!(answer.status(), 200, "a robot is not told");
    assert_eq!(
        s.db.count(&format!(
            "SELECT count(*) AS n FROM accounts WHERE login_email = '{FAN_EMAIL}'"
        ))
        .await,
        0,
        "the honeypot drops the sign-up"
    );

    let mut statuses = Vec::new();
    for round in 0..4 {
        let mut form = fan_form();
        form[0].1 = format!("flood{round}@example.net");
        let answer = sign_up(&s, "/", &form).await;
        statuses.push((answer.status(), answer.headers().get("retry-after").is_some()));
    }
    // The robot's attempt counted too (a form refused for its fields does not): 4 an hour.
    assert_eq!(statuses[0], (StatusCode::OK, false));
    assert_eq!(statuses[3], (StatusCode::TOO_MANY_REQUESTS, true), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_domain_is_limited_whatever_the_source_address() {
    let s = setup_with(&["--signups-per-domain", "2"]).await;
    let mut statuses = Vec::new();
    for round in 0..3 {
        let mut form = fan_form();
        form[0].1 = format!("fan{round}@one-domain.example");
        statuses.push(sign_up(&s, "/", &form).await.status());
    }
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::OK, StatusCode::TOO_MANY_REQUESTS]
    );
    let mut other = fan_form();
    other[0].1 = "fan@another-domain.example".into();
    assert_eq!(
        sign_up(&s, "/", &other).await.status(),
        StatusCode::OK,
        "other domains go on"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_mailed_link_works_only_for_its_own_purpose() {
    let s = setup().await;
    for (token, purpose) in [
        ("reset-token-for-the-purpose-test", "reset"),
        ("verify-token-for-the-purpose-test", "verify"),
        ("email-token-for-the-purpose-test", "email"),
    ] {
        s.db.execute(&format!(
            "INSERT INTO password_tokens (token_hash, subject_id, purpose, expires_at) \
             VALUES (sha256('{token}'::bytea), '{}', '{purpose}', now() + interval '1 hour')",
            s.subject
        ))
        .await;
    }
    let status = |path: String| {
        let client = s.client.clone();
        let base = s.gateway.base_url.clone();
        async move {
            client
                .get(format!("{base}{path}"))
                .send()
                .await
                .expect("answers")
                .status()
        }
    };
    // Each page opens its own link only; the others are as good as unknown.
    assert_eq!(
        status("/password/reset?token=reset-token-for-the-purpose-test".into()).await,
        200
    );
    assert_eq!(
        status("/signup/verify?token=verify-token-for-the-purpose-test".into()).await,
        200
    );
    assert_eq!(
        status("/account/email/verify?token=email-token-for-the-purpose-test".into()).await,
        200
    );
    assert_eq!(
        status("/password/reset?token=verify-token-for-the-purpose-test".into()).await,
        StatusCode::GONE
    );
    assert_eq!(
        status("/signup/verify?token=reset-token-for-the-purpose-test".into()).await,
        StatusCode::GONE
    );
    assert_eq!(
        status("/account/email/verify?token=verify-token-for-the-purpose-test".into()).await,
        StatusCode::GONE
    );
}
