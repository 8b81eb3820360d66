//! Shared steps of the gateway tests: a database with one contact and account, a client
//! registry (a confidential shop and a public web app), the gateway, and the browser-side steps
//! of the code flow (sign-in form, cookies, redirects, token requests).

use base64::Engine;
use reqwest::{StatusCode, redirect::Policy};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tests::{TestDatabase, spawn_gateway_with};

pub const SHOP_SECRET: &str = "shop-secret-for-the-tests-only";

pub const REDIRECT: &str = "https://shop.example.org/cas/login?client_name=IDP";

pub const APP_REDIRECT: &str = "http://127.0.0.1:3000/callback";

pub const PASSWORD: &str = "correct horse battery staple";

pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

pub struct Setup {
    pub db: TestDatabase,
    pub gateway: tests::Running,
    pub client: reqwest::Client,
    pub subject: uuid::Uuid,
}

pub async fn setup() -> Setup {
    setup_with(&[]).await
}

/// [`setup`] with extra gateway arguments.
pub async fn setup_with(extra: &[&str]) -> Setup {
    setup_with_registry(&clients_file(), extra).await
}

/// [`setup`] with the registry file `clients` (see [`registry_file`]) and extra arguments.
pub async fn setup_with_registry(clients: &str, extra: &[&str]) -> Setup {
    let db = TestDatabase::create().await;
    let subject = seed_account(&db).await;

    let mut args = vec!["--clients-file", clients];
    args.extend_from_slice(extra);
    let gateway = spawn_gateway_with(&db.url, &args).await;
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client");
    Setup {
        db,
        gateway,
        client,
        subject,
    }
}

/// The confidential S-360 shop of the tests (secret [`SHOP_SECRET`], redirect [`REDIRECT`]);
/// tests that need more of it write `Client { .., ..shop_client() }`.
pub fn shop_client() -> auth_gateway::clients::Client {
    auth_gateway::clients::Client {
        id: "shop".into(),
        name: "S-360 ticket shop".into(),
        kind: auth_gateway::clients::ClientKind::Confidential,
        secret_hashes: vec![auth_gateway::clients::hash_secret(SHOP_SECRET)],
        redirect_uris: vec![REDIRECT.into()],
        ..Default::default()
    }
}

/// Writes a client registry of `clients` to a fresh file; returns its path.
pub fn registry_file(clients: Vec<auth_gateway::clients::Client>) -> String {
    let file = std::env::temp_dir().join(format!("clients-{}.toml", uuid::Uuid::new_v4().simple()));
    auth_gateway::clients::ClientRegistry { clients }
        .save(&file)
        .expect("registry written");
    file.to_string_lossy().into_owned()
}

/// The client registry of the tests (a confidential shop, a public web app, and a confidential
/// fan app that must push its authorization requests) in a fresh file;
/// returns its path.
pub fn clients_file() -> String {
    registry_file(vec![
        shop_client(),
        auth_gateway::clients::Client {
            id: "web-app".into(),
            name: "Club website".into(),
            kind: auth_gateway::clients::ClientKind::Public,
            secret_hashes: vec![],
            redirect_uris: vec![APP_REDIRECT.into()],
            post_logout_redirect_uris: vec![],
            // The rotation tests present a spent token at once: reuse, not a lost answer.
            refresh_reuse_grace_seconds: Some(0),
            ..Default::default()
        },
        auth_gateway::clients::Client {
            id: "par-app".into(),
            name: "Fan app".into(),
            kind: auth_gateway::clients::ClientKind::Confidential,
            secret_hashes: vec![auth_gateway::clients::hash_secret(SHOP_SECRET)],
            redirect_uris: vec![APP_REDIRECT.into()],
            post_logout_redirect_uris: vec![],
            require_pushed_authorization_requests: true,
            ..Default::default()
        },
    ])
}

/// Contact 0001234567 (Jean Dupont, jean.dupont@example.org) with a web account whose password
/// is [`PASSWORD`]; returns the account's subject id.
pub async fn seed_account(db: &TestDatabase) -> uuid::Uuid {
    db.execute(
        "INSERT INTO contacts (contact_number, first_name, last_name, email, language, birth_date, phone, addresses, \
         authorizations, raw, version_time, version_event_id, source) VALUES ('0001234567', 'Jean', 'Dupont', \
         'jean.dupont@example.org', 'fr', '1985-06-14', '+41791234567', \
         '[{\"lines\":[\"Rue du Lac 12\"],\"zip_code\":\"1003\",\"town\":\"Lausanne\",\"country_code\":\"CH\",\"main\":true}]', \
         '[{\"code\":\"NEWSLTR\",\"allowed\":true}]', '{}', now(), gen_random_uuid(), 'webhook')",
    )
    .await;
    let subject = db.create_account("0001234567", "jean.dupont@example.org").await;
    let hash = auth_gateway::passwords::Passwords::new(1)
        .expect("hasher")
        .hash(PASSWORD)
        .await
        .expect("hash");
    db.execute(&format!(
        "UPDATE accounts SET password_hash = '{hash}', email_verified = true"
    ))
    .await;
    subject
}

pub fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub fn authorize_url(base: &str, client_id: &str, redirect: &str, extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&format!("{base}/authorize")).expect("url");
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid email profile")
        .append_pair("state", "state-123")
        .append_pair("nonce", "nonce-456");
    for (k, v) in extra {
        url.query_pairs_mut().append_pair(k, v);
    }
    url.to_string()
}

pub fn cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

pub fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden field") + marker.len();
    let end = start + html[start..].find('"').expect("end of value");
    html[start..end].replace("&amp;", "&").replace("&quot;", "\"")
}

/// Signs in through the login page; returns the session cookie value.
pub async fn sign_in(s: &Setup, authorize: &str, password: &str) -> Result<String, StatusCode> {
    sign_in_at(&s.client, &s.gateway.base_url, authorize, password).await
}

/// [`sign_in`] at the gateway at `base` with `client`.
pub async fn sign_in_at(
    client: &reqwest::Client,
    base: &str,
    authorize: &str,
    password: &str,
) -> Result<String, StatusCode> {
    sign_in_as(client, base, authorize, "Jean.Dupont@example.org", password).await
}

/// [`sign_in_at`] as the account of `email`.
pub async fn sign_in_as(
    client: &reqwest::Client,
    base: &str,
    authorize: &str,
    email: &str,
    password: &str,
) -> Result<String, StatusCode> {
    let page = client.get(authorize).send().await.expect("authorize answers");
    assert_eq!(page.status(), 200, "the sign-in page");
    let csrf_cookie = cookie(&page, "__Host-csrf").expect("csrf cookie");
    let html = page.text().await.expect("html");
    let form = [
        ("csrf", hidden(&html, "csrf")),
        ("return_to", hidden(&html, "return_to")),
        ("email", email.to_owned()),
        ("password", password.to_owned()),
    ];
    let response = client
        .post(format!("{base}/login"))
        .header("cookie", format!("__Host-csrf={}", cookie_value(&csrf_cookie)))
        .form(&form)
        .send()
        .await
        .expect("login answers");
    if response.status() != StatusCode::SEE_OTHER {
        return Err(response.status());
    }
    let session = cookie(&response, "__Host-session").expect("session cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(attribute), "{attribute} missing: {session}");
    }
    assert!(!session.contains("Domain"), "{session}");
    Ok(cookie_value(&session))
}

/// Follows /authorize with a session; returns the redirect's query parameters.
pub async fn redirect_params(
    s: &Setup,
    authorize: &str,
    session: Option<&str>,
) -> std::collections::HashMap<String, String> {
    let mut request = s.client.get(authorize);
    if let Some(session) = session {
        request = request.header("cookie", format!("__Host-session={session}"));
    }
    let response = request.send().await.expect("authorize answers");
    assert_eq!(response.status(), StatusCode::FOUND, "a redirect to the client");
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location");
    assert!(
        location.starts_with(REDIRECT) || location.starts_with(APP_REDIRECT),
        "{location}"
    );
    url::Url::parse(location)
        .expect("url")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub async fn token(s: &Setup, form: &[(&str, &str)], basic: bool) -> (StatusCode, Value) {
    let mut request = s.client.post(format!("{}/token", s.gateway.base_url)).form(form);
    if basic {
        request = request.basic_auth("shop", Some(SHOP_SECRET));
    }
    let response = request.send().await.expect("token answers");
    assert_eq!(
        response.headers().get("cache-control").and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    (response.status(), response.json().await.expect("json"))
}

pub async fn verify_id_token(s: &Setup, id_token: &str) -> Value {
    let jwks: jsonwebtoken::jwk::JwkSet = reqwest::get(format!("{}/jwks.json", s.gateway.base_url))
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    let header = jsonwebtoken::decode_header(id_token).expect("header");
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    let jwk = jwks.find(header.kid.as_deref().expect("kid")).expect("key in the JWKS");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).expect("key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&["http://127.0.0.1:8080"]);
    validation.set_audience(&["shop"]);
    jsonwebtoken::decode::<Value>(id_token, &key, &validation)
        .expect("a valid ID token")
        .claims
}

/// Signs in and redeems a code for the confidential shop client; returns (session, tokens).
pub async fn shop_tokens(s: &Setup) -> (String, Value) {
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    let session = sign_in(s, &authorize, PASSWORD).await.expect("signed in");
    let code = redirect_params(s, &authorize, Some(&session)).await["code"].clone();
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
    (session, tokens)
}

pub async fn introspect(s: &Setup, token: &str) -> Value {
    s.client
        .post(format!("{}/introspect", s.gateway.base_url))
        .basic_auth("shop", Some(SHOP_SECRET))
        .form(&[("token", token)])
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json")
}

/// Signs in for the public web app (PKCE S256 with [`VERIFIER`]); returns its authorization code.
pub async fn app_code(s: &Setup) -> String {
    let authorize = authorize_url(
        &s.gateway.base_url,
        "web-app",
        APP_REDIRECT,
        &[
            ("code_challenge", &challenge(VERIFIER)),
            ("code_challenge_method", "S256"),
        ],
    );
    let session = sign_in(s, &authorize, PASSWORD).await.expect("signed in");
    redirect_params(s, &authorize, Some(&session)).await["code"].clone()
}

/// Submits the forgotten-password form for `email` (with extra request headers).
pub async fn post_forgot(s: &Setup, email: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let page = s
        .client
        .get(format!("{}/password/forgot", s.gateway.base_url))
        .send()
        .await
        .expect("answers");
    let csrf = cookie_value(&cookie(&page, "__Host-csrf").expect("csrf cookie"));
    let html = page.text().await.expect("html");
    let mut request = s
        .client
        .post(format!("{}/password/forgot", s.gateway.base_url))
        .header("cookie", format!("__Host-csrf={csrf}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
        .form(&[("csrf", hidden(&html, "csrf")), ("email", email.to_owned())])
        .send()
        .await
        .expect("answers")
}
