//! `GET/POST /password/reset`: sets a password from a single-use link (the forgotten-password
//! form in `forgot.rs` mails it; imported accounts get one for their first password). Invalid
//! links tried from one address lock it out for a while. After a change every session and
//! refresh token of the account is revoked, a notification is mailed, and the user signs in
//! again (no automatic sign-in).

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use sync_worker::{
    db::schema::{accounts, password_tokens},
    password_link,
};
use uuid::Uuid;

use super::forgot::mail;
pub use super::forgot::{
    ADDRESS_WINDOW, FIRST_PASSWORD_LIFETIME, LINKS_PER_HOUR, REQUESTS_PER_ADDRESS, RESET_LIFETIME, forgot, forgot_form,
    send_link,
};
use crate::{
    pages::{self, Lang},
    passwords::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS},
    routes::{login, params},
    state::GatewayState,
};

/// An HTML page that is never cached, framed or sent as a referrer.
pub fn html(
    status: actix_web::http::StatusCode,
    body: String,
    cookie: Option<actix_web::cookie::Cookie<'static>>,
) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    if let Some(cookie) = cookie {
        response.cookie(cookie);
    }
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header(("X-Frame-Options", "DENY"))
        .content_type("text/html; charset=utf-8")
        .body(body)
}

pub async fn reset_form(req: HttpRequest, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let token = params::parse(req.query_string())
        .ok()
        .and_then(|p| p.get("token").cloned())
        .unwrap_or_default();
    let Ok(mut conn) = state.pool.get().await else {
        return login::unavailable(lang);
    };
    if let Some(refused) = guessing_locked(&mut conn, &req, lang).await {
        return refused;
    }
    let valid: bool = diesel::select(diesel::dsl::exists(
        password_tokens::table
            .find(password_link::token_hash(&token))
            .filter(password_tokens::used_at.is_null())
            .filter(password_tokens::expires_at.gt(Utc::now())),
    ))
    .get_result(&mut conn)
    .await
    .unwrap_or(false);
    if !valid {
        let _ = crate::throttle::failed(&mut conn, &[guess_key(&req)]).await;
        let t = pages::texts(lang);
        return html(
            actix_web::http::StatusCode::GONE,
            pages::notice(lang, t.new_password, t.link_invalid),
            None,
        );
    }
    let Some((csrf, cookie)) = crate::csrf::issue() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    html(
        actix_web::http::StatusCode::OK,
        pages::set_password(lang, &csrf, &token, None),
        Some(cookie),
    )
}

pub async fn reset(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let t = pages::texts(lang);
    let Ok(fields) = std::str::from_utf8(&body)
        .map_err(drop)
        .and_then(|t| params::parse(t).map_err(drop))
    else {
        return html(
            actix_web::http::StatusCode::BAD_REQUEST,
            pages::error(lang, "The form is malformed."),
            None,
        );
    };
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or_default();
    if !crate::csrf::check(&req, field("csrf")) {
        return html(
            actix_web::http::StatusCode::FORBIDDEN,
            pages::error(lang, "The form expired; please try again."),
            None,
        );
    }
    let (token, password) = (field("token"), field("password"));
    if password.chars().count() < MIN_PASSWORD_CHARS
        || password.len() > MAX_PASSWORD_BYTES
        || password != field("repeat")
    {
        let Some((csrf, cookie)) = crate::csrf::issue() else {
            return HttpResponse::ServiceUnavailable().finish();
        };
        let page = pages::set_password(lang, &csrf, token, Some(t.password_rules));
        return html(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, page, Some(cookie));
    }
    let Ok(hash) = state.passwords.hash(password).await else {
        return login::unavailable(lang);
    };
    let Ok(mut conn) = state.pool.get().await else {
        return login::unavailable(lang);
    };
    if let Some(refused) = guessing_locked(&mut conn, &req, lang).await {
        return refused;
    }
    // Consuming the link is the single point of truth: of two concurrent uses one wins.
    let used: Option<Uuid> = diesel::update(
        password_tokens::table
            .find(password_link::token_hash(token))
            .filter(password_tokens::used_at.is_null())
            .filter(password_tokens::expires_at.gt(Utc::now())),
    )
    .set(password_tokens::used_at.eq(Utc::now()))
    .returning(password_tokens::subject_id)
    .get_result(&mut conn)
    .await
    .optional()
    .unwrap_or(None);
    let Some(subject) = used else {
        let _ = crate::throttle::failed(&mut conn, &[guess_key(&req)]).await;
        return html(
            actix_web::http::StatusCode::GONE,
            pages::notice(lang, t.new_password, t.link_invalid),
            None,
        );
    };
    let changed = apply_new_password(&mut conn, subject, &hash).await;
    state.userinfo_cache.invalidate_subject(subject);
    let Ok((recipient, contact_number)) = changed else {
        return login::unavailable(lang);
    };
    if let Err(error) = mail(&state, &contact_number, &recipient, "password-changed", lang, "").await {
        tracing::warn!(%error, "Password-changed notice not queued");
    }
    tracing::info!(%subject, "Password set");
    html(
        actix_web::http::StatusCode::OK,
        pages::notice(lang, t.new_password, t.password_changed),
        None,
    )
}

/// Invalid or spent links tried from one source address count like failed sign-ins: after 5,
/// the address is refused for 1 minute, doubling up to 15 (`crate::throttle`).
fn guess_key(req: &HttpRequest) -> String {
    format!("reset-address:{}", login::client_address(req))
}

/// A 429 page with `Retry-After` while the request's address is locked out of the reset page.
async fn guessing_locked(conn: &mut AsyncPgConnection, req: &HttpRequest, lang: Lang) -> Option<HttpResponse> {
    let retry_after = match crate::throttle::locked(conn, &[guess_key(req)]).await {
        Ok(locked) => locked?,
        Err(_) => return Some(login::unavailable(lang)),
    };
    Some(locked_page(lang, pages::texts(lang).new_password, retry_after))
}

/// 429 with `Retry-After` (at least a second): the page titled `heading` says to wait.
pub fn locked_page(lang: Lang, heading: &str, retry_after: i64) -> HttpResponse {
    let mut response = html(
        actix_web::http::StatusCode::TOO_MANY_REQUESTS,
        pages::notice(lang, heading, pages::texts(lang).locked),
        None,
    );
    response.headers_mut().insert(
        header::RETRY_AFTER,
        header::HeaderValue::from(retry_after.max(1) as u64),
    );
    response
}

/// Stores the hash (the mailbox is proven), revokes every session and refresh token.
async fn apply_new_password(conn: &mut AsyncPgConnection, subject: Uuid, hash: &str) -> QueryResult<(String, String)> {
    let now = Utc::now();
    let (email, number): (String, String) = diesel::update(accounts::table.find(subject))
        .set((
            accounts::password_hash.eq(hash),
            accounts::email_verified.eq(true),
            accounts::updated_at.eq(now),
        ))
        .returning((accounts::login_email, accounts::contact_number))
        .get_result(conn)
        .await?;
    sync_worker::apply::revoke_sessions(conn, subject).await?;
    Ok((email, number))
}
