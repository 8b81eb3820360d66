//! "Complete or update my profile" end to end: the signed-in user edits the form at the
//! gateway, the change travels to the worker as a confirmed command, the mirror changes (and
//! `/userinfo` with it) and a write-back row waits for S-360. Also the refusals: no session,
//! CSRF, invalid fields, broker down. The commands themselves at the worker:
//! `worker_commands.rs`.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use tests::{TestBroker, eventually, spawn_worker};

use crate::gateway_support::*;

/// S-360's modification time in the mirror's payload, and the main address's S-360 id.
const RAW: &str = r#"{"contactNumber":"0001234567","lastModificationDate":"2026-11-20T10:00:00.000+01:00","addresses":[{"contactAddressId":998877,"main":true}]}"#;

/// Signs in from the profile page (redirected to the sign-in page and back); returns the session.
async fn sign_in_from_profile(s: &Setup) -> String {
    let base = &s.gateway.base_url;
    let profile = s.client.get(format!("{base}/profile")).send().await.expect("answers");
    assert_eq!(
        profile.status(),
        StatusCode::SEE_OTHER,
        "no session: to the sign-in page"
    );
    let location = profile.headers()["location"].to_str().expect("location").to_owned();
    assert_eq!(location, "/login?return_to=%2Fprofile");
    let page = s.client.get(format!("{base}{location}")).send().await.expect("answers");
    let csrf = cookie_value(&cookie(&page, "__Host-csrf").expect("csrf cookie"));
    let html = page.text().await.expect("html");
    assert_eq!(hidden(&html, "return_to"), "/profile");
    let response = s
        .client
        .post(format!("{base}/login"))
        .header("cookie", format!("__Host-csrf={csrf}"))
        .form(&[
            ("csrf", hidden(&html, "csrf")),
            ("return_to", "/profile".to_owned()),
            ("email", "jean.dupont@example.org".to_owned()),
            ("password", PASSWORD.to_owned()),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/profile", "back to the profile");
    cookie_value(&cookie(&response, "__Host-session").expect("session"))
}

/// The form as the browser received it: (csrf cookie, html).
async fn open_form(s: &Setup, session: &str) -> (String, String) {
    let page = s
        .client
        .get(format!("{}/profile", s.gateway.base_url))
        .header("cookie", format!("__Host-session={session}"))
        .send()
        .await
        .expect("answers");
    assert_eq!(page.status(), 200);
    let csrf = cookie_value(&cookie(&page, "__Host-csrf").expect("csrf cookie"));
    (csrf, page.text().await.expect("html"))
}

/// The form's fields as shown, with `edits` applied (`None` removes a field, as an unticked box).
pub fn edited(html: &str, edits: &[(&str, Option<&str>)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = [
        "csrf",
        "base",
        "first_name",
        "last_name",
        "birth_date",
        "phone",
        "street1",
        "zip_code",
        "town",
        "country",
    ]
    .iter()
    .map(|name| ((*name).to_owned(), hidden(html, name)))
    .collect();
    fields.push(("language".into(), "fr".into()));
    if html.contains("name=\"optin.NEWSLTR\" value=\"yes\" checked") {
        fields.push(("optin.NEWSLTR".into(), "yes".into()));
    }
    for (name, value) in edits {
        fields.retain(|(n, _)| n != name);
        if let Some(value) = value {
            fields.push(((*name).to_owned(), (*value).to_owned()));
        }
    }
    fields
}

async fn submit(s: &Setup, session: &str, csrf: &str, fields: &[(String, String)]) -> (StatusCode, String) {
    let response = s
        .client
        .post(format!("{}/profile", s.gateway.base_url))
        .header("cookie", format!("__Host-session={session}; __Host-csrf={csrf}"))
        .form(fields)
        .send()
        .await
        .expect("answers");
    (response.status(), response.text().await.expect("text"))
}

async fn userinfo(s: &Setup, access_token: &str) -> serde_json::Value {
    s.client
        .get(format!("{}/userinfo", s.gateway.base_url))
        .bearer_auth(access_token)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_change_reaches_the_mirror_userinfo_and_the_write_back_outbox() {
    let broker = TestBroker::create().await;
    let s = setup_with(&["--amqp-name-prefix", &broker.prefix]).await;
    s.db.execute(&format!("UPDATE contacts SET raw = '{RAW}'")).await;
    let _worker = spawn_worker(&broker.prefix, &s.db.url).await;
    // The shop's token with the scopes whose claims the profile changes.
    let authorize = crate::oidc_support::shop_authorize(&s, "openid email profile phone address", &[]);
    let tokens = crate::oidc_support::tokens_through(&s, &authorize).await;
    let access = tokens["access_token"].as_str().expect("access token");
    assert_eq!(userinfo(&s, access).await["given_name"], "Jean");

    let session = sign_in_from_profile(&s).await;
    let (csrf, html) = open_form(&s, &session).await;
    assert!(
        html.contains("lang=\"fr\"") && html.contains("Mon profil"),
        "in the contact's language"
    );
    assert_eq!(hidden(&html, "first_name"), "Jean");
    assert_eq!(hidden(&html, "town"), "Lausanne");
    assert!(html.contains("name=\"optin.NEWSLTR\" value=\"yes\" checked"));
    let fields = edited(
        &html,
        &[
            ("first_name", Some("Jeanne")),
            ("phone", Some("+41 79 765 43 21")),
            ("street1", Some("Avenue de la Gare 1")),
            ("town", Some("Vevey")),
            ("zip_code", Some("1800")),
            ("optin.NEWSLTR", None),
        ],
    );
    let (status, page) = submit(&s, &session, &csrf, &fields).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("modifications sont enregistrées"), "{page}");

    eventually(Duration::from_secs(15), "the write-back row", || async {
        let rows = s.db.count("SELECT count(*) AS n FROM writeback_outbox").await;
        (rows == 1).then_some(())
    })
    .await;
    assert_eq!(
        s.db.count(
            "SELECT count(*) AS n FROM writeback_outbox WHERE contact_number = '0001234567' AND state = 'pending' \
             AND attempts = 0 AND base_modified_at = '2026-11-20T09:00:00Z' AND fields = '{\"firstname\": \"Jeanne\", \
             \"cellPhoneNumber\": \"+41797654321\", \"authorizations\": [{\"authorizationCode\": \"NEWSLTR\", \"allowed\": false}], \
             \"addresses\": [{\"contactAddressId\": 998877, \"main\": true, \"street1\": \"Avenue de la Gare 1\", \"street2\": null, \
             \"street3\": null, \"street4\": null, \"zipCode\": \"1800\", \"town\": \"Vevey\", \"countryCode\": \"CH\"}]}'"
        )
        .await,
        1,
        "only the changed fields, under S-360's names"
    );
    let info = eventually(Duration::from_secs(5), "userinfo with the change", || async {
        let info = userinfo(&s, access).await;
        (info["given_name"] == "Jeanne").then_some(info)
    })
    .await;
    assert_eq!(info["name"], "Jeanne Dupont");
    assert_eq!(info["family_name"], "Dupont");
    assert_eq!(info["email"], "jean.dupont@example.org", "the e-mail stays the login's");
    assert_eq!(info["phone_number"], "+41797654321");
    assert_eq!(info["address"]["locality"], "Vevey");
    assert_eq!(info["address"]["street_address"], "Avenue de la Gare 1");
    assert_eq!(info["opt_ins"], json!({ "NEWSLTR": false }));

    // The form shows the new values; saving it unchanged sends nothing.
    let (csrf, html) = open_form(&s, &session).await;
    assert_eq!(hidden(&html, "first_name"), "Jeanne");
    let (status, page) = submit(&s, &session, &csrf, &edited(&html, &[])).await;
    assert_eq!(status, 200);
    assert!(page.contains("Rien n&#x27;a été modifié"), "{page}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(s.db.count("SELECT count(*) AS n FROM writeback_outbox").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_fields_csrf_failures_and_missing_sessions_change_nothing() {
    let broker = TestBroker::create().await;
    let s = setup_with(&["--amqp-name-prefix", &broker.prefix]).await;
    let session = sign_in_from_profile(&s).await;
    let (csrf, html) = open_form(&s, &session).await;

    let long = "x".repeat(101);
    let fields = edited(
        &html,
        &[
            ("last_name", None),
            ("first_name", Some(&long)),
            ("birth_date", Some("1985-02-30")),
            ("phone", Some("+41 79 12a")),
            ("town", Some("Saint-Légier-La Chiésaz")),
            ("country", Some("UK")),
            ("language", Some("xx")),
        ],
    );
    let (status, page) = submit(&s, &session, &csrf, &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for (field, message) in [
        ("last_name", "Ce champ est obligatoire."),
        ("first_name", "100 caractères au plus."),
        ("birth_date", "AAAA-MM-JJ"),
        ("phone", "uniquement des chiffres"),
        ("town", "20 caractères au plus."),
        ("country", "saisissez GB"),
    ] {
        let marker = format!("<p class=\"error\" id=\"{field}-error\">");
        let start = page
            .find(&marker)
            .unwrap_or_else(|| panic!("an error beside {field}: {page}"));
        assert!(page[start..].contains(message), "{field}: {message}");
    }
    assert!(page.contains("Choisissez une langue"), "language error");
    assert_eq!(
        hidden(&page, "town"),
        "Saint-Légier-La Chiésaz",
        "the input is kept for correction"
    );

    // CSRF: a form without the cookie's token, or with another one.
    let valid = edited(&html, &[("first_name", Some("Jeanne"))]);
    let (status, _) = submit(&s, &session, "another-token", &valid).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let without: Vec<_> = valid.iter().filter(|(n, _)| n != "csrf").cloned().collect();
    let (status, _) = submit(&s, &session, &csrf, &without).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // No session, an unknown one, or a signed-out one: to the sign-in page.
    for cookie in ["", "__Host-session=forged"] {
        let response = s
            .client
            .post(format!("{}/profile", s.gateway.base_url))
            .header("cookie", format!("{cookie}; __Host-csrf={csrf}"))
            .form(&valid)
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()["location"], "/login?return_to=%2Fprofile");
    }
    s.client
        .get(format!("{}/logout", s.gateway.base_url))
        .header("cookie", format!("__Host-session={session}"))
        .send()
        .await
        .expect("logout");
    let (status, _) = submit(&s, &session, &csrf, &valid).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "a signed-out session edits nothing");

    assert_eq!(
        broker.ready_count(&broker.topology.commands_queue()).await,
        0,
        "no command was published"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_outage_is_a_503_with_retry_after() {
    let s = setup_with(&["--amqp-url", "amqp://guest:guest@127.0.0.1:1/%2f"]).await;
    let session = sign_in_from_profile(&s).await;
    let (csrf, html) = open_form(&s, &session).await;
    let fields = edited(&html, &[("first_name", Some("Jeanne"))]);
    let response = s
        .client
        .post(format!("{}/profile", s.gateway.base_url))
        .header("cookie", format!("__Host-session={session}; __Host-csrf={csrf}"))
        .form(&fields)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(
        s.db.contact("0001234567").await.expect("contact").first_name.as_deref(),
        Some("Jean")
    );
}
