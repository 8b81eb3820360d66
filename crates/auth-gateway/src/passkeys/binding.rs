//! The cookie binding a passkey ceremony to the browser that started it:
//! `__Host-passkey-challenge` (HttpOnly, Secure, SameSite=Strict: only the gateway's own
//! pages call the ceremony endpoints; Path=/, no Domain), a fresh 256-bit random value per
//! ceremony, living as long as one. Only its SHA-256 is stored
//! (`store::auth::passkey_challenges`).

use actix_web::{
    HttpRequest,
    cookie::{Cookie, SameSite},
};
use store::auth::passkey_challenges::LIFETIME;

pub const NAME: &str = "__Host-passkey-challenge";

/// A fresh binding value and its cookie; `None` if the system has no randomness.
pub fn issue() -> Option<(String, Cookie<'static>)> {
    let value = crate::secrets::random_token()?;
    Some((value.clone(), cookie(value)))
}

/// The request's binding value, if it has one.
pub fn of_request(req: &HttpRequest) -> Option<String> {
    crate::host_cookie::binding_value(req, NAME)
}

fn cookie(value: String) -> Cookie<'static> {
    crate::host_cookie::build(NAME, value, SameSite::Strict, LIFETIME)
}

/// A cookie that removes the binding (its ceremony is over).
pub fn removal() -> Cookie<'static> {
    crate::host_cookie::removal(NAME, SameSite::Strict)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binding_is_a_fresh_secret_in_a_strict_host_cookie() {
        let (value, cookie) = issue().expect("randomness");
        assert_ne!(value, issue().expect("randomness").0);
        let cookie = cookie.to_string();
        for attribute in [
            "__Host-passkey-challenge=",
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/",
            "Max-Age=300",
        ] {
            assert!(cookie.contains(attribute), "{attribute}: {cookie}");
        }
        assert!(!cookie.contains("Domain"));
    }
}
