//! The console's read-only pages: the search ([`search`]), a fan's page ([`fan`]), the sync
//! at a glance ([`sync`], with its [`dead_letters`], [`imports`], [`reconcile`] reports and
//! [`replays`], asked for by [`replay_requests`]) and the audit log ([`audit`]),
//! and what every page needs first: a signed-in staff member.

pub mod audit;
pub mod dead_letters;
pub mod fan;
pub mod fan_tasks;
pub mod imports;
pub mod reconcile;
pub mod replay_requests;
pub mod replays;
pub mod search;
pub mod sync;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode};

use crate::{
    pages::{self, Lang, escape, translations::texts},
    session::{self, Staff},
    state::ConsoleState,
};

/// The signed-in staff member, or the answer to give instead: the sign-in page (401) that
/// leads back here, or 503 when the database cannot be reached.
pub async fn signed_in(req: &HttpRequest, state: &ConsoleState) -> Result<Staff, HttpResponse> {
    let lang = Lang::of_request(req);
    match session::current(req, &state.pool).await {
        Ok(Some(staff)) => Ok(staff),
        Ok(None) => Err(sign_in_page(req, state, lang)),
        Err(()) => Err(pages::unavailable(lang, state.gateway())),
    }
}

/// The page asking to sign in, with the way back to the requested page (GETs only).
fn sign_in_page(req: &HttpRequest, state: &ConsoleState, lang: Lang) -> HttpResponse {
    let t = texts(lang);
    let here = match req.query_string() {
        "" => req.path().to_owned(),
        query => format!("{}?{query}", req.path()),
    };
    let next = if req.method() == actix_web::http::Method::GET && crate::oidc::safe_next(&here) {
        here
    } else {
        "/".to_owned()
    };
    let login = format!(
        "/login?next={}",
        url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    );
    let body = format!(
        "<h1>{}</h1><p>{}</p><p><a class=\"button\" href=\"{}\">{}</a></p>",
        escape(t.sign_in_title),
        escape(t.sign_in_intro),
        escape(&login),
        escape(t.sign_in_button)
    );
    let mut response = pages::html(
        StatusCode::UNAUTHORIZED,
        state.gateway(),
        pages::layout(lang, state.gateway(), t.sign_in_title, None, &body),
    );
    // A session cookie that no longer opens a session goes.
    if req.cookie(session::COOKIE).is_some() {
        let _ = response.add_cookie(&session::cleared());
    }
    response
}
