//! The browser session cookie: a random 256-bit value in a `__Host-` cookie (HttpOnly,
//! Secure, SameSite=Lax, Path=/, no Domain). Only its SHA-256 is stored, by
//! `store::auth::sessions`, which also decides when a session ends.

use actix_web::cookie::{Cookie, SameSite};
use store::auth::sessions::ABSOLUTE_TIMEOUT;

pub const NAME: &str = "__Host-session";

/// The cookie carrying a session value.
pub fn cookie(value: String) -> Cookie<'static> {
    crate::host_cookie::build(NAME, value, SameSite::Lax, ABSOLUTE_TIMEOUT)
}

/// A cookie that removes the session cookie.
pub fn removal() -> Cookie<'static> {
    crate::host_cookie::removal(NAME, SameSite::Lax)
}
