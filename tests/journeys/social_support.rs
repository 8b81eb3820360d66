//! Shared steps of the social sign-in tests: a real, independent OpenID provider (panva's
//! oidc-provider, `tests/browser/upstream_op.mjs`) playing "Google", the gateway configured
//! with it, and a browser's cookies on each side driven by hand (redirects followed one by
//! one, so each step can be looked at and tampered with).

use std::{collections::HashMap, process::Stdio};

use reqwest::StatusCode;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::gateway_support::{Setup, setup_with};

/// The gateway's own address as the tests' gateway states it (its default issuer), which
/// the upstream's redirects name; the tests send those requests to the real port.
pub const ISSUER: &str = "http://127.0.0.1:8080";
pub const UPSTREAM_CLIENT: &str = "gateway";
pub const UPSTREAM_SECRET: &str = "upstream-secret-for-the-tests-only";

/// The node process of the upstream provider, stopped when dropped.
pub struct Upstream {
    pub issuer: String,
    _process: tokio::process::Child,
}

/// Starts the upstream provider for a gateway whose callback is `redirect`; `mode` makes it
/// misbehave (`bad-signature`, `wrong-audience`; `normal` otherwise).
pub async fn start_upstream(redirect: &str, mode: &str) -> Upstream {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/browser/upstream_op.mjs");
    let mut process = tokio::process::Command::new("node")
        .args([script, redirect, UPSTREAM_CLIENT, UPSTREAM_SECRET, mode])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut lines = BufReader::new(process.stdout.take().expect("stdout")).lines();
    let issuer = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("reads") {
            if let Ok(ready) = serde_json::from_str::<serde_json::Value>(&line) {
                return ready["issuer"].as_str().expect("issuer").to_owned();
            }
        }
        panic!("the upstream provider exited before listening");
    })
    .await
    .expect("the upstream provider starts within 30 s");
    // Drained to the end: a closed pipe would stop the provider at its next line of output.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Upstream {
        issuer,
        _process: process,
    }
}

/// An upstreams file naming "Google" at `issuer`; returns its path.
pub fn upstreams_file(issuer: &str) -> String {
    upstreams_file_with(issuer, "")
}

/// [`upstreams_file`] with `extra` lines in the provider's entry.
pub fn upstreams_file_with(issuer: &str, extra: &str) -> String {
    let file = std::env::temp_dir().join(format!("upstreams-{}.toml", uuid::Uuid::new_v4().simple()));
    std::fs::write(
        &file,
        format!(
            "[[providers]]\nid = \"google\"\nname = \"Google\"\nkind = \"google\"\nissuer = \"{issuer}\"\n\
             client_id = \"{UPSTREAM_CLIENT}\"\nclient_secret = \"{UPSTREAM_SECRET}\"\ntrust_email = true\n{extra}"
        ),
    )
    .expect("upstreams file written");
    file.to_string_lossy().into_owned()
}

/// The gateway (with its test account, Jean) and the upstream provider.
pub struct Social {
    pub s: Setup,
    pub upstream: Upstream,
}

pub async fn social(mode: &str) -> Social {
    social_with(mode, "").await
}

/// [`social`] with `extra` lines in the provider's configuration.
pub async fn social_with(mode: &str, extra: &str) -> Social {
    let upstream = start_upstream(&format!("{ISSUER}/login/social/google/callback"), mode).await;
    let file = upstreams_file_with(&upstream.issuer, extra);
    let s = setup_with(&["--upstreams-file", &file]).await;
    Social { s, upstream }
}

/// One browser's cookies at one site.
#[derive(Default, Clone)]
pub struct Jar(pub HashMap<String, String>);

impl Jar {
    /// Keeps the cookies `response` sets (a removal removes).
    pub fn absorb(&mut self, response: &reqwest::Response) {
        for set in response.headers().get_all("set-cookie").iter() {
            let Ok(set) = set.to_str() else { continue };
            let Some((name, value)) = set.split(';').next().and_then(|kv| kv.split_once('=')) else {
                continue;
            };
            if value.is_empty() || set.contains("Max-Age=0") || set.contains("1970") {
                self.0.remove(name);
            } else {
                self.0.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    pub fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a redirect")
        .to_owned()
}

/// A GET in `jar`'s browser, keeping what it sets.
pub async fn get(client: &reqwest::Client, jar: &mut Jar, url: &str) -> reqwest::Response {
    let response = client
        .get(url)
        .header("cookie", jar.header())
        .send()
        .await
        .expect("answers");
    jar.absorb(&response);
    response
}

/// A form POST in `jar`'s browser, keeping what it sets.
pub async fn post(client: &reqwest::Client, jar: &mut Jar, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let response = client
        .post(url)
        .header("cookie", jar.header())
        .form(form)
        .send()
        .await
        .expect("answers");
    jar.absorb(&response);
    response
}

/// "Continue with Google" from the gateway: the upstream authorization URL it redirects to.
pub async fn start(s: &Setup, gateway: &mut Jar, return_to: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(return_to.as_bytes()).collect();
    let url = format!("{}/login/social/google?return_to={encoded}", s.gateway.base_url);
    let answer = get(&s.client, gateway, &url).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER, "to the provider");
    assert!(gateway.get("__Host-federation").is_some(), "the browser is bound");
    location(&answer)
}

/// At the upstream: signs in as `email` (its address `verified` or not) or cancels; returns
/// the last answer of the provider and its URL.
async fn upstream_answer(
    s: &Setup,
    authorize: &str,
    email: &str,
    verified: bool,
    cancel: bool,
) -> (String, reqwest::Response) {
    let mut jar = Jar::default();
    let base = authorize[..authorize.find("/auth").expect("an authorization URL")].to_owned();
    let absolute = |to: String| if to.starts_with('/') { format!("{base}{to}") } else { to };
    // /auth → the sign-in page.
    let answer = get(&s.client, &mut jar, authorize).await;
    let page = absolute(location(&answer));
    assert_eq!(
        get(&s.client, &mut jar, &page).await.status(),
        200,
        "the provider's sign-in page"
    );
    let action = if cancel { "cancel" } else { "login" };
    let mut form = vec![("login", email), ("action", action)];
    if verified {
        form.push(("verified", "yes"));
    }
    let mut answer = post(&s.client, &mut jar, &page, &form).await;
    // /auth/<uid> → the gateway's callback, or the page posting to it.
    loop {
        let url = absolute(location(&answer));
        if !url.starts_with(&base) {
            return (url, answer);
        }
        answer = get(&s.client, &mut jar, &url).await;
        if answer.status() == StatusCode::OK {
            return (url, answer);
        }
        assert!(answer.status().is_redirection(), "{url}: {}", answer.status());
    }
}

/// At the upstream: signs in or cancels; returns the callback URL the provider redirects the
/// browser to, addressed to the gateway's real port.
pub async fn at_upstream(s: &Setup, authorize: &str, email: &str, verified: bool, cancel: bool) -> String {
    let (url, answer) = upstream_answer(s, authorize, email, verified, cancel).await;
    assert!(answer.status().is_redirection(), "a redirect to the gateway");
    url.replacen(ISSUER, &s.gateway.base_url, 1)
}

/// At an upstream answering with `form_post`: signs in; returns the callback URL (at the
/// gateway's real port) and the fields the provider's page posts to it.
pub async fn at_upstream_posting(s: &Setup, authorize: &str, email: &str) -> (String, Vec<(String, String)>) {
    let (_, answer) = upstream_answer(s, authorize, email, true, false).await;
    assert_eq!(answer.status(), 200, "the page posting the answer");
    let html = answer.text().await.expect("html");
    let attribute = |tag: &str, name: &str| {
        let marker = format!("{name}=\"");
        tag.find(&marker).map(|at| {
            let rest = &tag[at + marker.len()..];
            rest[..rest.find('"').expect("end")].replace("&amp;", "&")
        })
    };
    let action = attribute(&html[html.find("<form").expect("a form")..], "action").expect("action");
    let fields = html
        .split("<input")
        .skip(1)
        .filter_map(|tag| Some((attribute(tag, "name")?, attribute(tag, "value")?)))
        .collect();
    (action.replacen(ISSUER, &s.gateway.base_url, 1), fields)
}

/// The whole way from "Continue with Google" to the gateway's answer to the callback.
pub async fn through_google(
    s: &Setup,
    gateway: &mut Jar,
    return_to: &str,
    email: &str,
    verified: bool,
) -> reqwest::Response {
    let authorize = start(s, gateway, return_to).await;
    let callback = at_upstream(s, &authorize, email, verified, false).await;
    get(&s.client, gateway, &callback).await
}

/// Fills in the sign-up form the callback led to (privacy accepted) and submits it.
pub async fn sign_up(s: &Setup, gateway: &mut Jar) -> reqwest::Response {
    let page = get(
        &s.client,
        gateway,
        &format!("{}/login/social/signup", s.gateway.base_url),
    )
    .await;
    assert_eq!(page.status(), 200, "the sign-up form");
    let html = page.text().await.expect("html");
    let csrf = crate::gateway_support::hidden(&html, "csrf");
    let given = value_of(&html, "given_name");
    let family = value_of(&html, "family_name");
    post(
        &s.client,
        gateway,
        &format!("{}/login/social/signup", s.gateway.base_url),
        &[
            ("csrf", &csrf),
            ("given_name", &given),
            ("family_name", &family),
            ("language", "en"),
            ("privacy", "yes"),
        ],
    )
    .await
}

/// The value of the text input `name`.
pub fn value_of(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\"");
    let at = html.find(&marker).expect("the field");
    let rest = &html[at..];
    let start = rest.find("value=\"").expect("a value") + "value=\"".len();
    rest[start..start + rest[start..].find('"').expect("end")].to_owned()
}
