//! CSRF protection for the gateway's forms: a random token in a `__Host-csrf` cookie
//! (SameSite=Strict, HttpOnly) that the form must repeat (double submit), compared in constant
//! time.

use actix_web::{
    HttpRequest,
    cookie::{Cookie, SameSite},
};
use subtle::ConstantTimeEq;

pub const COOKIE: &str = "__Host-csrf";

/// A fresh token and the cookie carrying it; `None` if the system has no randomness.
pub fn issue() -> Option<(String, Cookie<'static>)> {
    let token = crate::secrets::random_token()?;
    let cookie = Cookie::build(COOKIE, token.clone())
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .path("/")
        .finish();
    Some((token, cookie))
}

/// Whether the form's token matches the request's cookie.
pub fn check(req: &HttpRequest, submitted: &str) -> bool {
    let cookie = req.cookie(COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    !cookie.is_empty() && bool::from(cookie.as_bytes().ct_eq(submitted.as_bytes()))
}
