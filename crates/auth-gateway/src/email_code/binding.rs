//! The cookie binding a mailed code to the browser that asked for it: `__Host-code-binding`
//! (HttpOnly, Secure, SameSite=Lax so that the mailed link, a top-level navigation from a mail
//! client, carries it; Path=/, no Domain), living as long as a code. Its value is a fresh
//! 256-bit random secret and the address typed, lower-cased, `<secret>.<base64url(address)>`.
//! The whole value keys the stored code (`store::auth::email_codes`), so an edited address
//! finds no code; the address names the account whose sign-in throttle a wrong code counts
//! against, whether or not it has an account (as a wrong password does), so the locks tell
//! nothing about which addresses have one.

use actix_web::{
    HttpRequest,
    cookie::{Cookie, SameSite},
};
use base64::Engine;
use store::auth::email_codes::LIFETIME;

pub const NAME: &str = "__Host-code-binding";

/// A browser's binding, as its cookie holds it.
#[derive(Clone, PartialEq, Eq)]
pub struct Binding {
    /// The cookie's whole value: the key of the stored code.
    pub value: String,
    /// The address the code was asked for, lower-cased.
    pub email: String,
}

impl std::fmt::Debug for Binding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Binding(..)")
    }
}

impl Binding {
    /// A fresh binding for a code asked for `email`; `None` if the system has no randomness.
    pub fn new(email: &str) -> Option<Self> {
        let secret = crate::secrets::random_token()?;
        let email = email.to_lowercase();
        let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(email.as_bytes());
        Some(Self {
            value: format!("{secret}.{encoded}"),
            email,
        })
    }

    /// The request's binding, if it carries a well-formed one.
    pub fn of_request(req: &HttpRequest) -> Option<Self> {
        Self::parse(req.cookie(NAME)?.value())
    }

    fn parse(value: &str) -> Option<Self> {
        let (secret, encoded) = value.split_once('.')?;
        if secret.len() < 43 {
            return None;
        }
        let email = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .filter(|email| !email.is_empty())?;
        Some(Self {
            value: value.to_owned(),
            email,
        })
    }

    /// The cookie carrying this binding.
    pub fn cookie(&self) -> Cookie<'static> {
        cookie(self.value.clone())
    }
}

fn cookie(value: String) -> Cookie<'static> {
    crate::host_cookie::build(NAME, value, SameSite::Lax, LIFETIME)
}

/// A cookie that removes the binding (its code is spent).
pub fn removal() -> Cookie<'static> {
    crate::host_cookie::removal(NAME, SameSite::Lax)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binding_is_a_fresh_secret_and_the_address_in_a_host_cookie() {
        let binding = Binding::new("Fan@Example.org").expect("randomness");
        assert_eq!(binding.email, "fan@example.org");
        assert_ne!(
            binding.value,
            Binding::new("fan@example.org").expect("randomness").value
        );
        assert_eq!(Binding::parse(&binding.value), Some(binding.clone()));
        let cookie = binding.cookie().to_string();
        for attribute in [
            "__Host-code-binding=",
            "HttpOnly",
            "Secure",
            "SameSite=Lax",
            "Path=/",
            "Max-Age=600",
        ] {
            assert!(cookie.contains(attribute), "{attribute}: {cookie}");
        }
        assert!(!cookie.contains("Domain"));
        for malformed in [
            "",
            "short.ZmFu",
            "no-dot-at-all-0123456789012345678901234567890123",
            "x".repeat(43).as_str(),
        ] {
            assert_eq!(Binding::parse(malformed), None, "{malformed}");
        }
        assert_eq!(format!("{binding:?}"), "Binding(..)", "never logged");
    }
}
