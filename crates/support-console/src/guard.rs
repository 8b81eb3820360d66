//! The guards every staff action passes before it changes anything, in order: a signed-in
//! staff member, this session's CSRF token in the form (403), a role allowing the action (403)
//! and a sign-in of the last 5 minutes (`FRESH_SIGN_IN`; 401 with the way to sign in again and
//! come back). A refusal is audited as `refused` with its reason and changes nothing. Shared by
//! the actions on a fan ([`crate::actions`]), on its S-360 tasks ([`crate::tasks`]) and on
//! erasure requests ([`crate::erasures`]).

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, http::header};
use diesel_async::AsyncPgConnection;
use infra::db::PooledConnection;
use store::console::{
    Role,
    audit::Outcome,
    fan::{self, FanKey},
};

use crate::{
    audit,
    pages::{self, Lang, escape, translations::texts},
    session::{self, Staff},
    state::ConsoleState,
};

/// The field `name` of a posted form (empty when absent).
pub fn form_field(body: &[u8], name: &str) -> String {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// An action the guards let through: who asks, on what, with a database connection.
pub struct Allowed {
    pub staff: Staff,
    pub lang: Lang,
    pub conn: PooledConnection,
}

/// The guards of every action, in order: a signed-in staff member, this session's CSRF token
/// in the form (403), a role of at least `role` (403), a sign-in of the last 5 minutes (401,
/// with the way to sign in again and come back to `back`). A refusal is audited as `refused`
/// with its reason under `action` and `target`, and changes nothing.
pub async fn allow(
    req: &HttpRequest,
    body: &[u8],
    state: &ConsoleState,
    action: &str,
    role: Role,
    target: Option<&str>,
    back: &str,
) -> Result<Allowed, HttpResponse> {
    let lang = Lang::of_request(req);
    let staff = signed_in(req, state).await?;
    let Ok(mut conn) = state.pool.get().await else {
        return Err(pages::unavailable(lang, state.gateway()));
    };
    match refusal(&mut conn, state, &staff, lang, body, action, role, target, back).await {
        Some(refused) => Err(refused),
        None => Ok(Allowed { staff, lang, conn }),
    }
}

/// The guards after the sign-in, for a handler that already has the staff member and a
/// connection: the refusal to answer (audited), or `None` to go on.
#[allow(clippy::too_many_arguments)]
pub async fn refusal(
    conn: &mut AsyncPgConnection,
    state: &ConsoleState,
    staff: &Staff,
    lang: Lang,
    body: &[u8],
    action: &str,
    role: Role,
    target: Option<&str>,
    back: &str,
) -> Option<HttpResponse> {
    let t = texts(lang);
    let gateway = state.gateway();
    let (reason, status, text) = if !staff.csrf_ok(&form_field(body, "csrf")) {
        ("csrf", StatusCode::FORBIDDEN, t.csrf_refused)
    } else if staff.session.role < role {
        ("role", StatusCode::FORBIDDEN, t.forbidden)
    } else if !staff.session.fresh(chrono::Utc::now()) {
        ("stale_sign_in", StatusCode::UNAUTHORIZED, t.fresh)
    } else {
        return None;
    };
    let details = serde_json::json!({ "reason": reason });
    if audit::append(conn, state, staff, action, target, Outcome::Refused, details)
        .await
        .is_err()
    {
        return Some(pages::unavailable(lang, gateway));
    }
    if reason == "stale_sign_in" {
        return Some(fresh_sign_in(lang, state, staff, back));
    }
    Some(pages::message(
        status,
        lang,
        gateway,
        Some(staff),
        t.forbidden_title,
        text,
    ))
}

/// [`allow`] for an action on the fan named `key` (404 when it names none), with the fan's
/// key and its account when it has one.
pub async fn allow_on_fan(
    req: &HttpRequest,
    key: &str,
    body: &[u8],
    state: &ConsoleState,
    action: &str,
    role: Role,
) -> Result<(Allowed, FanKey, Option<fan::Account>), HttpResponse> {
    let lang = Lang::of_request(req);
    let t = texts(lang);
    let not_found = |staff: Option<&Staff>| {
        pages::message(
            StatusCode::NOT_FOUND,
            lang,
            state.gateway(),
            staff,
            t.not_found_title,
            t.not_found,
        )
    };
    let Some(fan_key) = FanKey::parse(key) else {
        let staff = signed_in(req, state).await?;
        return Err(not_found(Some(&staff)));
    };
    let target = fan_key.to_string();
    let mut allowed = allow(
        req,
        body,
        state,
        action,
        role,
        Some(&target),
        &format!("/fans/{target}"),
    )
    .await?;
    let Ok(account) = fan::account(&mut allowed.conn, &fan_key).await else {
        return Err(pages::unavailable(lang, state.gateway()));
    };
    Ok((allowed, fan_key, account))
}

/// 303 to the fan's page, saying what was done.
pub fn back_to_fan(target: &str, done: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/fans/{target}?done={done}")))
        .finish()
}

/// 401: the action needs a sign-in of the last 5 minutes; the link signs in again and comes
/// back to `back` (the page the action was on).
fn fresh_sign_in(lang: Lang, state: &ConsoleState, staff: &Staff, back: &str) -> HttpResponse {
    let t = texts(lang);
    let next = url::form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>();
    let body = format!(
        "<h1>{}</h1><p>{}</p><p><a class=\"button\" href=\"/login?next={}\">{}</a></p>",
        escape(t.fresh_title),
        escape(t.fresh),
        escape(&next),
        escape(t.sign_in_again)
    );
    pages::html(
        StatusCode::UNAUTHORIZED,
        state.gateway(),
        pages::layout(lang, state.gateway(), t.fresh_title, Some(staff), &body),
    )
}

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
