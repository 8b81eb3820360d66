//! "Change my e-mail address" (`/account/email`): a signed-in fan gives the new address and
//! their password (throttled like a sign-in); a single-use link goes to the new address
//! (hashed, 60 minutes, at most 3 links an hour per account). Using it changes the login e-mail,
//! tells S-360 through the worker's write-back (`UpdateProfile` with `email`, confirmed by the
//! broker before the change commits, so S-360 and the account never disagree for long), and
//! sends a notice to the old address. An address another account signs in with is never taken:
//! no link is sent for it (the page says the same), and one taken meanwhile is reported in
//! `account_issues`. S-360 cross-checks the e-mail at every shop sign-in, so it must hear of
//! the change before the fan's next one.

pub mod page;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use prost::Message;
use store::{
    auth::{accounts, email_change, password_tokens, sessions, throttle},
    password_link::{self, RESET_LIFETIME},
};
use uuid::Uuid;

use crate::{
    pages::Lang,
    routes::{
        forgot::LINKS_PER_HOUR,
        html::{checked_form, html, locked_page},
        login, params,
    },
    session_cookie,
    state::GatewayState,
};

const EMAIL: &[&str] = &["email"];

/// The signed-in fan's subject and current login e-mail; else the answer to give.
async fn signed_in(req: &HttpRequest, state: &GatewayState, lang: Lang) -> Result<(Uuid, String), Box<HttpResponse>> {
    let to_sign_in = || {
        HttpResponse::SeeOther()
            .insert_header((actix_web::http::header::LOCATION, "/login?return_to=%2Faccount"))
            .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
            .finish()
    };
    let Some(cookie) = req.cookie(session_cookie::NAME) else {
        return Err(Box::new(to_sign_in()));
    };
    let Ok(mut conn) = state.pool.get().await else {
        return Err(Box::new(login::unavailable(lang)));
    };
    let session = match sessions::find(&mut conn, cookie.value()).await {
        Ok(Some(session)) => session,
        Ok(None) => return Err(Box::new(to_sign_in())),
        Err(_) => return Err(Box::new(login::unavailable(lang))),
    };
    match accounts::identity(&mut conn, session.subject).await {
        Ok(Some(identity)) => Ok((session.subject, identity.login_email)),
        Ok(None) => Err(Box::new(to_sign_in())),
        Err(_) => Err(Box::new(login::unavailable(lang))),
    }
}

fn form_page(
    lang: Lang,
    status: StatusCode,
    current: &str,
    typed: &str,
    problem: Option<(&str, &str)>,
) -> HttpResponse {
    let Some((csrf, cookie)) = crate::csrf::issue() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    html(status, page::form(lang, &csrf, current, typed, problem), Some(cookie))
}

pub async fn show(req: HttpRequest, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    match signed_in(&req, &state, lang).await {
        Ok((_, current)) => form_page(lang, StatusCode::OK, &current, "", None),
        Err(answer) => *answer,
    }
}

pub async fn request(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let (subject, current) = match signed_in(&req, &state, lang).await {
        Ok(fan) => fan,
        Err(answer) => return *answer,
    };
    let fields = match checked_form(&req, &body, lang) {
        Ok(fields) => fields,
        Err(answer) => return *answer,
    };
    let w = page::words(lang);
    let new_email = fields.get("email").map(|e| e.trim().to_owned()).unwrap_or_default();
    if model::Email::parse(new_email.as_str()).is_err() {
        return form_page(
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            &current,
            &new_email,
            Some(("email", w.invalid_email)),
        );
    }
    if new_email.eq_ignore_ascii_case(&current) {
        return form_page(
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            &current,
            &new_email,
            Some(("email", w.same_email)),
        );
    }
    let keys = [format!("email-change:{subject}")];
    let Ok(mut conn) = state.pool.get().await else {
        return login::unavailable(lang);
    };
    match throttle::locked(&mut conn, &keys).await {
        Ok(Some(retry_after)) => return locked_page(lang, w.title, retry_after),
        Ok(None) => {}
        Err(_) => return login::unavailable(lang),
    }
    let Ok(stored) = accounts::password_hash(&mut conn, subject).await else {
        return login::unavailable(lang);
    };
    drop(conn);
    let password = fields.get("password").map(String::as_str).unwrap_or_default();
    let Ok(verified) = state.passwords.verify(password, stored.as_deref()).await else {
        return crate::routes::html::busy_page(lang, "/account/email");
    };
    let Ok(mut conn) = state.pool.get().await else {
        return login::unavailable(lang);
    };
    if !verified {
        let _ = throttle::failed(&mut conn, &keys).await;
        return form_page(
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            &current,
            &new_email,
            Some(("password", w.wrong_password)),
        );
    }
    let tx_conn: &mut AsyncPgConnection = &mut conn;
    let token = tx_conn
        .transaction::<_, diesel::result::Error, _>(async |tx: &mut AsyncPgConnection| {
            if !email_change::request(tx, subject, &new_email).await? {
                return Ok(None);
            }
            accounts::lock(tx, subject).await?;
            if password_tokens::created_last_hour(tx, subject).await? >= LINKS_PER_HOUR {
                return Ok(None);
            }
            let Some(new) = password_link::new_token() else {
                return Err(diesel::result::Error::RollbackTransaction);
            };
            password_tokens::replace(tx, subject, &new, "email", RESET_LIFETIME).await?;
            Ok(Some(new.token))
        })
        .await;
    let token = match token {
        Ok(token) => token,
        Err(_) => return login::unavailable(lang),
    };
    match token {
        Some(token) => {
            let link = password_link::email_link(&state.tokens.issuer, &token);
            if crate::commands::send_mail(&state, None, &new_email, "email-verify", lang, &link)
                .await
                .is_err()
            {
                return login::unavailable(lang);
            }
            tracing::info!(%subject, "E-mail change asked; link sent to the new address");
        }
        None => tracing::info!(%subject, "E-mail change not sent: address taken or hourly limit reached"),
    }
    html(StatusCode::OK, page::outcome(lang, w.sent), None)
}

pub async fn confirm_form(req: HttpRequest, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let token = params::parse(req.query_string())
        .unwrap_or_default()
        .get("token")
        .cloned()
        .unwrap_or_default();
    let Ok(mut conn) = state.pool.get().await else {
        return login::unavailable(lang);
    };
    if let Some(refused) = guessing_locked(&mut conn, &req, lang).await {
        return refused;
    }
    let valid = password_tokens::is_valid(&mut conn, &password_link::token_hash(&token), EMAIL)
        .await
        .unwrap_or(false);
    if !valid {
        let _ = throttle::failed(&mut conn, &[guess_key(&req)]).await;
        return html(
            StatusCode::GONE,
            page::outcome(lang, page::words(lang).link_invalid),
            None,
        );
    }
    let Some((csrf, cookie)) = crate::csrf::issue() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    html(StatusCode::OK, page::confirm(lang, &csrf, &token), Some(cookie))
}

pub async fn confirm(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let fields = match checked_form(&req, &body, lang) {
        Ok(fields) => fields,
        Err(answer) => return *answer,
    };
    let w = page::words(lang);
    let token = fields.get("token").cloned().unwrap_or_default();
    let Ok(mut conn) = state.pool.get().await else {
        return login::unavailable(lang);
    };
    if let Some(refused) = guessing_locked(&mut conn, &req, lang).await {
        return refused;
    }
    // The link is used, the address changed and S-360 told in one transaction: the command is
    // confirmed by the broker before the change commits, and a refused command leaves the link
    // usable.
    let state_ref = &state;
    let tx_conn: &mut AsyncPgConnection = &mut conn;
    let outcome = tx_conn
        .transaction::<_, anyhow::Error, _>(async |tx: &mut AsyncPgConnection| {
            let Some(subject) = password_tokens::consume(tx, &password_link::token_hash(&token), EMAIL).await? else {
                return Ok(None);
            };
            let applied = email_change::apply(tx, subject).await?;
            if let email_change::Applied::Changed {
                new,
                contact_number: Some(number),
                ..
            } = &applied
            {
                write_back(state_ref, subject, number, new).await?;
            }
            Ok(Some((subject, applied)))
        })
        .await;
    let (subject, applied) = match outcome {
        Ok(Some(done)) => done,
        Ok(None) => {
            let _ = throttle::failed(&mut conn, &[guess_key(&req)]).await;
            return html(StatusCode::GONE, page::outcome(lang, w.link_invalid), None);
        }
        Err(error) => {
            tracing::warn!(%error, "E-mail change not applied");
            return login::unavailable(lang);
        }
    };
    state.userinfo_cache.invalidate_subject(subject);
    match applied {
        email_change::Applied::Changed {
            old,
            contact_number,
            language,
            ..
        } => {
            tracing::info!(%subject, "Login e-mail changed by its owner");
            let notice_lang = language.as_deref().map(Lang::negotiate).unwrap_or(lang);
            if let Err(error) = crate::commands::send_mail(
                &state,
                contact_number.as_deref(),
                &old,
                "email-changed",
                notice_lang,
                "",
            )
            .await
            {
                tracing::warn!(%error, "E-mail-changed notice not queued");
            }
            html(StatusCode::OK, page::outcome(lang, w.changed), None)
        }
        email_change::Applied::Clash => {
            tracing::info!(%subject, "E-mail change refused: the address is another account's");
            html(StatusCode::CONFLICT, page::outcome(lang, w.clash), None)
        }
        email_change::Applied::Nothing => html(StatusCode::GONE, page::outcome(lang, w.link_invalid), None),
    }
}

/// Asks the worker to write the new address back to S-360 (and into the contact mirror).
async fn write_back(state: &GatewayState, subject: Uuid, contact_number: &str, email: &str) -> anyhow::Result<()> {
    let command_id = Uuid::new_v4().to_string();
    let command = model::bus::UpdateProfile {
        command_id: command_id.clone(),
        contact_number: contact_number.to_owned(),
        subject_id: subject.to_string(),
        base_modified_at: None,
        changes: Some(model::bus::ProfileChanges {
            email: Some(email.to_owned()),
            ..Default::default()
        }),
    };
    crate::commands::publish(
        state,
        model::bus::UPDATE_PROFILE_ROUTING_KEY,
        model::bus::UPDATE_PROFILE_CONTENT_TYPE,
        command_id,
        command.encode_to_vec(),
    )
    .await?;
    Ok(())
}

fn guess_key(req: &HttpRequest) -> String {
    format!("email-link-address:{}", login::client_address(req))
}

async fn guessing_locked(conn: &mut AsyncPgConnection, req: &HttpRequest, lang: Lang) -> Option<HttpResponse> {
    let retry_after = match throttle::locked(conn, &[guess_key(req)]).await {
        Ok(locked) => locked?,
        Err(_) => return Some(login::unavailable(lang)),
    };
    Some(locked_page(lang, page::words(lang).title, retry_after))
}
