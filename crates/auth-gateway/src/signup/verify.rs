//! `/signup/verify`: the mailed verification link opens a page with one button (a mail scanner
//! that follows links does not use it up); the button uses the link, marks the address
//! verified, signs the fan in and goes on to where the sign-up started. Invalid or spent links
//! count as guesses per source address, like set-password links. `/signup/resend` sends a new
//! link to an account still waiting, with the same answer for any address.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, http::header, web};
use chrono::Duration;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use store::{
    auth::{accounts, method::AuthMethod, password_tokens, sessions, signup, throttle},
    password_link,
};

use super::return_to;
use crate::{
    pages::{self, Lang},
    routes::{
        forgot::{ADDRESS_WINDOW, REQUESTS_PER_ADDRESS},
        html::{checked_form, html, locked_page},
        login, params,
    },
    session_cookie,
    signup_form::page,
    state::GatewayState,
};

const VERIFY: &[&str] = &["verify"];

/// Invalid links tried from one address lock it out like failed sign-ins.
fn guess_key(req: &HttpRequest) -> String {
    format!("verify-address:{}", login::client_address(req))
}

pub async fn confirm_form(req: HttpRequest, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let query = params::parse(req.query_string()).unwrap_or_default();
    let token = query.get("token").cloned().unwrap_or_default();
    let Ok(mut conn) = state.pool.get().await else {
        return login::unavailable(lang);
    };
    if let Some(refused) = guessing_locked(&mut conn, &req, lang).await {
        return refused;
    }
    let valid = password_tokens::is_valid(&mut conn, &password_link::token_hash(&token), VERIFY)
        .await
        .unwrap_or(false);
    if !valid {
        let _ = throttle::failed(&mut conn, &[guess_key(&req)]).await;
        return spent(lang);
    }
    let Some((csrf, cookie)) = crate::csrf::issue() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    html(
        StatusCode::OK,
        page::confirm(lang, &csrf, &token, &return_to(&query)),
        Some(cookie),
    )
}

pub async fn confirm(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let fields = match checked_form(&req, &body, lang) {
        Ok(fields) => fields,
        Err(answer) => return *answer,
    };
    let token = fields.get("token").cloned().unwrap_or_default();
    let Ok(mut conn) = state.pool.get().await else {
        return login::unavailable(lang);
    };
    if let Some(refused) = guessing_locked(&mut conn, &req, lang).await {
        return refused;
    }
    // Using the link, verifying the address and opening the session are one transaction: of
    // two uses only one signs in, and a failure leaves the link usable.
    let tx_conn: &mut AsyncPgConnection = &mut conn;
    let outcome = tx_conn
        .transaction::<_, diesel::result::Error, _>(async |tx: &mut AsyncPgConnection| {
            let Some(subject) = password_tokens::consume(tx, &password_link::token_hash(&token), VERIFY).await? else {
                return Ok(None);
            };
            signup::verify(tx, subject).await?;
            if !accounts::can_sign_in(tx, subject).await? {
                return Ok(None);
            }
            // Opened by a single-use secret mailed to the address, not by the password.
            let (session, _) = sessions::create(tx, subject, AuthMethod::MailedOneTime).await?;
            Ok(Some((subject, session)))
        })
        .await;
    let (subject, session) = match outcome {
        Ok(Some(signed_in)) => signed_in,
        Ok(None) => {
            let _ = throttle::failed(&mut conn, &[guess_key(&req)]).await;
            return spent(lang);
        }
        Err(_) => return login::unavailable(lang),
    };
    session_cookie::end_previous(&req, &mut conn).await;
    state.userinfo_cache.invalidate_subject(subject);
    tracing::info!(%subject, "Address verified; signed in");
    HttpResponse::SeeOther()
        .cookie(session_cookie::cookie(session))
        .insert_header((header::LOCATION, return_to(&fields)))
        .finish()
}

/// `POST /signup/resend`: a new verification link for an account still waiting for one; the
/// same answer for every address, sent after the answer.
pub async fn resend(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let fields = match checked_form(&req, &body, lang) {
        Ok(fields) => fields,
        Err(answer) => return *answer,
    };
    let words = page::words(lang);
    let Ok(mut conn) = state.pool.get().await else {
        return login::unavailable(lang);
    };
    let key = format!("resend-address:{}", login::client_address(&req));
    let window: Duration = ADDRESS_WINDOW;
    match throttle::over_limit(&mut conn, &key, REQUESTS_PER_ADDRESS, window).await {
        Ok(None) => {}
        Ok(Some(retry_after)) => return locked_page(lang, words.confirm_title, retry_after),
        Err(_) => return login::unavailable(lang),
    }
    drop(conn);
    let email = fields.get("email").map(|e| e.trim().to_owned()).unwrap_or_default();
    let return_to = return_to(&fields);
    let state = state.into_inner();
    tokio::spawn(async move {
        let sent = match state.pool.get().await {
            Ok(mut conn) => send_again(&mut conn, &state, &email, &return_to).await,
            Err(error) => Err(error.into()),
        };
        if let Err(error) = sent {
            tracing::warn!(%error, "Verification link not sent again");
        }
    });
    html(
        StatusCode::OK,
        pages::notice(lang, words.confirm_title, words.resent),
        None,
    )
}

async fn send_again(
    conn: &mut AsyncPgConnection,
    state: &GatewayState,
    email: &str,
    return_to: &str,
) -> anyhow::Result<()> {
    let Some(account) = accounts::find_by_email(conn, email).await? else {
        return Ok(());
    };
    if account.email_verified {
        return Ok(());
    }
    let subject = account.subject;
    let token = conn
        .transaction::<_, diesel::result::Error, _>(async |tx: &mut AsyncPgConnection| {
            super::new_verify_token(tx, subject).await
        })
        .await?;
    let Some(token) = token else {
        return Ok(());
    };
    let link = password_link::verify_link(&state.tokens.issuer, &token, return_to);
    let lang = Lang::negotiate(account.language.as_deref().unwrap_or_default());
    crate::commands::send_mail(
        state,
        account.contact_number.as_deref(),
        &account.login_email,
        "verify-email",
        lang,
        &link,
    )
    .await
}

fn spent(lang: Lang) -> HttpResponse {
    let words = page::words(lang);
    html(
        StatusCode::GONE,
        pages::notice(lang, words.confirm_title, words.link_invalid),
        None,
    )
}

async fn guessing_locked(conn: &mut AsyncPgConnection, req: &HttpRequest, lang: Lang) -> Option<HttpResponse> {
    let retry_after = match throttle::locked(conn, &[guess_key(req)]).await {
        Ok(locked) => locked?,
        Err(_) => return Some(login::unavailable(lang)),
    };
    Some(locked_page(lang, page::words(lang).confirm_title, retry_after))
}
