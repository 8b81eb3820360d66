//! Random secrets handed out to users (session values, codes, refresh tokens, CSRF and
//! password-link tokens, client secrets): 256 bits from the system generator, base64url.

use base64::Engine;

/// A fresh 256-bit value, base64url without padding; `None` only if the system cannot provide
/// randomness at all.
pub fn random_token() -> Option<String> {
    let mut raw = [0u8; 32];
    aws_lc_rs::rand::fill(&mut raw).ok()?;
    Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw))
}

/// Fills `out` from the system generator (a TOTP secret); `None` only without randomness.
pub fn random_bytes(out: &mut [u8]) -> Option<()> {
    aws_lc_rs::rand::fill(out).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_256_bits_and_distinct() {
        let a = super::random_token().expect("randomness");
        let b = super::random_token().expect("randomness");
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }
}
