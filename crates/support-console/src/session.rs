//! The console's session cookie and CSRF tokens. The cookie (`__Host-console`: HttpOnly,
//! Secure, SameSite=Strict) holds a random value whose SHA-256 keys `staff_sessions`; the
//! sessions end after 30 minutes idle or 8 hours (`store::console::sessions`). Every form
//! carries a CSRF token derived from the session's cookie value (a keyed digest only that
//! browser can compute), compared in constant time: no token, or another session's, is refused.

use actix_web::{
    HttpRequest,
    cookie::{Cookie, SameSite, time::Duration as CookieDuration},
};
use base64::Engine;
use sha2::{Digest, Sha256};
use store::console::sessions::{self, StaffSession};
use subtle::ConstantTimeEq;

pub const COOKIE: &str = "__Host-console";

/// A signed-in staff member and the CSRF token of their forms.
#[derive(Debug, Clone)]
pub struct Staff {
    pub session: StaffSession,
    pub csrf: String,
}

impl Staff {
    /// Whether the form's token is this session's.
    pub fn csrf_ok(&self, submitted: &str) -> bool {
        !submitted.is_empty() && bool::from(self.csrf.as_bytes().ct_eq(submitted.as_bytes()))
    }
}

/// The session the request's cookie opens; `Err` when the database cannot be reached.
pub async fn current(req: &HttpRequest, pool: &infra::db::PgPool) -> Result<Option<Staff>, ()> {
    let Some(cookie) = req.cookie(COOKIE) else {
        return Ok(None);
    };
    let mut conn = pool.get().await.map_err(drop)?;
    let session = sessions::find(&mut conn, cookie.value()).await.map_err(drop)?;
    Ok(session.map(|session| Staff {
        session,
        csrf: csrf_token(cookie.value()),
    }))
}

/// The CSRF token of a session's cookie value.
pub fn csrf_token(cookie_value: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"support-console csrf\0")
        .chain_update(cookie_value.as_bytes())
        .finalize();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// The session cookie for a new session's value.
pub fn cookie(value: String) -> Cookie<'static> {
    Cookie::build(COOKIE, value)
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .path("/")
        .max_age(CookieDuration::hours(sessions::ABSOLUTE_TIMEOUT.num_hours()))
        .finish()
}

/// Removes the session cookie (sign-out).
pub fn cleared() -> Cookie<'static> {
    let mut cookie = cookie(String::new());
    cookie.make_removal();
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_belong_to_one_session() {
        assert_eq!(csrf_token("a"), csrf_token("a"));
        assert_ne!(csrf_token("a"), csrf_token("b"));
        assert_ne!(csrf_token("a"), "a");
    }
}
