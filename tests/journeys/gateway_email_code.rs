//! E-mail code sign-in end to end against the real gateway, worker, PostgreSQL, RabbitMQ and an
//! SMTP server: "Email me a code" from the shop's sign-in page back to the shop with `amr:
//! ["otp"]`, and each abuse the design defends against, tried and refused: a replayed code,
//! an expired one, the link in another browser, guessing (per address, per account, the code
//! burned), an unknown address, more codes than the hourly limit, and a sign-up's unproven
//! password surviving the code that confirms the address. The gateway's own database role
//! (`store::roles`) may write what a code sign-in writes.

use std::{collections::HashSet, time::Duration};

use reqwest::StatusCode;
use serde_json::Value;
use tests::{SmtpServer, TestBroker, TestDatabase, eventually, spawn_gateway_with, spawn_worker_with};

use crate::gateway_support::*;

const JEAN: &str = "jean.dupont@example.org";
/// Where the gateway says it lives in the mails (its default issuer).
const ISSUER: &str = "http://127.0.0.1:8080";
const BINDING: &str = "__Host-code-binding";

/// A gateway, a worker mailing through a real SMTP server, and their broker.
struct Mailing {
    s: Setup,
    smtp: SmtpServer,
    _broker: TestBroker,
    _worker: tests::Running,
}

async fn mailing() -> Mailing {
    let broker = TestBroker::create().await;
    let smtp = SmtpServer::start().await;
    let s = setup_with(&["--amqp-name-prefix", &broker.prefix]).await;
    let worker = spawn_worker_with(&broker.prefix, &s.db.url, &["--smtp-url", &smtp.url()]).await;
    Mailing {
        s,
        smtp,
        _broker: broker,
        _worker: worker,
    }
}

/// One browser's cookies for the code pages: its CSRF token and, once it asked, its binding.
struct Browser {
    csrf: String,
    binding: Option<String>,
}

impl Browser {
    fn cookies(&self) -> String {
        match &self.binding {
            Some(binding) => format!("__Host-csrf={}; {BINDING}={binding}", self.csrf),
            None => format!("__Host-csrf={}", self.csrf),
        }
    }
}

/// What asking for a code answered.
struct Asked {
    status: StatusCode,
    page: String,
    browser: Browser,
}

/// Opens the code form at `form` (a URL of the gateway) in a fresh browser and asks for a code
/// for `email`.
async fn ask_at(s: &Setup, form: &str, email: &str) -> Asked {
    let page = s.client.get(form).send().await.expect("answers");
    assert_eq!(page.status(), 200, "the code form");
    let csrf = cookie_value(&cookie(&page, "__Host-csrf").expect("csrf cookie"));
    let html = page.text().await.expect("html");
    assert!(html.contains("<label for=\"email\">"), "{html}");
    let response = s
        .client
        .post(format!("{}/login/code", s.gateway.base_url))
        .header("cookie", format!("__Host-csrf={csrf}"))
        .form(&[
            ("csrf", hidden(&html, "csrf")),
            ("return_to", hidden(&html, "return_to")),
            ("email", email.to_owned()),
        ])
        .send()
        .await
        .expect("answers");
    let binding = cookie(&response, BINDING);
    if let Some(set) = &binding {
        for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=600"] {
            assert!(set.contains(attribute), "{attribute} missing: {set}");
        }
        assert!(!set.contains("Domain"), "{set}");
    }
    Asked {
        status: response.status(),
        page: response.text().await.expect("html"),
        browser: Browser {
            csrf,
            binding: binding.as_deref().map(cookie_value),
        },
    }
}

async fn ask(s: &Setup, email: &str) -> Asked {
    ask_at(s, &format!("{}/login/code", s.gateway.base_url), email).await
}

/// A browser that never asked for a code (its CSRF cookie from the code form).
async fn other_browser(s: &Setup) -> Browser {
    let page = s
        .client
        .get(format!("{}/login/code", s.gateway.base_url))
        .send()
        .await
        .expect("answers");
    Browser {
        csrf: cookie_value(&cookie(&page, "__Host-csrf").expect("csrf cookie")),
        binding: None,
    }
}

/// Types `code` on the code page in `browser`.
async fn enter(s: &Setup, browser: &Browser, code: &str) -> reqwest::Response {
    s.client
        .post(format!("{}/login/code/verify", s.gateway.base_url))
        .header("cookie", browser.cookies())
        .form(&[("csrf", browser.csrf.as_str()), ("return_to", "/"), ("code", code)])
        .send()
        .await
        .expect("answers")
}

/// Opens the mailed `link` in `browser` and, when it shows the code page, presses its button.
/// Returns the page the link opened and, if pressed, the answer to the button.
async fn follow(s: &Setup, link: &str, browser: &Browser) -> (StatusCode, String, Option<reqwest::Response>) {
    let local = link.replace(ISSUER, &s.gateway.base_url);
    let page = s
        .client
        .get(&local)
        .header("cookie", browser.cookies())
        .send()
        .await
        .expect("answers");
    assert!(
        cookie(&page, "__Host-session").is_none(),
        "opening a link signs nobody in"
    );
    let status = page.status();
    let csrf = cookie(&page, "__Host-csrf").map(|c| cookie_value(&c));
    let html = page.text().await.expect("html");
    let Some(csrf) = csrf.filter(|_| html.contains("name=\"code\"")) else {
        return (status, html, None);
    };
    let cookies = match &browser.binding {
        Some(binding) => format!("__Host-csrf={csrf}; {BINDING}={binding}"),
        None => format!("__Host-csrf={csrf}"),
    };
    let pressed = s
        .client
        .post(format!("{}/login/code/verify", s.gateway.base_url))
        .header("cookie", cookies)
        .form(&[
            ("csrf", hidden(&html, "csrf")),
            ("return_to", hidden(&html, "return_to")),
            ("code", hidden_code(&html)),
        ])
        .send()
        .await
        .expect("answers");
    (status, html, Some(pressed))
}

/// The value the code field of a page is filled with.
fn hidden_code(html: &str) -> String {
    let start = html.find("name=\"code\"").expect("a code field");
    let marker = "value=\"";
    let from = start + html[start..].find(marker).expect("a value") + marker.len();
    html[from..from + html[from..].find('"').expect("end")].to_owned()
}

/// A mailed code: the code, the link carrying it, and the whole mail.
struct Mail {
    code: String,
    link: String,
    raw: String,
}

/// Every sign-in code mailed to `recipient` so far.
fn codes_to(smtp: &SmtpServer, recipient: &str) -> Vec<Mail> {
    let prefix = format!("{ISSUER}/login/code/verify?code=");
    smtp.messages()
        .into_iter()
        .filter(|m| m.contains(recipient) && m.contains(&prefix))
        .map(|raw| {
            let start = raw.find(&prefix).expect("the link") + prefix.len();
            let code = raw[start..start + 8].to_owned();
            Mail {
                link: format!("{prefix}{code}"),
                code,
                raw,
            }
        })
        .collect()
}

/// Waits for a code mailed to `recipient` that is not in `seen`.
async fn new_code(smtp: &SmtpServer, recipient: &str, seen: &HashSet<String>) -> Mail {
    eventually(Duration::from_secs(20), "a sign-in code mail", || async {
        codes_to(smtp, recipient).into_iter().find(|m| !seen.contains(&m.code))
    })
    .await
}

async fn first_code(smtp: &SmtpServer, recipient: &str) -> Mail {
    new_code(smtp, recipient, &HashSet::new()).await
}

/// The session a sign-in answered with, checking its redirect.
fn signed_in(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "signed in");
    assert!(
        cookie(response, BINDING).is_some_and(|c| c.contains("Max-Age=0")),
        "the spent binding is removed"
    );
    cookie_value(&cookie(response, "__Host-session").expect("a session cookie"))
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().expect("location").to_owned()
}

/// The ID token of the shop's code redeemed after `/authorize` answered `session`.
async fn shop_id_token(s: &Setup, authorize: &str, session: &str) -> Value {
    let code = redirect_params(s, authorize, Some(session)).await["code"].clone();
    let (status, tokens) = token(
        s,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
        true,
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    verify_id_token(s, tokens["id_token"].as_str().expect("id token")).await
}

async fn refused(response: reqwest::Response) -> String {
    assert!(cookie(&response, "__Host-session").is_none(), "nobody is signed in");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let page = response.text().await.expect("html");
    assert!(page.contains("role=\"alert\"") && page.contains("not right"), "{page}");
    page
}

/// A wrong code for `code`: the same length, another last digit.
fn wrong(code: &str) -> String {
    let last = code.as_bytes()[7] - b'0';
    format!("{}{}", &code[..7], (last + 1) % 10)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_from_the_shops_sign_in_page_lands_back_at_the_shop_with_amr_otp() {
    let m = mailing().await;
    let s = &m.s;
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    let sign_in_page = s.client.get(&authorize).send().await.expect("answers");
    let html = sign_in_page.text().await.expect("html");
    let marker = "href=\"/login/code?return_to=";
    let start = html.find(marker).expect("\"Email me a code\" on the sign-in page") + "href=\"".len();
    let href = html[start..start + html[start..].find('"').expect("end")].replace("&amp;", "&");
    let return_to = hidden(&html, "return_to");
    assert!(return_to.starts_with("/authorize?"), "{return_to}");

    let asked = ask_at(s, &format!("{}{href}", s.gateway.base_url), JEAN).await;
    assert_eq!(asked.status, 200);
    assert!(
        asked.page.contains(JEAN) && asked.page.contains("name=\"code\""),
        "{}",
        asked.page
    );
    assert_eq!(
        hidden(&asked.page, "return_to"),
        return_to,
        "the code page keeps return_to"
    );
    let mail = first_code(&m.smtp, JEAN).await;
    assert!(mail.code.bytes().all(|b| b.is_ascii_digit()), "{}", mail.code);
    assert!(
        mail.raw.contains(&format!("\n{}\r\n", mail.code)) || mail.raw.contains(&format!("\n{}\n", mail.code)),
        "the code on a line of the text part: {}",
        mail.raw
    );
    assert!(
        mail.raw.contains(&format!("<strong>{}</strong>", mail.code)),
        "the code in the HTML part: {}",
        mail.raw
    );
    assert_eq!(
        s.db.count(&format!(
            "SELECT count(*) AS n FROM email_codes WHERE code_mac = sha256('{}'::bytea) \
             OR position('{}'::bytea in code_mac) > 0",
            mail.code, mail.code
        ))
        .await,
        0,
        "only a keyed hash of the code is stored"
    );

    // Typed with a space, as read from the mail.
    let typed = format!("{} {}", &mail.code[..4], &mail.code[4..]);
    let answer = enter(s, &asked.browser, &typed).await;
    let session = signed_in(&answer);
    assert_eq!(location(&answer), return_to, "back to the shop's authorization request");
    let claims = shop_id_token(s, &format!("{}{return_to}", s.gateway.base_url), &session).await;
    assert_eq!(claims["amr"], serde_json::json!(["otp"]), "RFC 8176: a one-time code");
    assert_eq!(claims["sub"], s.subject.to_string());
    // The support console's sign-in history shows it.
    let history = format!(
        "SELECT count(*) AS n FROM sign_in_audit WHERE subject_id = '{}' AND outcome = 'success'",
        s.subject
    );
    eventually(Duration::from_secs(10), "the sign-in in the history", || async {
        (s.db.count(&history).await == 1).then_some(())
    })
    .await;
    let auth_time = claims["auth_time"].as_i64().expect("auth_time");
    assert!((chrono::Utc::now().timestamp() - auth_time).abs() < 60);

    // The same fan with the password: `pwd`.
    let (_, tokens) = shop_tokens(s).await;
    let claims = verify_id_token(s, tokens["id_token"].as_str().expect("id token")).await;
    assert_eq!(
        claims["amr"],
        serde_json::json!(["pwd"]),
        "a password sign-in stays pwd"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_signs_in_once_and_its_replay_is_refused() {
    let m = mailing().await;
    let s = &m.s;
    let asked = ask(s, JEAN).await;
    let mail = first_code(&m.smtp, JEAN).await;
    let (status, _, pressed) = follow(s, &mail.link, &asked.browser).await;
    assert_eq!(status, 200, "the link opens the code page in the browser that asked");
    let pressed = pressed.expect("the code page, filled in");
    signed_in(&pressed);
    assert_eq!(location(&pressed), "/");

    refused(enter(s, &asked.browser, &mail.code).await).await;
    let (_, _, again) = follow(s, &mail.link, &asked.browser).await;
    refused(again.expect("the code page")).await;
    assert_eq!(s.db.count("SELECT count(*) AS n FROM sessions").await, 1, "one sign-in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_code_is_refused() {
    let m = mailing().await;
    let s = &m.s;
    let asked = ask(s, JEAN).await;
    let mail = first_code(&m.smtp, JEAN).await;
    assert_eq!(
        s.db.count("SELECT count(*) AS n FROM email_codes WHERE expires_at BETWEEN now() + interval '9 minutes' AND now() + interval '10 minutes'")
            .await,
        1,
        "a code lives 10 minutes"
    );
    s.db.execute("UPDATE email_codes SET expires_at = now() - interval '1 second'")
        .await;
    refused(enter(s, &asked.browser, &mail.code).await).await;
    assert_eq!(s.db.count("SELECT count(*) AS n FROM sessions").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_in_another_browser_asks_for_the_code_and_signs_nobody_in() {
    let m = mailing().await;
    let s = &m.s;
    let asked = ask(s, JEAN).await;
    let mail = first_code(&m.smtp, JEAN).await;

    // A browser with no binding: a page saying where to type the code, and no form.
    let elsewhere = other_browser(s).await;
    let (status, page, pressed) = follow(s, &mail.link, &elsewhere).await;
    assert_eq!(status, 200);
    assert!(pressed.is_none(), "nothing to press: {page}");
    assert!(
        page.contains("only in the browser where you asked for the code"),
        "{page}"
    );
    refused(enter(s, &elsewhere, &mail.code).await).await;

    // A browser that asked for a code of its own: the link's code is not its code.
    let own = ask(s, "someone.else@example.org").await;
    let (_, _, pressed) = follow(s, &mail.link, &own.browser).await;
    refused(pressed.expect("its own code page")).await;

    // The code still works where it was asked for.
    let (_, _, pressed) = follow(s, &mail.link, &asked.browser).await;
    signed_in(&pressed.expect("the code page"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_locks_the_address_and_the_account_and_burns_the_code() {
    let m = mailing().await;
    let s = &m.s;
    let locked = |response: &reqwest::Response| {
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry: u64 = response.headers()["retry-after"]
            .to_str()
            .expect("text")
            .parse()
            .expect("seconds");
        assert!((1..=60).contains(&retry), "{retry}");
        assert!(cookie(response, "__Host-session").is_none());
    };

    // Guesses from one address, with no code behind them, lock the address.
    let nobody = other_browser(s).await;
    for _ in 0..5 {
        refused(enter(s, &nobody, "12345678").await).await;
    }
    locked(&enter(s, &nobody, "12345678").await);
    s.db.execute("DELETE FROM login_throttle").await;

    // Five wrong codes for Jean's code: the code is burned, his account and the address are
    // locked (for his password too), and the right code is refused while they are.
    let asked = ask(s, JEAN).await;
    let mail = first_code(&m.smtp, JEAN).await;
    for _ in 0..5 {
        refused(enter(s, &asked.browser, &wrong(&mail.code)).await).await;
    }
    assert_eq!(
        s.db.count(&format!(
            "SELECT count(*) AS n FROM login_throttle WHERE locked_until > now() \
             AND key IN ('address:127.0.0.1', 'account:{JEAN}')"
        ))
        .await,
        2,
        "the address and the account are locked"
    );
    locked(&enter(s, &asked.browser, &mail.code).await);
    s.db.execute("DELETE FROM login_throttle WHERE key LIKE 'address:%'")
        .await;
    locked(&enter(s, &asked.browser, &mail.code).await);
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    assert_eq!(
        sign_in(s, &authorize, PASSWORD).await,
        Err(StatusCode::TOO_MANY_REQUESTS),
        "the account's lock holds for its password too"
    );
    s.db.execute("DELETE FROM login_throttle").await;
    refused(enter(s, &asked.browser, &mail.code).await).await;
    assert_eq!(
        s.db.count("SELECT count(*) AS n FROM email_codes WHERE attempts = 5 AND used_at IS NOT NULL")
            .await,
        1,
        "the code is burned"
    );
    assert_eq!(s.db.count("SELECT count(*) AS n FROM sessions").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_address_gets_the_same_answer_and_no_mail() {
    let m = mailing().await;
    let s = &m.s;
    let known = ask(s, JEAN).await;
    let unknown = ask(s, "nobody@example.org").await;
    let same = |asked: &Asked, email: &str| asked.page.replace(&asked.browser.csrf, "CSRF").replace(email, "EMAIL");
    assert_eq!(
        (unknown.status, same(&unknown, "nobody@example.org")),
        (known.status, same(&known, JEAN)),
        "no account enumeration"
    );
    assert!(unknown.browser.binding.is_some() && known.browser.binding.is_some());

    let mail = first_code(&m.smtp, JEAN).await;
    let wrong_known = refused(enter(s, &known.browser, &wrong(&mail.code)).await).await;
    let wrong_unknown = refused(enter(s, &unknown.browser, &mail.code).await).await;
    assert_eq!(
        wrong_unknown.replace(&unknown.browser.csrf, "CSRF"),
        wrong_known.replace(&known.browser.csrf, "CSRF"),
        "a code for an unknown address is refused like a wrong one"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        !m.smtp.messages().iter().any(|raw| raw.contains("nobody@example.org")),
        "nothing is sent to an unknown address"
    );
    assert_eq!(s.db.count("SELECT count(*) AS n FROM email_codes").await, 1);
    assert_eq!(
        s.db.count("SELECT count(*) AS n FROM login_throttle WHERE key = 'account:nobody@example.org'")
            .await,
        1,
        "a wrong code counts against an unknown address as against a known one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_fan_without_a_password_signs_in_with_a_code() {
    let m = mailing().await;
    let s = &m.s;
    let fan = "lea.keller@example.org";
    s.db.execute(&format!(
        "INSERT INTO contacts (contact_number, first_name, last_name, email, language, addresses, \
         authorizations, raw, version_time, version_event_id, source) VALUES ('0007654321', 'Léa', \
         'Keller', '{fan}', 'de', '[]', '[]', '{{}}', now(), gen_random_uuid(), 'webhook')"
    ))
    .await;
    // As the import creates it: no password, the address not proven yet.
    s.db.execute(&format!(
        "INSERT INTO accounts (contact_number, origin_contact_number, login_email) \
         VALUES ('0007654321', '0007654321', '{fan}')"
    ))
    .await;
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    assert_eq!(
        sign_in_as(&s.client, &s.gateway.base_url, &authorize, fan, "").await,
        Err(StatusCode::UNAUTHORIZED),
        "no password to sign in with"
    );

    let asked = ask(s, fan).await;
    let mail = first_code(&m.smtp, fan).await;
    let session = signed_in(&enter(s, &asked.browser, &mail.code).await);
    let claims = shop_id_token(s, &authorize, &session).await;
    assert_eq!(claims["email"], fan);
    assert_eq!(claims["email_verified"], true, "the code proved the mailbox");
    assert_eq!(claims["amr"], serde_json::json!(["otp"]));
    assert_eq!(
        s.db.count(&format!(
            "SELECT count(*) AS n FROM accounts WHERE login_email = '{fan}' AND email_verified AND password_hash IS NULL"
        ))
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_confirming_a_sign_up_drops_the_password_nobody_proved() {
    let m = mailing().await;
    let s = &m.s;
    // Someone registered Anna's address with a password of theirs (Jean's, here) and never
    // confirmed it: the pre-hijacking of an account.
    let anna = "anna.muster@example.net";
    s.db.execute(&format!(
        "INSERT INTO accounts (login_email, password_hash, origin, given_name, family_name, language) \
         SELECT '{anna}', password_hash, 'signup', 'Anna', 'Muster', 'de' FROM accounts"
    ))
    .await;
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    assert_eq!(
        sign_in_as(&s.client, &s.gateway.base_url, &authorize, anna, PASSWORD).await,
        Err(StatusCode::FORBIDDEN),
        "an unconfirmed sign-up opens no session"
    );

    let asked = ask(s, anna).await;
    let mail = first_code(&m.smtp, anna).await;
    let session = signed_in(&enter(s, &asked.browser, &mail.code).await);
    let claims = shop_id_token(s, &authorize, &session).await;
    assert_eq!(
        (&claims["email"], &claims["email_verified"]),
        (&Value::from(anna), &Value::from(true))
    );
    assert_eq!(
        s.db.count(&format!(
            "SELECT count(*) AS n FROM accounts a JOIN contact_creations c USING (subject_id) \
             WHERE a.login_email = '{anna}' AND a.email_verified"
        ))
        .await,
        1,
        "verified, and its S-360 contact asked for"
    );
    assert_eq!(
        sign_in_as(&s.client, &s.gateway.base_url, &authorize, anna, PASSWORD).await,
        Err(StatusCode::UNAUTHORIZED),
        "the password chosen before the mailbox was proven no longer signs in"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_codes_an_hour_and_only_the_newest_works() {
    let m = mailing().await;
    let s = &m.s;
    let mut seen = HashSet::new();
    let mut asked = Vec::new();
    for _ in 0..3 {
        let browser = ask(s, JEAN).await.browser;
        let mail = new_code(&m.smtp, JEAN, &seen).await;
        seen.insert(mail.code.clone());
        asked.push((browser, mail));
    }
    let fourth = ask(s, JEAN).await;
    assert_eq!(fourth.status, 200, "the same answer past the limit");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(codes_to(&m.smtp, JEAN).len(), 3, "at most 3 codes an hour");
    assert_eq!(s.db.count("SELECT count(*) AS n FROM email_codes").await, 3);

    let (first_browser, first_mail) = &asked[0];
    refused(enter(s, first_browser, &first_mail.code).await).await;
    let (last_browser, last_mail) = &asked[2];
    refused(enter(s, &fourth.browser, &last_mail.code).await).await;
    signed_in(&enter(s, last_browser, &last_mail.code).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateways_own_database_role_may_sign_in_with_a_code() {
    let broker = TestBroker::create().await;
    let smtp = SmtpServer::start().await;
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
    let gateway = spawn_gateway_with(
        &as_role,
        &["--clients-file", &clients_file(), "--amqp-name-prefix", &broker.prefix],
    )
    .await;
    let _worker = spawn_worker_with(&broker.prefix, &db.url, &["--smtp-url", &smtp.url()]).await;
    let s = Setup {
        db,
        gateway,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        subject,
    };
    let asked = ask(&s, JEAN).await;
    let mail = first_code(&smtp, JEAN).await;
    refused(enter(&s, &asked.browser, &wrong(&mail.code)).await).await;
    signed_in(&enter(&s, &asked.browser, &mail.code).await);
}
