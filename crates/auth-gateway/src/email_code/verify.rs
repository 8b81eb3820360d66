//! `/login/code/verify`: the mailed link (`GET`) opens the code page with its code filled in,
//! in the browser that asked, and only says where to type the code in any other; the page's
//! button (`POST`) checks the code against the browser's binding and opens a session.
//!
//! A wrong code, or one with no live code behind the binding (none issued, expired, spent,
//! burned, another browser), is one answer, 401, and counts against the source address and
//! the binding's address like a wrong password; past 5 the form answers 429 with
//! `Retry-After` until the lock ends, even to the right code.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, http::header, web};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use store::auth::{
    accounts,
    email_codes::{self, Checked, DIGITS},
    method::AuthMethod,
    sessions, sign_in_audit, signup, throttle,
};
use uuid::Uuid;

use super::{binding, binding::Binding, page, return_to};
use crate::{
    pages::{self, Lang},
    routes::{
        html::{checked_form, html},
        login, params, sign_in_history,
    },
    session_cookie,
    state::GatewayState,
};

/// `GET /login/code/verify?code=…`: the mailed link.
pub async fn open_link(req: HttpRequest) -> HttpResponse {
    let lang = Lang::of_request(&req);
    // Another browser, or one whose binding is gone: no form that could not succeed here.
    if Binding::of_request(&req).is_none() {
        return html(StatusCode::OK, page::elsewhere(lang), None);
    }
    let query = params::parse(req.query_string()).unwrap_or_default();
    let code = query.get("code").map(|c| normalise(c)).unwrap_or_default();
    let code = if is_code(&code) { code } else { String::new() };
    let Some((csrf, cookie)) = crate::csrf::issue() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    html(
        StatusCode::OK,
        page::enter(lang, &csrf, "/", None, &code, None),
        Some(cookie),
    )
}

/// What a submitted code led to.
enum Outcome {
    /// Wrong, or no live code for this browser.
    Refused,
    SignedIn {
        subject: Uuid,
        session: String,
        return_to: String,
    },
}

/// `POST /login/code/verify`: the code typed, or the link's.
pub async fn submit(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let fields = match checked_form(&req, &body, lang) {
        Ok(fields) => fields,
        Err(answer) => return *answer,
    };
    let form_return_to = return_to(&fields);
    let csrf = fields.get("csrf").cloned().unwrap_or_default();
    let code = normalise(fields.get("code").map(String::as_str).unwrap_or_default());
    let binding = Binding::of_request(&req);
    // The password form's keys: guesses of either kind meet the same locks.
    let mut keys = vec![format!("address:{}", login::client_address(&req))];
    if let Some(binding) = &binding {
        keys.push(format!("account:{}", binding.email));
    }
    let again = |status: StatusCode, problem: &str| {
        html(
            status,
            page::enter(lang, &csrf, &form_return_to, None, "", Some(problem)),
            None,
        )
    };

    let Ok(mut pooled) = state.pool.get().await else {
        return login::unavailable(lang);
    };
    let conn: &mut AsyncPgConnection = &mut pooled;
    match throttle::locked(conn, &keys).await {
        Ok(None) => {}
        Ok(Some(retry_after)) => {
            let mut response = again(StatusCode::TOO_MANY_REQUESTS, pages::texts(lang).locked);
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(retry_after.max(1) as u64),
            );
            return response;
        }
        Err(_) => return login::unavailable(lang),
    }
    let outcome = match &binding {
        None => Ok(Outcome::Refused),
        Some(binding) => {
            conn.transaction::<_, diesel::result::Error, _>(async |tx: &mut AsyncPgConnection| {
                sign_in(tx, binding, &code).await
            })
            .await
        }
    };
    let (subject, session, return_to) = match outcome {
        Ok(Outcome::SignedIn {
            subject,
            session,
            return_to,
        }) => (subject, session, return_to),
        Ok(Outcome::Refused) => {
            let _ = throttle::failed(conn, &keys).await;
            tracing::info!("E-mail code refused");
            return again(StatusCode::UNAUTHORIZED, page::words(lang).wrong);
        }
        Err(_) => return login::unavailable(lang),
    };
    if let Some(account_key) = keys.get(1) {
        let _ = throttle::succeeded(conn, account_key).await;
    }
    session_cookie::end_previous(&req, conn).await;
    // A social sign-in waiting for proof of this very account is linked now.
    let linked = crate::federation::pending::link_after_sign_in(&req, conn, subject).await;
    state.userinfo_cache.invalidate_subject(subject);
    sign_in_history::record(&state.pool, subject, sign_in_audit::Outcome::Success);
    tracing::info!(%subject, "Signed in with an e-mail code");
    let next = Some(return_to)
        .filter(|r| login::safe_return(r))
        .unwrap_or_else(|| "/".into());
    let mut response = HttpResponse::SeeOther()
        .cookie(session_cookie::cookie(session))
        .cookie(binding::removal())
        .insert_header((header::LOCATION, next))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish();
    if let Some(spent) = linked {
        let _ = response.add_cookie(&spent);
    }
    response
}

/// Checks the code and, when right, opens the session, in the caller's transaction: a wrong
/// code's count commits with it, and a right one signs in once.
async fn sign_in(conn: &mut AsyncPgConnection, binding: &Binding, code: &str) -> diesel::QueryResult<Outcome> {
    let (subject, return_to) = match email_codes::check(conn, &binding.value, code).await? {
        Checked::Right { subject, return_to } => (subject, return_to),
        Checked::Wrong { subject, burned } => {
            if burned {
                tracing::info!(%subject, "E-mail code burned after too many wrong tries");
            }
            return Ok(Outcome::Refused);
        }
        Checked::NoCode => return Ok(Outcome::Refused),
    };
    // Merged or anonymised since the code was sent: the code is spent, nobody signs in.
    if !accounts::can_sign_in(conn, subject).await? {
        return Ok(Outcome::Refused);
    }
    // The code proves the mailbox: an unconfirmed account is confirmed (and asks for its S-360
    // contact); a password chosen before anyone proved the mailbox is dropped.
    if signup::verify(conn, subject).await? {
        accounts::drop_unproven_password(conn, subject).await?;
        tracing::info!(%subject, "Address verified by an e-mail code");
    }
    let (session, _) = sessions::create(conn, subject, AuthMethod::MailedOneTime).await?;
    Ok(Outcome::SignedIn {
        subject,
        session,
        return_to,
    })
}

/// The code as typed, without the spaces or dashes a fan may add.
fn normalise(typed: &str) -> String {
    typed.chars().filter(|c| !c.is_whitespace() && *c != '-').collect()
}

fn is_code(text: &str) -> bool {
    text.len() == DIGITS as usize && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_codes_lose_their_spaces_and_dashes() {
        assert_eq!(normalise(" 1234 5678 "), "12345678");
        assert_eq!(normalise("1234-5678"), "12345678");
        assert!(is_code("01234567"));
        assert!(!is_code("1234567") && !is_code("123456789") && !is_code("1234567a"));
    }
}
