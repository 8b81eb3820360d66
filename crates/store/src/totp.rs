//! Time-based one-time passwords (RFC 6238, HOTP of RFC 4226 with HMAC-SHA1, 30-second steps,
//! 6 digits: what every authenticator app speaks) for staff sign-in. The secret is 20 random
//! bytes, shown once as an `otpauth://` provisioning URI (base32, as the apps expect) and
//! stored in `staff_accounts.totp_secret`; `staff_accounts.totp_last_step` makes each code
//! single-use.

use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Steps either side of now still accepted, for a phone's clock a little off.
pub const SKEW_STEPS: i64 = 1;

/// A fresh 160-bit secret (RFC 4226 §4 recommends 160 bits); `None` without randomness.
pub fn new_secret() -> Option<[u8; 20]> {
    let mut secret = [0u8; 20];
    infra::secrets::random_bytes(&mut secret)?;
    Some(secret)
}

/// The step a Unix time falls in.
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The code of one step (RFC 4226 §5.3 dynamic truncation), zero-padded.
pub fn code(secret: &[u8], step: i64) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let binary = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!("{:0width$}", binary % 10u32.pow(DIGITS), width = DIGITS as usize)
}

/// The step whose code `presented` is, among those around `now_step` and after `last_step`
/// (a code already used, or older than one used, is refused); compared in constant time.
pub fn matching_step(secret: &[u8], presented: &str, now_step: i64, last_step: i64) -> Option<i64> {
    let presented = presented.trim();
    if presented.len() != DIGITS as usize || !presented.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut found = None;
    for step in (now_step - SKEW_STEPS)..=(now_step + SKEW_STEPS) {
        let matches = bool::from(code(secret, step).as_bytes().ct_eq(presented.as_bytes()));
        if matches && step > last_step && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// The `otpauth://totp/` URI an authenticator app reads (as a QR code or pasted).
pub fn provisioning_uri(secret: &[u8], issuer: &str, account: &str) -> String {
    let label = format!("{issuer}:{account}");
    let mut uri = url::Url::parse("otpauth://totp/").expect("a valid base");
    uri.set_path(&label);
    uri.query_pairs_mut()
        .append_pair("secret", &base32(secret))
        .append_pair("issuer", issuer)
        .append_pair("algorithm", "SHA1")
        .append_pair("digits", &DIGITS.to_string())
        .append_pair("period", &STEP_SECONDS.to_string());
    uri.to_string()
}

/// RFC 4648 base32 without padding.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 column (8 digits there; the last 6 are ours).
    #[test]
    fn codes_match_the_rfc_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, expected) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(code(secret, step_at(time)), expected[2..], "at {time}");
        }
    }

    #[test]
    fn a_code_is_accepted_once_and_only_near_now() {
        let secret = b"12345678901234567890";
        let now = step_at(1_111_111_109);
        let current = code(secret, now);
        assert_eq!(matching_step(secret, &current, now, 0), Some(now));
        assert_eq!(matching_step(secret, &current, now, now), None, "already used");
        assert_eq!(matching_step(secret, &code(secret, now - 1), now, 0), Some(now - 1));
        assert_eq!(matching_step(secret, &code(secret, now - 3), now, 0), None, "too old");
        for bad in ["", "12345", "1234567", "abcdef"] {
            assert_eq!(matching_step(secret, bad, now, 0), None, "{bad}");
        }
    }

    #[test]
    fn the_uri_carries_the_secret_in_base32() {
        assert_eq!(base32(b"12345678901234567890"), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let uri = provisioning_uri(b"12345678901234567890", "Club staff", "ana@club.example");
        assert!(
            uri.starts_with(
                "otpauth://totp/Club%20staff:ana@club.example?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Club+staff"
            ),
            "{uri}"
        );
    }
}
