//! `GET/POST /login`: the sign-in form. CSRF protection by a double-submit token in a
//! `__Host-` cookie (SameSite=Strict); throttling per account and per source address; one
//! generic message whether the account exists, has no password yet, or the password is wrong;
//! a new session (and cookie) at every sign-in.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use store::auth::{accounts, method::AuthMethod, sessions, sign_in_audit, throttle};

use crate::{
    pages::{self, Lang},
    routes::{html::busy_page, params},
    session_cookie,
    state::GatewayState,
};

/// Renders the form with a fresh CSRF token. The content security policy has no `form-action`:
/// browsers apply it to the redirects after the form too, and the sign-in ends with a
/// redirect to the client's (external) redirect URI. Scripts: only the gateway's own
/// `passkeys.js`, which posts to the passkey endpoints (`connect-src 'self'`), when `passkeys`.
pub fn form(lang: Lang, return_to: &str, email: &str, message: Option<&str>, passkeys: bool) -> HttpResponse {
    let Some((csrf, cookie)) = crate::csrf::issue() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    let status = if message.is_some() {
        actix_web::http::StatusCode::UNAUTHORIZED
    } else {
        actix_web::http::StatusCode::OK
    };
    HttpResponse::build(status)
        .cookie(cookie)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'",
        ))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .content_type("text/html; charset=utf-8")
        .body(pages::login(lang, &csrf, return_to, email, message, passkeys))
}

pub async fn show(req: HttpRequest, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let return_to = params::parse(req.query_string())
        .ok()
        .and_then(|p| p.get("return_to").cloned())
        .filter(|r| safe_return(r))
        .unwrap_or_else(|| "/".into());
    form(lang, &return_to, "", None, state.passkeys.is_some())
}

/// The sign-in form for an authorization request, or the busy page that retries it while
/// the sign-in queue is full (the fan would type a password only to be shed).
pub fn form_or_busy(state: &GatewayState, lang: Lang, return_to: &str, email: &str) -> HttpResponse {
    if state.passwords.saturated() {
        return busy_page(lang, return_to);
    }
    form(lang, return_to, email, None, state.passkeys.is_some())
}

pub async fn submit(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let Ok(text) = std::str::from_utf8(&body) else {
        return bad_request(lang);
    };
    let Ok(form_fields) = params::parse(text) else {
        return bad_request(lang);
    };
    let field = |name: &str| form_fields.get(name).map(String::as_str).unwrap_or_default();
    let return_to = Some(field("return_to")).filter(|r| safe_return(r)).unwrap_or("/");
    if !crate::csrf::check(&req, field("csrf")) {
        return HttpResponse::Forbidden()
            .content_type("text/html; charset=utf-8")
            .body(pages::error(lang, "The form expired; please try again."));
    }
    let email = field("email").trim().to_owned();
    let texts = pages::texts(lang);

    let Ok(mut conn) = state.pool.get().await else {
        return unavailable(lang);
    };
    let keys = [
        format!("account:{}", email.to_lowercase()),
        format!("address:{}", client_address(&req)),
    ];
    if let Some(refused) =
        refused_when_locked(&mut conn, &keys, lang, return_to, &email, state.passkeys.is_some()).await
    {
        return refused;
    }
    // Only accounts whose contact may sign in (not merged or anonymised) are looked up.
    // A database error is an outage (503), never an unknown account counted as a failure.
    let Ok(account) = accounts::find_by_email(&mut conn, &email).await else {
        return unavailable(lang);
    };
    // Hashing waits for one of a few permits: the connection serves other requests meanwhile,
    // so a burst of sign-ins queues on the hasher, not on the database pool.
    drop(conn);
    let hash = account.as_ref().and_then(|a| a.password_hash.clone());
    let Ok(verified) = state.passwords.verify(field("password"), hash.as_deref()).await else {
        tracing::info!("Sign-in shed: the hash queue is full");
        return busy_page(lang, return_to);
    };
    let rehashed = match hash.as_deref() {
        Some(old) if verified && crate::passwords::needs_rehash(old) => {
            state.passwords.hash(field("password")).await.ok()
        }
        _ => None,
    };
    let Ok(mut conn) = state.pool.get().await else {
        return unavailable(lang);
    };
    // Asked again after hashing: attempts of a burst all pass the first check before any of
    // them fails, and a lock that engaged meanwhile refuses even the right password.
    if let Some(refused) =
        refused_when_locked(&mut conn, &keys, lang, return_to, &email, state.passkeys.is_some()).await
    {
        return refused;
    }
    let known_subject = account.as_ref().map(|a| a.subject);
    let Some(account) = account.filter(|_| verified) else {
        let _ = throttle::failed(&mut conn, &keys).await;
        if let Some(subject) = known_subject {
            crate::routes::sign_in_history::failed(&state.pool, subject, &keys);
        }
        tracing::info!("Sign-in refused");
        return form(lang, return_to, &email, Some(texts.failed), state.passkeys.is_some());
    };
    let _ = throttle::succeeded(&mut conn, &keys[0]).await;
    let subject = account.subject;
    crate::routes::sign_in_history::record(&state.pool, subject, sign_in_audit::Outcome::Success);
    // The right password, but an address nobody proved: no session, so no client (and never
    // S-360, which trusts our addresses as verified) sees the account; the link can be resent.
    if !account.email_verified {
        tracing::info!(%subject, "Sign-in refused: address not verified yet");
        let Some((csrf, cookie)) = crate::csrf::issue() else {
            return HttpResponse::ServiceUnavailable().finish();
        };
        return crate::routes::html::html(
            actix_web::http::StatusCode::FORBIDDEN,
            crate::signup_form::page::unverified(lang, &csrf, &account.login_email, return_to),
            Some(cookie),
        );
    }
    if let (Some(old), Some(new)) = (hash, rehashed) {
        store_rehash(&mut conn, subject, &old, new).await;
    }
    session_cookie::end_previous(&req, &mut conn).await;
    let Ok((value, _)) = sessions::create(&mut conn, subject, AuthMethod::Password).await else {
        return unavailable(lang);
    };
    // A social sign-in waiting for proof of this very account is linked now.
    let linked = crate::federation::pending::link_after_sign_in(&req, &mut conn, subject).await;
    tracing::info!(%subject, "Signed in");
    let mut response = HttpResponse::SeeOther()
        .cookie(session_cookie::cookie(value))
        .insert_header((header::LOCATION, return_to.to_owned()))
        .finish();
    if let Some(spent) = linked {
        let _ = response.add_cookie(&spent);
    }
    response
}

/// Stores `new`, a hash with the current parameters, in place of `old` (unless the password
/// changed meanwhile). A failure only leaves the old hash, which still verifies.
async fn store_rehash(conn: &mut diesel_async::AsyncPgConnection, subject: uuid::Uuid, old: &str, new: String) {
    if accounts::rehash_password(conn, subject, old, &new)
        .await
        .unwrap_or(false)
    {
        tracing::info!(%subject, "Password rehashed with the current parameters");
    }
}

/// The answer when the account or the address is locked (the sign-in form again with 429 and
/// `Retry-After`), or when the lock cannot be read (503); `None` to go on.
async fn refused_when_locked(
    conn: &mut diesel_async::AsyncPgConnection,
    keys: &[String],
    lang: Lang,
    return_to: &str,
    email: &str,
    passkeys: bool,
) -> Option<HttpResponse> {
    let retry_after = match throttle::locked(conn, keys).await {
        Ok(Some(retry_after)) => retry_after,
        Ok(None) => return None,
        Err(_) => return Some(unavailable(lang)),
    };
    let mut response = form(lang, return_to, email, Some(pages::texts(lang).locked), passkeys);
    *response.status_mut() = actix_web::http::StatusCode::TOO_MANY_REQUESTS;
    response.headers_mut().insert(
        header::RETRY_AFTER,
        retry_after
            .to_string()
            .parse()
            .unwrap_or(header::HeaderValue::from_static("60")),
    );
    Some(response)
}

/// `/` after a sign-in or a sign-up without a client: a plain confirmation, offering a
/// passkey to a signed-in fan who has none (a shop's sign-in goes straight back to the shop).
pub async fn home(req: HttpRequest, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let offer = match (&state.passkeys, req.cookie(session_cookie::NAME)) {
        (Some(_), Some(cookie)) => passkey_offer(&state, cookie.value(), lang).await,
        _ => None,
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(pages::signed_in(lang, offer.as_deref().unwrap_or_default()))
}

/// The offer of a passkey (HTML) for the session of cookie `value` when its fan has none.
async fn passkey_offer(state: &GatewayState, value: &str, lang: Lang) -> Option<String> {
    let mut conn = state.pool.get().await.ok()?;
    let session = sessions::find(&mut conn, value).await.ok()??;
    let count = store::auth::passkeys::count(&mut conn, session.subject).await.ok()?;
    (count == 0).then(|| pages::passkey::offer(lang))
}

/// Only our own authorization requests, the profile page or the home page: never an open
/// redirect.
pub fn safe_return(target: &str) -> bool {
    target == "/"
        || target == "/profile"
        || target == "/profile/passkeys"
        || (target.starts_with("/authorize?") && !target.contains('\\') && !target.contains("//"))
}

pub fn client_address(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn bad_request(lang: Lang) -> HttpResponse {
    HttpResponse::BadRequest()
        .content_type("text/html; charset=utf-8")
        .body(pages::error(lang, "The form is malformed."))
}

/// 503 with `Retry-After` as a page, when the database cannot be reached.
pub fn unavailable(lang: Lang) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header((header::RETRY_AFTER, infra::http::RETRY_AFTER_SECONDS.to_string()))
        .content_type("text/html; charset=utf-8")
        .body(pages::error(lang, "The service is temporarily unavailable."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_pages_are_return_targets() {
        assert!(safe_return("/"));
        assert!(safe_return("/profile"));
        assert!(safe_return("/profile/passkeys"));
        assert!(safe_return("/authorize?client_id=shop"));
        for open in [
            "https://evil.example/",
            "//evil.example/",
            "/authorize?x=//evil",
            "/\\evil.example",
            "/other",
            "/profile/../x",
            "",
        ] {
            assert!(!safe_return(open), "{open}");
        }
    }
}
