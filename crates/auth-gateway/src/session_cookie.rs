//! The browser session cookie: a random 256-bit value in a `__Host-` cookie (HttpOnly,
//! Secure, SameSite=Lax, Path=/, no Domain). Only its SHA-256 is stored, by
//! `store::auth::sessions`, which also decides when a session ends.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use store::auth::sessions::ABSOLUTE_TIMEOUT;

pub const NAME: &str = "__Host-session";

/// The cookie carrying a session value.
pub fn cookie(value: String) -> Cookie<'static> {
    Cookie::build(NAME, value)
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(CookieDuration::seconds(ABSOLUTE_TIMEOUT.num_seconds()))
        .finish()
}

/// A cookie that removes the session cookie.
pub fn removal() -> Cookie<'static> {
    let mut cookie = cookie(String::new());
    cookie.make_removal();
    cookie
}
