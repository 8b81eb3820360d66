//! Staff sign-in: the console is a confidential OIDC client of the gateway (authorization code
//! with PKCE S256, `state` and `nonce`, RFC 9207 `iss` checked). `/login` starts a sign-in,
//! always with `prompt=login` (the gateway asks a staff member for the password and a TOTP code
//! every time); `/callback` redeems the code, validates the ID token ([`id_token`]) and opens
//! a console session whose `auth_time` the destructive actions check. The flow's secrets ride
//! in a short-lived `__Host-console-login` cookie.

mod callback;
pub mod id_token;

use actix_web::{
    HttpRequest, HttpResponse,
    cookie::{Cookie, SameSite, time::Duration as CookieDuration},
    http::header,
    web,
};
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::state::ConsoleState;

pub use callback::callback;

pub const LOGIN_COOKIE: &str = "__Host-console-login";
/// How long a started sign-in may take.
const LOGIN_MINUTES: i64 = 10;

/// What the browser keeps between `/login` and `/callback`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    /// When the sign-in started (Unix seconds): the ID token's `auth_time` must not be older.
    pub started: i64,
    /// The console page to return to.
    pub next: String,
}

impl Pending {
    fn encode(&self) -> String {
        let next = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.next.as_bytes());
        format!(
            "{}.{}.{}.{}.{next}",
            self.state, self.nonce, self.verifier, self.started
        )
    }

    pub fn decode(value: &str) -> Option<Self> {
        let mut parts = value.split('.');
        let (state, nonce, verifier, started, next) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        let next = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(next).ok()?;
        let next = String::from_utf8(next).ok().filter(|n| safe_next(n))?;
        Some(Self {
            state: state.to_owned(),
            nonce: nonce.to_owned(),
            verifier: verifier.to_owned(),
            started: started.parse().ok()?,
            next,
        })
    }
}

/// Only the console's own pages: never an open redirect.
pub fn safe_next(next: &str) -> bool {
    next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') && next.len() <= 512
}

/// `GET /login?next=`: off to the gateway's staff sign-in.
pub async fn login(req: HttpRequest, state: web::Data<ConsoleState>) -> HttpResponse {
    let next = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned())
        .filter(|n| safe_next(n))
        .unwrap_or_else(|| "/".into());
    let (Some(flow_state), Some(nonce), Some(verifier)) = (
        infra::secrets::random_token(),
        infra::secrets::random_token(),
        infra::secrets::random_token(),
    ) else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let oidc = &state.oidc;
    let mut authorize = match url::Url::parse(&format!("{}/authorize", oidc.issuer)) {
        Ok(url) => url,
        Err(_) => return HttpResponse::InternalServerError().finish(),
    };
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &oidc.client_id)
        .append_pair("redirect_uri", &oidc.redirect_uri)
        .append_pair("scope", "openid")
        .append_pair("state", &flow_state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("prompt", "login")
        .append_pair("ui_locales", crate::pages::Lang::of_request(&req).code());
    let pending = Pending {
        state: flow_state,
        nonce,
        verifier,
        started: chrono::Utc::now().timestamp(),
        next,
    };
    // Lax, not Strict: the cookie must come back with the gateway's redirect to `/callback`.
    let cookie = Cookie::build(LOGIN_COOKIE, pending.encode())
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(CookieDuration::minutes(LOGIN_MINUTES))
        .finish();
    HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header((header::LOCATION, authorize.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// Removes the sign-in cookie once used.
pub fn cleared_login_cookie() -> Cookie<'static> {
    let mut cookie = Cookie::build(LOGIN_COOKIE, "")
        .secure(true)
        .http_only(true)
        .path("/")
        .finish();
    cookie.make_removal();
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pending_sign_in_survives_its_cookie_and_refuses_open_redirects() {
        let pending = Pending {
            state: "s".into(),
            nonce: "n".into(),
            verifier: "v".into(),
            started: 42,
            next: "/fans/0001?x=1".into(),
        };
        assert_eq!(Pending::decode(&pending.encode()), Some(pending.clone()));
        for open in ["//evil.example/", "https://evil.example/", "/\\evil", ""] {
            let bad = Pending {
                next: open.into(),
                ..pending.clone()
            };
            assert_eq!(Pending::decode(&bad.encode()), None, "{open}");
        }
    }
}
