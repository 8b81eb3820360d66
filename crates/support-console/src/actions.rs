//! The actions on a fan, each a POST behind its role, its CSRF token and a fresh sign-in
//! (`FRESH_SIGN_IN`, 5 minutes; checked by [`crate::guard`]): lifting the sign-in lock (`store::auth::throttle`, the
//! gateway's own store), revoking every session and refresh token
//! (`store::auth::sessions::revoke_all`, as a password change does, back-channel logouts
//! included) and resending the set-password or sign-up verification mail ([`crate::mail`]).
//! A refusal is audited as such and changes nothing; a done action is audited in the same
//! transaction as its change (the guards: [`crate::guard`]). Also the sign-out.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, http::header, web};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use store::console::{Role, audit::Outcome, fan};

use crate::{
    audit,
    guard::{Allowed, allow_on_fan, back_to_fan, form_field},
    pages::{self, Lang, translations::texts},
    session::{self, Staff},
    state::ConsoleState,
    views::signed_in,
};

/// What an action does to the fan's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Unlock,
    RevokeSessions,
    ResendMail,
    ResendVerification,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Self::Unlock => "lift_lock",
            Self::RevokeSessions => "revoke_sessions",
            Self::ResendMail => "resend_mail",
            Self::ResendVerification => "resend_verification",
        }
    }

    fn done(self) -> &'static str {
        match self {
            Self::Unlock => "unlock",
            Self::RevokeSessions => "revoke",
            Self::ResendMail => "resent",
            Self::ResendVerification => "verification",
        }
    }

    /// The least role allowed to do it.
    fn role(self) -> Role {
        Role::Support
    }
}

pub async fn unlock(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<ConsoleState>,
) -> HttpResponse {
    act(req, &path, &body, &state, Action::Unlock).await
}

pub async fn resend_mail(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<ConsoleState>,
) -> HttpResponse {
    act(req, &path, &body, &state, Action::ResendMail).await
}

pub async fn resend_verification(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<ConsoleState>,
) -> HttpResponse {
    act(req, &path, &body, &state, Action::ResendVerification).await
}

pub async fn revoke_sessions(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<ConsoleState>,
) -> HttpResponse {
    act(req, &path, &body, &state, Action::RevokeSessions).await
}

async fn act(req: HttpRequest, key: &str, body: &[u8], state: &ConsoleState, action: Action) -> HttpResponse {
    let (allowed, fan_key, account) = match allow_on_fan(&req, key, body, state, action.name(), action.role()).await {
        Ok(allowed) => allowed,
        Err(response) => return response,
    };
    let Allowed { staff, lang, mut conn } = allowed;
    let t = texts(lang);
    let target = fan_key.to_string();
    let Some(account) = account else {
        return pages::message(
            StatusCode::NOT_FOUND,
            lang,
            state.gateway(),
            Some(&staff),
            t.not_found_title,
            t.not_found,
        );
    };
    let conn: &mut AsyncPgConnection = &mut conn;
    let done = match action {
        Action::ResendMail | Action::ResendVerification => {
            return resend(conn, state, &staff, &target, &account, lang, action).await;
        }
        Action::Unlock | Action::RevokeSessions => {
            conn.transaction::<_, diesel::result::Error, _>(async |tx: &mut AsyncPgConnection| {
                match action {
                    Action::Unlock => {
                        store::auth::throttle::succeeded(tx, &fan::lock_key(&account.login_email)).await?
                    }
                    Action::RevokeSessions => store::auth::sessions::revoke_all(tx, account.subject_id).await?,
                    Action::ResendMail | Action::ResendVerification => {}
                }
                audit::append(
                    tx,
                    state,
                    &staff,
                    action.name(),
                    Some(&target),
                    Outcome::Ok,
                    serde_json::json!({}),
                )
                .await
            })
            .await
        }
    };
    if done.is_err() {
        return pages::unavailable(lang, state.gateway());
    }
    back_to_fan(&target, action.done())
}

/// Resends the set-password mail or the sign-up verification mail (`crate::mail`): not a
/// database change alone, so the outcome is audited after the broker took the mail (or refused
/// it: 503, audited as failed).
async fn resend(
    conn: &mut AsyncPgConnection,
    state: &ConsoleState,
    staff: &Staff,
    target: &str,
    account: &fan::Account,
    lang: Lang,
    action: Action,
) -> HttpResponse {
    let resent = match action {
        Action::ResendVerification => crate::mail::resend_verification(conn, state, account).await,
        _ => crate::mail::resend(conn, state, account).await,
    };
    let (outcome, details, done) = match resent {
        Ok(crate::mail::Resent::Sent(template)) => {
            (Outcome::Ok, serde_json::json!({ "template": template }), action.done())
        }
        Ok(crate::mail::Resent::Limited) => (
            Outcome::Failed,
            serde_json::json!({ "reason": "hourly_limit" }),
            "limited",
        ),
        Ok(crate::mail::Resent::AlreadyVerified) => (
            Outcome::Failed,
            serde_json::json!({ "reason": "already_verified" }),
            "already_verified",
        ),
        Err(error) => {
            tracing::warn!(%error, "Mail not resent");
            let _ = audit::append(
                conn,
                state,
                staff,
                action.name(),
                Some(target),
                Outcome::Failed,
                serde_json::json!({ "reason": "unavailable" }),
            )
            .await;
            return pages::unavailable(lang, state.gateway());
        }
    };
    if audit::append(conn, state, staff, action.name(), Some(target), outcome, details)
        .await
        .is_err()
    {
        return pages::unavailable(lang, state.gateway());
    }
    back_to_fan(target, done)
}

/// `POST /logout`: ends the console session (CSRF-checked), back to the sign-in page.
pub async fn logout(req: HttpRequest, body: web::Bytes, state: web::Data<ConsoleState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let staff = match signed_in(&req, &state).await {
        Ok(staff) => staff,
        Err(response) => return response,
    };
    if !staff.csrf_ok(&form_field(&body, "csrf")) {
        let t = texts(lang);
        return pages::message(
            StatusCode::FORBIDDEN,
            lang,
            state.gateway(),
            Some(&staff),
            t.forbidden_title,
            t.csrf_refused,
        );
    }
    let Ok(mut conn) = state.pool.get().await else {
        return pages::unavailable(lang, state.gateway());
    };
    if store::console::sessions::revoke(&mut conn, &staff.session.id)
        .await
        .is_err()
    {
        return pages::unavailable(lang, state.gateway());
    }
    let _ = audit::append(
        &mut conn,
        &state,
        &staff,
        "sign_out",
        None,
        Outcome::Ok,
        serde_json::json!({}),
    )
    .await;
    HttpResponse::SeeOther()
        .cookie(session::cleared())
        .insert_header((header::LOCATION, "/"))
        .finish()
}
