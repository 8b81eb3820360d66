//! What every staff action checks before it changes anything: the form's CSRF token, the
//! staff member's role and a fresh sign-in (`FRESH_SIGN_IN`, 5 minutes). A refusal is audited
//! and answered (403, or 401 with a link that signs in again); nothing else changes.

use actix_web::{HttpResponse, http::StatusCode};
use diesel_async::AsyncPgConnection;
use store::console::{Role, audit::Outcome};

use crate::{
    audit,
    pages::{self, Lang, escape, translations::texts},
    session::Staff,
    state::ConsoleState,
};

/// The `csrf` field of a posted form.
pub fn csrf_field(body: &[u8]) -> String {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Refuses an action, changing nothing but the audit, unless the form carries this session's
/// CSRF token (403), the staff member's role is at least `role` (403) and the sign-in is under
/// 5 minutes old (401, with a link that signs in again and comes back to `next`). `None`: go on.
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
    next: &str,
) -> Option<HttpResponse> {
    let t = texts(lang);
    let (reason, status, text) = if !staff.csrf_ok(&csrf_field(body)) {
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
        return Some(pages::unavailable(lang, state.gateway()));
    }
    if reason == "stale_sign_in" {
        return Some(fresh_sign_in(lang, state, staff, next));
    }
    Some(pages::message(
        status,
        lang,
        state.gateway(),
        Some(staff),
        t.forbidden_title,
        text,
    ))
}

/// 401: the action needs a sign-in of the last 5 minutes; the link signs in again and comes
/// back to `next`.
fn fresh_sign_in(lang: Lang, state: &ConsoleState, staff: &Staff, next: &str) -> HttpResponse {
    let t = texts(lang);
    let next = url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>();
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
