//! Single-use links, one format for the gateway (forgotten password, sign-up verification) and
//! the import (first password): a 256-bit random token in the URL
//! `<issuer>/password/reset?token=<token>`, of which only the SHA-256 is stored in
//! `password_tokens`. The gateway's set-password page checks a token with [`token_hash`].

use chrono::Duration;

/// How long a forgotten-password link works.
pub const RESET_LIFETIME: Duration = Duration::minutes(60);
/// How long a sign-up's verification link works.
pub const VERIFY_LIFETIME: Duration = Duration::hours(24);
/// How long an imported account's first-password link works by default.
pub const FIRST_PASSWORD_LIFETIME: Duration = Duration::hours(72);

/// A new link's secret and what is stored of it.
#[derive(Clone)]
pub struct NewToken {
    /// Goes into the mailed link only.
    pub token: String,
    /// Goes into `password_tokens.token_hash`.
    pub hash: Vec<u8>,
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewToken(..)")
    }
}

/// A fresh token; `None` only if the system has no randomness.
pub fn new_token() -> Option<NewToken> {
    let token = infra::secrets::random_token()?;
    let hash = token_hash(&token);
    Some(NewToken { token, hash })
}

/// What `password_tokens` stores of a token.
pub fn token_hash(token: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).to_vec()
}

/// The link mailed to the user, under the gateway's public base URL (its issuer; never a
/// request's Host header).
pub fn link(issuer: &str, token: &str) -> String {
    format!("{}/password/reset?token={token}", issuer.trim_end_matches('/'))
}

/// The verification link mailed after a sign-up; `return_to` (one of the gateway's own pages or
/// authorization requests, checked again when the link is used) is where the fan goes next.
pub fn verify_link(issuer: &str, token: &str, return_to: &str) -> String {
    let return_to: String = url::form_urlencoded::byte_serialize(return_to.as_bytes()).collect();
    format!(
        "{}/signup/verify?token={token}&return_to={return_to}",
        issuer.trim_end_matches('/')
    )
}

/// The link mailed to a new address a fan wants to sign in with.
pub fn email_link(issuer: &str, token: &str) -> String {
    format!("{}/account/email/verify?token={token}", issuer.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_carry_the_token_and_store_its_hash() {
        let new = new_token().expect("randomness");
        assert_eq!(new.hash, token_hash(&new.token));
        assert_eq!(new.hash.len(), 32);
        assert_eq!(
            link("https://id.example.org/", "abc"),
            "https://id.example.org/password/reset?token=abc"
        );
        assert_eq!(
            verify_link("https://id.example.org", "abc", "/authorize?client_id=shop&x=1"),
            "https://id.example.org/signup/verify?token=abc&return_to=%2Fauthorize%3Fclient_id%3Dshop%26x%3D1"
        );
    }
}
