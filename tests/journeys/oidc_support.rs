//! Steps of the conformance tests that the gateway tests do not already share: following the
//! sign-in page back to `/authorize` as a browser does (with the session it already holds),
//! redeeming a code, and reading the claims of the ID token it returns.

use reqwest::StatusCode;
use serde_json::Value;

use crate::gateway_support::*;

/// What `/authorize` answered a browser: the sign-in page, or a redirect to the client.
pub enum Answer {
    /// The page's HTML and its CSRF cookie value.
    Page(SignInPage),
    Redirect(std::collections::HashMap<String, String>),
}

pub struct SignInPage {
    pub html: String,
    csrf: String,
}

/// `GET url` with the session cookie, if any.
pub async fn visit(s: &Setup, url: &str, session: Option<&str>) -> Answer {
    let mut request = s.client.get(url);
    if let Some(session) = session {
        request = request.header("cookie", format!("__Host-session={session}"));
    }
    let response = request.send().await.expect("authorize answers");
    answer(response).await
}

pub async fn answer(response: reqwest::Response) -> Answer {
    match response.status() {
        StatusCode::OK => {
            let csrf = cookie_value(&cookie(&response, "__Host-csrf").expect("csrf cookie"));
            Answer::Page(SignInPage {
                html: response.text().await.expect("html"),
                csrf,
            })
        }
        StatusCode::FOUND => {
            let location = response.headers()["location"].to_str().expect("location").to_owned();
            assert!(
                location.starts_with(REDIRECT) || location.starts_with(APP_REDIRECT),
                "{location}"
            );
            Answer::Redirect(
                url::Url::parse(&location)
                    .expect("url")
                    .query_pairs()
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect(),
            )
        }
        other => panic!(
            "unexpected answer {other}: {}",
            response.text().await.unwrap_or_default()
        ),
    }
}

/// Signs in on the page `/authorize` showed and follows the page's own way back; returns the
/// new session and the redirect's parameters.
pub async fn sign_in_on(s: &Setup, page: &SignInPage) -> (String, std::collections::HashMap<String, String>) {
    let form = [
        ("csrf", hidden(&page.html, "csrf")),
        ("return_to", hidden(&page.html, "return_to")),
        ("email", "jean.dupont@example.org".to_owned()),
        ("password", PASSWORD.to_owned()),
    ];
    let response = s
        .client
        .post(format!("{}/login", s.gateway.base_url))
        .header("cookie", format!("__Host-csrf={}", page.csrf))
        .form(&form)
        .send()
        .await
        .expect("login answers");
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "signed in");
    let session = cookie_value(&cookie(&response, "__Host-session").expect("session cookie"));
    let back = response.headers()["location"].to_str().expect("location").to_owned();
    assert!(back.starts_with("/authorize?"), "{back}");
    match visit(s, &format!("{}{back}", s.gateway.base_url), Some(&session)).await {
        Answer::Redirect(params) => (session, params),
        Answer::Page(_) => panic!("the sign-in page again right after signing in"),
    }
}

/// The page's answer, which must be the sign-in page.
pub fn page(answer: Answer) -> SignInPage {
    match answer {
        Answer::Page(page) => page,
        Answer::Redirect(params) => panic!("expected the sign-in page, got a redirect: {params:?}"),
    }
}

/// The answer's redirect parameters, which must carry a code.
pub fn code(answer: Answer) -> String {
    match answer {
        Answer::Redirect(params) => params
            .get("code")
            .cloned()
            .unwrap_or_else(|| panic!("no code: {params:?}")),
        Answer::Page(_) => panic!("expected a code, got the sign-in page"),
    }
}

/// Redeems a code of the shop (no PKCE); returns the token response.
pub async fn redeem(s: &Setup, code: &str) -> Value {
    let (status, tokens) = token(
        s,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
        ],
        true,
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

/// The verified claims of a token response's ID token.
pub async fn id_claims(s: &Setup, tokens: &Value) -> Value {
    verify_id_token(s, tokens["id_token"].as_str().expect("id token")).await
}

/// `/authorize` for the shop with `scope` (instead of `openid email profile`) and `extra`.
pub fn shop_authorize(s: &Setup, scope: &str, extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&format!("{}/authorize", s.gateway.base_url)).expect("url");
    url.query_pairs_mut()
        .append_pair("client_id", "shop")
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("response_type", "code")
        .append_pair("scope", scope)
        .append_pair("state", "state-123")
        .append_pair("nonce", "nonce-456")
        .extend_pairs(extra);
    url.to_string()
}

/// Signs in from scratch on the page `authorize` shows and redeems the code; returns the
/// token response.
pub async fn tokens_through(s: &Setup, authorize: &str) -> Value {
    let shown = page(visit(s, authorize, None).await);
    let (_, params) = sign_in_on(s, &shown).await;
    redeem(s, &params["code"]).await
}

/// `GET /userinfo` with `access`, which must answer 200; returns its claims.
pub async fn userinfo(s: &Setup, access: &str) -> Value {
    let response = s
        .client
        .get(format!("{}/userinfo", s.gateway.base_url))
        .bearer_auth(access)
        .send()
        .await
        .expect("userinfo answers");
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

/// The names of an object's members, sorted.
pub fn members(object: &Value) -> Vec<&str> {
    let mut names: Vec<&str> = object
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    names
}
