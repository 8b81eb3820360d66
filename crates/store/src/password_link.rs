//! Single-use set-password links, one format for the gateway (forgotten password) and the
//! import (first password): a 256-bit random token in the URL
//! `<issuer>/password/reset?token=<token>`, of which only the SHA-256 is stored in
//! `password_tokens`. The gateway's set-password page checks a token with [`token_hash`].

use chrono::Duration;

/// How long a forgotten-password link works.
pub const RESET_LIFETIME: Duration = Duration::minutes(60);
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
    }
}
