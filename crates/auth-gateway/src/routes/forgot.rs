//! `GET/POST /password/forgot`: the forgotten-password form sends a single-use link (the same
//! answer whether or not the address has an account; at most 3 links per account per hour and
//! 10 requests per source address per 15 minutes). The link is created and queued after the
//! answer, so neither timing nor a broker outage tells known addresses apart; it is built from
//! the configured issuer, never from the request's Host.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Duration;
use diesel_async::AsyncPgConnection;
use store::{
    auth::{accounts, password_tokens, throttle},
    password_link::{self, FIRST_PASSWORD_LIFETIME, RESET_LIFETIME},
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

/// Links one account may be sent per hour.
pub const LINKS_PER_HOUR: i64 = 3;
/// Forgotten-password requests one source address may make per [`ADDRESS_WINDOW`], whatever
/// the addresses asked for (so the limit says nothing about which accounts exist).
pub const REQUESTS_PER_ADDRESS: i32 = 10;
pub const ADDRESS_WINDOW: Duration = Duration::minutes(15);

pub async fn forgot_form(req: HttpRequest) -> HttpResponse {
    let Some((csrf, cookie)) = crate::csrf::issue() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    html(
        actix_web::http::StatusCode::OK,
        pages::forgot(Lang::of_request(&req), &csrf),
        Some(cookie),
    )
}

pub async fn forgot(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
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
    if !crate::csrf::check(&req, fields.get("csrf").map(String::as_str).unwrap_or_default()) {
        return html(
            actix_web::http::StatusCode::FORBIDDEN,
            pages::error(lang, "The form expired; please try again."),
            None,
        );
    }
    let email = fields.get("email").map(|e| e.trim().to_owned()).unwrap_or_default();
    let Ok(mut conn) = state.pool.get().await else {
        return login::unavailable(lang);
    };
    let key = format!("forgot-address:{}", login::client_address(&req));
    match throttle::over_limit(&mut conn, &key, REQUESTS_PER_ADDRESS, ADDRESS_WINDOW).await {
        Ok(None) => {}
        Ok(Some(retry_after)) => return locked_page(lang, pages::texts(lang).forgot, retry_after),
        Err(_) => return login::unavailable(lang),
    }
    drop(conn);
    // The link is created and queued after the answer, so neither the time taken nor an outage
    // of the broker tells whether the address has an account.
    let state = state.into_inner();
    tokio::spawn(async move {
        let sent = match state.pool.get().await {
            Ok(mut conn) => send_link(&mut conn, &state, &email, "reset", lang).await,
            Err(error) => Err(error.into()),
        };
        if let Err(error) = sent {
            tracing::warn!(%error, "Cannot send a password link");
        }
    });
    let t = pages::texts(lang);
    html(
        actix_web::http::StatusCode::OK,
        pages::notice(lang, t.forgot, t.forgot_sent),
        None,
    )
}

/// Creates a link for the account of `email` (if it exists, may sign in, and is under the
/// hourly limit), invalidates its older links, and asks the worker to mail it.
pub async fn send_link(
    conn: &mut AsyncPgConnection,
    state: &GatewayState,
    email: &str,
    purpose: &str,
    lang: Lang,
) -> anyhow::Result<()> {
    let account = accounts::find_by_email(conn, email).await?;
    let Some(accounts::SignInAccount {
        subject,
        login_email: recipient,
        contact_number,
        ..
    }) = account
    else {
        return Ok(());
    };
    let lifetime = if purpose == "first" {
        FIRST_PASSWORD_LIFETIME
    } else {
        RESET_LIFETIME
    };
    let issued = password_tokens::issue(conn, subject, purpose, lifetime, LINKS_PER_HOUR).await?;
    let Some(token) = issued else {
        tracing::info!(%subject, "Password link not sent: hourly limit reached");
        return Ok(());
    };
    let link = password_link::link(&state.tokens.issuer, &token);
    let template = if purpose == "first" {
        "set-password"
    } else {
        "password-reset"
    };
    send_mail(state, contact_number.as_deref(), &recipient, template, lang, &link).await
}
