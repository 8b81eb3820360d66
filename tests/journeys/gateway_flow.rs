//! The authorization code flow with PKCE, end to end against the running gateway: sign-in
//! page, session cookie, code, token exchange, ID token verified through the JWKS, userinfo,
//! refresh rotation with reuse detection, and the errors RFC 6749 and OIDC Core require.

use base64::Engine;
use reqwest::{StatusCode, redirect::Policy};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tests::{TestDatabase, spawn_gateway_with};

const SHOP_SECRET: &str = "shop-secret-for-the-tests-only";
const REDIRECT: &str = "https://shop.example.org/cas/login?client_name=IDP";
const APP_REDIRECT: &str = "http://127.0.0.1:3000/callback";
const PASSWORD: &str = "correct horse battery staple";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

struct Setup {
    _db: TestDatabase,
    gateway: tests::Running,
    client: reqwest::Client,
    subject: uuid::Uuid,
}

async fn setup() -> Setup {
    let db = TestDatabase::create().await;
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

    let clients = std::env::temp_dir().join(format!("clients-{}.toml", uuid::Uuid::new_v4().simple()));
    let registry = auth_gateway::clients::ClientRegistry {
        clients: vec![
            auth_gateway::clients::Client {
                id: "shop".into(),
                name: "S-360 ticket shop".into(),
                kind: auth_gateway::clients::ClientKind::Confidential,
                secret_hashes: vec![auth_gateway::clients::hash_secret(SHOP_SECRET)],
                redirect_uris: vec![REDIRECT.into()],
                post_logout_redirect_uris: vec![],
            },
            auth_gateway::clients::Client {
                id: "web-app".into(),
                name: "Club website".into(),
                kind: auth_gateway::clients::ClientKind::Public,
                secret_hashes: vec![],
                redirect_uris: vec![APP_REDIRECT.into()],
                post_logout_redirect_uris: vec![],
            },
        ],
    };
    registry.save(&clients).expect("registry written");
    let gateway = spawn_gateway_with(&db.url, &["--clients-file", &clients.to_string_lossy()]).await;
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client");
    Setup {
        _db: db,
        gateway,
        client,
        subject,
    }
}

fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn authorize_url(base: &str, client_id: &str, redirect: &str, extra: &[(&str, &str)]) -> String {
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

fn cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden field") + marker.len();
    let end = start + html[start..].find('"').expect("end of value");
    html[start..end].replace("&amp;", "&").replace("&quot;", "\"")
}

/// Signs in through the login page; returns the session cookie value.
async fn sign_in(s: &Setup, authorize: &str, password: &str) -> Result<String, StatusCode> {
    let page = s.client.get(authorize).send().await.expect("authorize answers");
    assert_eq!(page.status(), 200, "the sign-in page");
    let csrf_cookie = cookie(&page, "__Host-csrf").expect("csrf cookie");
    let html = page.text().await.expect("html");
    let form = [
        ("csrf", hidden(&html, "csrf")),
        ("return_to", hidden(&html, "return_to")),
        ("email", "Jean.Dupont@example.org".to_owned()),
        ("password", password.to_owned()),
    ];
    let response = s
        .client
        .post(format!("{}/login", s.gateway.base_url))
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
async fn redirect_params(
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

async fn token(s: &Setup, form: &[(&str, &str)], basic: bool) -> (StatusCode, Value) {
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

async fn verify_id_token(s: &Setup, id_token: &str) -> Value {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_code_flow_signs_in_and_the_shop_reads_userinfo() {
    let s = setup().await;
    let authorize = authorize_url(
        &s.gateway.base_url,
        "shop",
        REDIRECT,
        &[
            ("code_challenge", &challenge(VERIFIER)),
            ("code_challenge_method", "S256"),
        ],
    );
    let session = sign_in(&s, &authorize, PASSWORD).await.expect("signed in");
    let params = redirect_params(&s, &authorize, Some(&session)).await;
    assert_eq!(params.get("state").map(String::as_str), Some("state-123"));
    assert_eq!(params.get("iss").map(String::as_str), Some("http://127.0.0.1:8080"));
    let code = params.get("code").expect("a code").clone();

    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let (status, tokens) = token(&s, &form, true).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    let claims = verify_id_token(&s, tokens["id_token"].as_str().expect("id token")).await;
    assert_eq!(claims["sub"], s.subject.to_string(), "our stable subject id");
    assert_eq!(claims["nonce"], "nonce-456");
    assert_eq!(claims["email"], "jean.dupont@example.org");
    assert_eq!(claims["contact_number"], "0001234567");
    assert!(claims["auth_time"].is_i64());

    let access = tokens["access_token"].as_str().expect("access token");
    let header = jsonwebtoken::decode_header(access).expect("header");
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    let info: Value = s
        .client
        .get(format!("{}/userinfo", s.gateway.base_url))
        .bearer_auth(access)
        .send()
        .await
        .expect("userinfo")
        .json()
        .await
        .expect("json");
    assert_eq!(info["sub"], claims["sub"]);
    assert_eq!(
        (info["given_name"].as_str(), info["family_name"].as_str()),
        (Some("Jean"), Some("Dupont"))
    );
    assert_eq!(info["birthdate"], "1985-06-14");
    assert_eq!(info["locale"], "fr");
    assert_eq!(info["phone_number"], "+41791234567");
    assert_eq!(info["address"]["locality"], "Lausanne");
    assert_eq!(info["opt_ins"]["NEWSLTR"], true);

    // The code is single-use, and its replay revokes what it issued.
    let (status, error) = token(&s, &form, true).await;
    assert_eq!((status.as_u16(), error["error"].as_str()), (400, Some("invalid_grant")));
    let refresh = tokens["refresh_token"].as_str().expect("refresh token");
    let (status, _) = token(&s, &[("grant_type", "refresh_token"), ("refresh_token", refresh)], true).await;
    assert_eq!(status, 400, "refresh token revoked by the code replay");

    // Silent sign-in with the session: a new code without any page.
    let silent = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[("prompt", "none")]);
    assert!(redirect_params(&s, &silent, Some(&session)).await.contains_key("code"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let s = setup().await;
    let authorize = authorize_url(
        &s.gateway.base_url,
        "web-app",
        APP_REDIRECT,
        &[
            ("code_challenge", &challenge(VERIFIER)),
            ("code_challenge_method", "S256"),
        ],
    );
    let session = sign_in(&s, &authorize, PASSWORD).await.expect("signed in");
    let code = redirect_params(&s, &authorize, Some(&session)).await["code"].clone();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", APP_REDIRECT),
        ("code_verifier", VERIFIER),
        ("client_id", "web-app"),
    ];
    let (status, first) = token(&s, &form, false).await;
    assert_eq!(status, 200, "{first}");
    let a = first["refresh_token"].as_str().expect("A").to_owned();
    let refresh = |t: String| {
        [
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", t),
            ("client_id", "web-app".to_owned()),
        ]
    };
    let post = |form: [(&'static str, String); 3]| {
        let request = s.client.post(format!("{}/token", s.gateway.base_url)).form(&form);
        async move {
            let response = request.send().await.expect("answers");
            (response.status(), response.json::<Value>().await.expect("json"))
        }
    };
    let (status, second) = post(refresh(a.clone())).await;
    assert_eq!(status, 200, "A → B");
    let b = second["refresh_token"].as_str().expect("B").to_owned();
    assert_ne!(a, b, "rotated");
    let (status, error) = post(refresh(a)).await;
    assert_eq!(
        (status.as_u16(), error["error"].as_str()),
        (400, Some("invalid_grant")),
        "A reused"
    );
    let (status, _) = post(refresh(b)).await;
    assert_eq!(status, 400, "B revoked with its family");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_errors_follow_the_specifications() {
    let s = setup().await;
    let base = &s.gateway.base_url;
    // An unregistered redirect URI gets nothing: an error page, no redirect.
    let evil = authorize_url(base, "shop", "https://evil.example/cb", &[]);
    let response = s.client.get(&evil).send().await.expect("answers");
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    let unknown = authorize_url(base, "nobody", REDIRECT, &[]);
    assert_eq!(s.client.get(&unknown).send().await.expect("answers").status(), 400);

    // Other errors go back to the client with the state.
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("prompt", "none")], "login_required"),
        (
            &[("code_challenge", "abc"), ("code_challenge_method", "plain")],
            "invalid_request",
        ),
        (
            &[("code_challenge", &"a".repeat(43)), ("code_challenge_method", "plain")],
            "invalid_request",
        ),
        (&[("response_type", "token")], "invalid_request"),
    ];
    for (extra, expected) in cases {
        let url = authorize_url(base, "shop", REDIRECT, extra);
        let response = s.client.get(&url).send().await.expect("answers");
        if response.status() == StatusCode::BAD_REQUEST {
            assert_eq!(expected, "invalid_request", "{url}: repeated parameter page");
            continue;
        }
        let params = redirect_params(&s, &url, None).await;
        assert_eq!(params.get("error").map(String::as_str), Some(expected), "{url}");
        assert_eq!(params.get("state").map(String::as_str), Some("state-123"));
    }
    // A public client must use PKCE.
    let no_pkce = authorize_url(base, "web-app", APP_REDIRECT, &[]);
    assert_eq!(redirect_params(&s, &no_pkce, None).await["error"], "invalid_request");

    // Wrong client secret or none: invalid_client with a challenge.
    let response = s
        .client
        .post(format!("{base}/token"))
        .basic_auth("shop", Some("wrong"))
        .form(&[("grant_type", "authorization_code"), ("code", "x")])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));

    // The same generic refusal for a wrong password and for an unknown account.
    let authorize = authorize_url(base, "shop", REDIRECT, &[]);
    assert_eq!(
        sign_in(&s, &authorize, "wrong password").await,
        Err(StatusCode::UNAUTHORIZED)
    );

    // Userinfo without or with a forged token: 401 with a Bearer challenge.
    let response = s.client.get(format!("{base}/userinfo")).send().await.expect("answers");
    assert_eq!(response.status(), 401);
    let forged = format!(
        "{}.{}.",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"at+jwt","kid":"x"}"#),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"{}"}}"#, s.subject))
    );
    let response = s
        .client
        .get(format!("{base}/userinfo"))
        .bearer_auth(forged)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 401);
    assert!(
        response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("invalid_token"))
    );
}

/// Signs in and redeems a code for the confidential shop client; returns (session, tokens).
async fn shop_tokens(s: &Setup) -> (String, Value) {
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

async fn introspect(s: &Setup, token: &str) -> Value {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_is_reflected_at_once() {
    let s = setup().await;
    let (_, tokens) = shop_tokens(&s).await;
    let access = tokens["access_token"].as_str().expect("access");
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    let active = introspect(&s, access).await;
    assert_eq!(
        (active["active"].as_bool(), active["client_id"].as_str()),
        (Some(true), Some("shop"))
    );
    assert_eq!(introspect(&s, refresh).await["active"], true);

    // Introspection requires client authentication.
    let anonymous = s
        .client
        .post(format!("{}/introspect", s.gateway.base_url))
        .form(&[("token", access)])
        .send()
        .await;
    assert_eq!(anonymous.expect("answers").status(), 401);

    // Revoking the refresh token ends the grant: the access token goes inactive too.
    let revoke = |token: &str| {
        s.client
            .post(format!("{}/revoke", s.gateway.base_url))
            .basic_auth("shop", Some(SHOP_SECRET))
            .form(&[("token", token)])
            .send()
    };
    assert_eq!(revoke(refresh).await.expect("answers").status(), 200);
    assert_eq!(introspect(&s, refresh).await, serde_json::json!({ "active": false }));
    assert_eq!(introspect(&s, access).await, serde_json::json!({ "active": false }));
    let userinfo = s
        .client
        .get(format!("{}/userinfo", s.gateway.base_url))
        .bearer_auth(access)
        .send()
        .await;
    assert_eq!(userinfo.expect("answers").status(), 401);
    assert_eq!(
        revoke("an-unknown-token").await.expect("answers").status(),
        200,
        "RFC 7009: 200 for unknown tokens"
    );

    // An access token can be revoked on its own.
    let (_, fresh) = shop_tokens(&s).await;
    let access = fresh["access_token"].as_str().expect("access");
    assert_eq!(revoke(access).await.expect("answers").status(), 200);
    assert_eq!(introspect(&s, access).await["active"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_serve_forward_auth_until_logout_or_a_merge() {
    let s = setup().await;
    let (session, tokens) = shop_tokens(&s).await;
    let verify = |session: String| {
        s.client
            .get(format!("{}/auth/verify", s.gateway.base_url))
            .header("cookie", format!("__Host-session={session}"))
            .send()
    };
    let ok = verify(session.clone()).await.expect("answers");
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.headers().get("x-auth-subject").and_then(|v| v.to_str().ok()),
        Some(s.subject.to_string().as_str())
    );
    assert_eq!(
        ok.headers().get("x-auth-contact-number").and_then(|v| v.to_str().ok()),
        Some("0001234567")
    );
    assert_eq!(
        s.client
            .get(format!("{}/auth/verify", s.gateway.base_url))
            .send()
            .await
            .expect("answers")
            .status(),
        401
    );

    // Logout ends the session on the server: replaying the old cookie fails.
    let logout = s
        .client
        .get(format!("{}/logout", s.gateway.base_url))
        .header("cookie", format!("__Host-session={session}"))
        .send()
        .await
        .expect("answers");
    assert_eq!(logout.status(), 200);
    assert!(cookie(&logout, "__Host-session").is_some_and(|c| c.contains("Max-Age=0") || c.contains("Expires")));
    assert_eq!(verify(session).await.expect("answers").status(), 401);

    // A contact merged away cannot use what it had.
    let (session, _) = shop_tokens(&s).await;
    s._db
        .execute("UPDATE contacts SET state = 'merged', head_contact_number = '0009999999'")
        .await;
    assert_eq!(verify(session).await.expect("answers").status(), 401);
    let access = tokens["access_token"].as_str().expect("access");
    let userinfo = s
        .client
        .get(format!("{}/userinfo", s.gateway.base_url))
        .bearer_auth(access)
        .send()
        .await;
    assert_eq!(userinfo.expect("answers").status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_independent_oidc_client_library_completes_the_flow() {
    let s = setup().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/oidc/authlib_client.py");
    let output = tokio::process::Command::new("python3")
        .args([
            script,
            &s.gateway.base_url,
            "shop",
            SHOP_SECRET,
            REDIRECT,
            "jean.dupont@example.org",
            PASSWORD,
        ])
        .output()
        .await
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "authlib client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    assert_eq!(seen["id_token_sub"], s.subject.to_string());
    assert_eq!(
        seen["userinfo_sub"], seen["id_token_sub"],
        "userinfo and ID token agree on sub"
    );
    assert_eq!(seen["id_token_email"], "jean.dupont@example.org");
    assert_eq!(seen["contact_number"], "0001234567");
    assert_eq!(seen["userinfo_given_name"], "Jean");
    assert_eq!(seen["silent_has_code"], true, "prompt=none with a session");
    assert_eq!(seen["anonymous_error"], "login_required", "prompt=none without one");
    assert_eq!(seen["refresh_rotated"], true);
}
