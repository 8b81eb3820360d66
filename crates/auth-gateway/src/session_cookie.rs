//! The browser session cookie: a random 256-bit value in a `__Host-` cookie (HttpOnly,
//! Secure, SameSite=Lax, Path=/, no Domain). Only its SHA-256 is stored, by
//! `store::auth::sessions`, which also decides when a session ends.

use actix_web::{
    HttpRequest,
    cookie::{Cookie, SameSite},
};
use diesel_async::AsyncPgConnection;
use store::auth::sessions::{self, ABSOLUTE_TIMEOUT};

pub const NAME: &str = "__Host-session";

/// The cookie carrying a session value.
pub fn cookie(value: String) -> Cookie<'static> {
    crate::host_cookie::build(NAME, value, SameSite::Lax, ABSOLUTE_TIMEOUT)
}

/// A cookie that removes the session cookie.
pub fn removal() -> Cookie<'static> {
    crate::host_cookie::removal(NAME, SameSite::Lax)
}

/// Ends the live session the request's cookie names, if any: every sign-in opens a new
/// session, so a cookie opened earlier in this browser (maybe another account's, maybe planted)
/// is not carried over. Best effort: a session that cannot be revoked now still expires.
pub async fn end_previous(req: &HttpRequest, conn: &mut AsyncPgConnection) {
    if let Some(old) = req.cookie(NAME)
        && let Ok(Some(previous)) = sessions::find(conn, old.value()).await
        && sessions::revoke(conn, &previous.id).await.is_err()
    {
        tracing::warn!("The browser's earlier session was not revoked");
    }
}
