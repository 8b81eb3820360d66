//! `GET/POST /password/reset`: sets a password from a single-use link (the forgotten-password
//! form in `forgot.rs` mails it; imported accounts get one for their first password). Invalid
//! links tried from one address lock it out for a while. After a change every session and
//! refresh token of the account is revoked, a notification is mailed, and the user signs in
//! again (no automatic sign-in).

use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::AsyncPgConnection;
use store::{
    auth::{accounts, password_tokens, throttle},
    password_link,
};

use crate::{
    commands::send_mail,
    pages::{self, Lang},
    routes::{
        html::{html, locked_page},
        login, params,
    },
    state::GatewayState,
};

/// The links this page takes: a forgotten password's and an imported account's first.
const SET_PASSWORD: &[&str] = &["reset", "first"];

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
    let valid = password_tokens::is_valid(&mut conn, &password_link::token_hash(&token), SET_PASSWORD)
        .await
        .unwrap_or(false);
    if !valid {
        let _ = throttle::failed(&mut conn, &[guess_key(&req)]).await;
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
    // The sign-up's rules (the address is not known before the link is used).
    let refused = match crate::password_policy::check(password, "") {
        Err(refusal) => Some(crate::signup_form::page::refusal_text(lang, refusal)),
        Ok(()) if password != field("repeat") => Some(t.password_rules),
        Ok(()) => None,
    };
    if let Some(problem) = refused {
        let Some((csrf, cookie)) = crate::csrf::issue() else {
            return HttpResponse::ServiceUnavailable().finish();
        };
        let page = pages::set_password(lang, &csrf, token, Some(problem));
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
    let used = password_tokens::consume(&mut conn, &password_link::token_hash(token), SET_PASSWORD)
        .await
        .unwrap_or(None);
    let Some(subject) = used else {
        let _ = throttle::failed(&mut conn, &[guess_key(&req)]).await;
        return html(
            actix_web::http::StatusCode::GONE,
            pages::notice(lang, t.new_password, t.link_invalid),
            None,
        );
    };
    let changed = accounts::set_password(&mut conn, subject, &hash).await;
    state.userinfo_cache.invalidate_subject(subject);
    let Ok((recipient, contact_number)) = changed else {
        return login::unavailable(lang);
    };
    if let Err(error) = send_mail(
        &state,
        contact_number.as_deref(),
        &recipient,
        "password-changed",
        lang,
        "",
    )
    .await
    {
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
/// the address is refused for 1 minute, doubling up to 15 (`store::auth::throttle`).
fn guess_key(req: &HttpRequest) -> String {
    format!("reset-address:{}", login::client_address(req))
}

/// A 429 page with `Retry-After` while the request's address is locked out of the reset page.
async fn guessing_locked(conn: &mut AsyncPgConnection, req: &HttpRequest, lang: Lang) -> Option<HttpResponse> {
    let retry_after = match throttle::locked(conn, &[guess_key(req)]).await {
        Ok(locked) => locked?,
        Err(_) => return Some(login::unavailable(lang)),
    };
    Some(locked_page(lang, pages::texts(lang).new_password, retry_after))
}
