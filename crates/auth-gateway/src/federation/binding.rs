//! The cookie binding a social sign-in to the browser that started it: `__Host-federation`
//! (HttpOnly, Secure, Path=/, no Domain), a fresh 256-bit random value per stage, living as
//! long as a stage (`store::auth::federation::requests` keys its row by the value's SHA-256).
//!
//! SameSite=None, unlike the gateway's other cookies: Apple answers with `form_post`, a
//! cross-site POST that carries no Lax cookie. That costs nothing here: a request is taken
//! only with the `state` sent to that provider for this browser, and every form of the later
//! stages checks the CSRF token of its Strict cookie.

use actix_web::{
    HttpRequest,
    cookie::{Cookie, SameSite},
};
use store::auth::federation::requests::LIFETIME;

pub const NAME: &str = "__Host-federation";

/// A fresh binding value; `None` if the system has no randomness.
pub fn new() -> Option<String> {
    crate::secrets::random_token()
}

/// The request's binding, if it carries a plausible one.
pub fn of_request(req: &HttpRequest) -> Option<String> {
    crate::host_cookie::binding_value(req, NAME)
}

/// The cookie carrying `value`.
pub fn cookie(value: String) -> Cookie<'static> {
    crate::host_cookie::build(NAME, value, SameSite::None, LIFETIME)
}

/// A cookie that removes the binding (its stage is spent).
pub fn removal() -> Cookie<'static> {
    crate::host_cookie::removal(NAME, SameSite::None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_binding_is_a_host_cookie_that_a_form_post_carries() {
        let cookie = cookie(new().expect("randomness")).to_string();
        for attribute in [
            "__Host-federation=",
            "HttpOnly",
            "Secure",
            "SameSite=None",
            "Path=/",
            "Max-Age=600",
        ] {
            assert!(cookie.contains(attribute), "{attribute}: {cookie}");
        }
        assert!(!cookie.contains("Domain"));
    }
}
