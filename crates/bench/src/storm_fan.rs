//! One fan of the sign-in storm, as a browser would go: the shop's authorization request, the
//! sign-in page, the password posted, the code, the shop's token request and its userinfo
//! call. A busy page (503) is waited out for its `Retry-After` and the authorization request
//! followed again, as its meta refresh does; and a fan already signed in signing in silently.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use reqwest::{Client, Response, StatusCode};

use crate::gateway_grants::SECRET;

/// Where the benchmark client is sent back with its code.
pub const REDIRECT: &str = "https://shop.example.org/sso/callback";

/// Every status the gateway answered, by code.
pub type Tally = Arc<Mutex<BTreeMap<u16, u64>>>;

/// How one fan's sign-in went.
pub struct Outcome {
    /// When the shop had the fan's userinfo; `None` if the fan gave up or met an error.
    pub completed_at: Option<Instant>,
    /// From the first authorization request to the userinfo answer.
    pub flow: Option<Duration>,
    /// From the admitted password POST to its redirect.
    pub admitted: Option<Duration>,
    /// Busy pages met on the way.
    pub busy: u32,
}

/// The shop's authorization request for `client_id`, `prompt=none` when `silent`.
pub fn authorize_url(base: &str, client_id: &str, silent: bool) -> String {
    let mut url = url::Url::parse(&format!("{base}/authorize")).unwrap_or_else(|_| unreachable!("a base URL"));
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid profile email")
        .append_pair("state", "storm")
        .append_pair("nonce", "storm");
    if silent {
        url.query_pairs_mut().append_pair("prompt", "none");
    }
    url.to_string()
}

/// Signs `email` in through the pages and completes the shop's side; gives up at `give_up`.
/// Returns the outcome and the session cookie's value.
pub async fn sign_in(
    client: &Client,
    base: &str,
    email: &str,
    password: &str,
    tally: &Tally,
    give_up: Instant,
) -> (Outcome, Option<String>) {
    let started = Instant::now();
    let mut outcome = Outcome {
        completed_at: None,
        flow: None,
        admitted: None,
        busy: 0,
    };
    let authorize = authorize_url(base, "storm", false);
    let session = loop {
        if Instant::now() > give_up {
            return (outcome, None);
        }
        let Some(page) = send(client.get(&authorize), tally).await else {
            return (outcome, None);
        };
        if page.status() == StatusCode::SERVICE_UNAVAILABLE {
            outcome.busy += 1;
            wait_out(&page).await;
            continue;
        }
        if page.status() != StatusCode::OK {
            return (outcome, None);
        }
        let csrf_cookie = cookie(&page, "__Host-csrf").unwrap_or_default();
        let Ok(html) = page.text().await else {
            return (outcome, None);
        };
        let form = [
            ("csrf", hidden(&html, "csrf")),
            ("return_to", hidden(&html, "return_to")),
            ("email", email.to_owned()),
            ("password", password.to_owned()),
        ];
        let posted = Instant::now();
        let request = client
            .post(format!("{base}/login"))
            .header("cookie", format!("__Host-csrf={csrf_cookie}"))
            .form(&form);
        let Some(answer) = send(request, tally).await else {
            return (outcome, None);
        };
        match answer.status() {
            StatusCode::SEE_OTHER => {
                outcome.admitted = Some(posted.elapsed());
                break cookie(&answer, "__Host-session");
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                outcome.busy += 1;
                wait_out(&answer).await;
            }
            _ => return (outcome, None),
        }
    };
    let Some(session) = session else {
        return (outcome, None);
    };
    if shop_side(client, base, &authorize, &session, tally, true).await {
        outcome.completed_at = Some(Instant::now());
        outcome.flow = Some(started.elapsed());
    }
    (outcome, Some(session))
}

/// A silent sign-in of a fan already signed in (`prompt=none` and the code redeemed, no
/// userinfo: the shop has the fan's data already); its duration if it succeeded.
pub async fn silent_sign_in(client: &Client, base: &str, session: &str, tally: &Tally) -> Option<Duration> {
    let started = Instant::now();
    let authorize = authorize_url(base, "storm", true);
    shop_side(client, base, &authorize, session, tally, false)
        .await
        .then(|| started.elapsed())
}

/// With a session: the authorization request's code, the token request, and userinfo if
/// `with_userinfo`. Whether each answered as it should.
async fn shop_side(
    client: &Client,
    base: &str,
    authorize: &str,
    session: &str,
    tally: &Tally,
    with_userinfo: bool,
) -> bool {
    let request = client
        .get(authorize)
        .header("cookie", format!("__Host-session={session}"));
    let Some(redirect) = send(request, tally).await.filter(|r| r.status() == StatusCode::FOUND) else {
        return false;
    };
    let code = redirect
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .and_then(|l| url::Url::parse(l).ok())
        .and_then(|l| l.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()));
    let Some(code) = code else {
        return false;
    };
    let request = client
        .post(format!("{base}/token"))
        .basic_auth("storm", Some(SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ]);
    let Some(tokens) = send(request, tally).await.filter(|r| r.status() == StatusCode::OK) else {
        return false;
    };
    if !with_userinfo {
        return true;
    }
    let Ok(tokens) = tokens.json::<serde_json::Value>().await else {
        return false;
    };
    let access = tokens["access_token"].as_str().unwrap_or_default();
    let request = client.get(format!("{base}/userinfo")).bearer_auth(access);
    send(request, tally).await.is_some_and(|r| r.status() == StatusCode::OK)
}

/// Sends `request` and counts its status; a connection error counts as status 0.
async fn send(request: reqwest::RequestBuilder, tally: &Tally) -> Option<Response> {
    let response = request.send().await;
    let status = response.as_ref().map(|r| r.status().as_u16()).unwrap_or(0);
    *tally
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(status)
        .or_default() += 1;
    response.ok()
}

/// Waits as long as the busy page's `Retry-After` says (its meta refresh waits as long).
async fn wait_out(response: &Response) {
    let seconds = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(1);
    tokio::time::sleep(Duration::from_secs(seconds.min(10))).await;
}

fn cookie(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// The value of the hidden field `name` in `html`.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    html.find(&marker)
        .map(|i| &html[i + marker.len()..])
        .and_then(|rest| rest.split('"').next())
        .map(|v| v.replace("&amp;", "&"))
        .unwrap_or_default()
}
