//! The gateway's `__Host-` cookies (the session and the browser bindings of e-mail codes,
//! passkey ceremonies and social sign-ins): HttpOnly, Secure, Path=/ and no Domain, as the
//! `__Host-` prefix requires (RFC 6265bis §4.1.3.2), each with its own SameSite and lifetime.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};

/// The cookie `name` carrying `value` for `lifetime`.
pub fn build(name: &'static str, value: String, same_site: SameSite, lifetime: chrono::Duration) -> Cookie<'static> {
    Cookie::build(name, value)
        .http_only(true)
        .secure(true)
        .same_site(same_site)
        .path("/")
        .max_age(CookieDuration::seconds(lifetime.num_seconds()))
        .finish()
}

/// A cookie that removes the cookie `name` (with the attributes it was set with).
pub fn removal(name: &'static str, same_site: SameSite) -> Cookie<'static> {
    let mut cookie = build(name, String::new(), same_site, chrono::Duration::zero());
    cookie.make_removal();
    cookie
}

/// The request's value of the binding cookie `name`, if it is long enough to be one of ours
/// (a 256-bit random token, 43 characters in base64url).
pub fn binding_value(req: &actix_web::HttpRequest, name: &str) -> Option<String> {
    req.cookie(name).map(|c| c.value().to_owned()).filter(|v| v.len() >= 43)
}
