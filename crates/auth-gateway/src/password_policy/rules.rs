//! The strength rules of a new password, in one place, each refusal with a stable code.

use std::fmt;

use super::bloom;

/// Shortest password accepted, in characters (Unicode scalar values, what a fan counts as they
/// type), not bytes: "é" is one character. NIST SP 800-63B asks for at least 8; 10 leaves the
/// common-password filter fewer short guesses to cover. The filter keeps only entries at least
/// this long, so changing it means regenerating `data/common-passwords.bloom`.
pub const MIN_CHARS: usize = 10;

/// Longest password accepted, in bytes of UTF-8: argon2 hashes every byte, and an unbounded
/// input would let one sign-up burn CPU. 256 bytes is still far beyond any passphrase.
pub const MAX_BYTES: usize = 256;

/// Why a new password is refused. The page shows text chosen by [`Refusal::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// Fewer than [`MIN_CHARS`] characters.
    TooShort,
    /// More than [`MAX_BYTES`] bytes.
    TooLong,
    /// Equal to the e-mail address or its local part, ignoring case.
    LikeEmail,
    /// One character repeated, ignoring case ("aaaaaaaaaa").
    Repetitive,
    /// In the embedded list of the most common passwords.
    Common,
    /// Found by the breached-password range check ([`super::breached_in_range`]); [`check`]
    /// never returns it, the caller does after that asynchronous query.
    Breached,
}

impl Refusal {
    /// Every refusal, so a test of the translations can check that each code has a text.
    pub const ALL: [Refusal; 6] = [
        Refusal::TooShort,
        Refusal::TooLong,
        Refusal::LikeEmail,
        Refusal::Repetitive,
        Refusal::Common,
        Refusal::Breached,
    ];

    /// Stable snake_case code: the translation key of the page and the value logged. Never
    /// rename one, translations and dashboards depend on it.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::TooShort => "too_short",
            Refusal::TooLong => "too_long",
            Refusal::LikeEmail => "like_email",
            Refusal::Repetitive => "repetitive",
            Refusal::Common => "common",
            Refusal::Breached => "breached",
        }
    }
}

/// The code, for logs; never shown to a fan as is.
impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Checks a new password for the account with address `email`; the first rule broken wins.
///
/// The length in bytes is checked first so that nothing below ever works on an oversized
/// input. Does no I/O: the breached-password query is [`super::breached_in_range`].
pub fn check(password: &str, email: &str) -> Result<(), Refusal> {
    if password.len() > MAX_BYTES {
        return Err(Refusal::TooLong);
    }
    if password.chars().count() < MIN_CHARS {
        return Err(Refusal::TooShort);
    }
    let lowered = password.to_lowercase();
    if like_email(&lowered, email) {
        return Err(Refusal::LikeEmail);
    }
    if repetitive(password) {
        return Err(Refusal::Repetitive);
    }
    if bloom::is_common(password) {
        return Err(Refusal::Common);
    }
    Ok(())
}

/// Whether the lower-cased password is the whole address or the part before its last `@`
/// (an address's local part may itself contain a quoted `@`, the domain never does).
fn like_email(lowered: &str, email: &str) -> bool {
    let email = email.trim().to_lowercase();
    if email.is_empty() {
        return false;
    }
    let local = email.rsplit_once('@').map_or(email.as_str(), |(local, _)| local);
    lowered == email || (!local.is_empty() && lowered == local)
}

/// Whether every character is the first one, ignoring case ("aAaAaAaAaA" is repetitive too).
fn repetitive(password: &str) -> bool {
    let mut chars = password.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    chars.all(|c| c == first || c.to_lowercase().eq(first.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMAIL: &str = "Fan.Name@Example.org";

    #[test]
    fn accepts_a_long_unusual_password() {
        assert_eq!(check("violet-tram-sings-at-dawn", EMAIL), Ok(()));
        assert_eq!(check("Zq7!mVp2#rLx", EMAIL), Ok(()));
    }

    #[test]
    fn counts_characters_not_bytes() {
        // Nine two-byte characters: 18 bytes, still too short.
        assert_eq!(check("ééééééééé", EMAIL), Err(Refusal::TooShort));
        assert_eq!(check("short", EMAIL), Err(Refusal::TooShort));
        assert_eq!(check("", EMAIL), Err(Refusal::TooShort));
        // Ten characters of different kinds pass the length rule.
        assert_eq!(check("é1ü2ø3ß4ñ5", EMAIL), Ok(()));
    }

    #[test]
    fn limits_bytes_not_characters() {
        let at_limit: String = "ab".repeat(MAX_BYTES / 2);
        assert_eq!(check(&at_limit, EMAIL), Ok(()));
        assert_eq!(check(&format!("{at_limit}c"), EMAIL), Err(Refusal::TooLong));
        // 100 characters but 300 bytes.
        assert_eq!(check(&"€".repeat(100), EMAIL), Err(Refusal::TooLong));
    }

    #[test]
    fn refuses_the_email_and_its_local_part_in_any_case() {
        assert_eq!(check("fan.name@example.org", EMAIL), Err(Refusal::LikeEmail));
        assert_eq!(check("FAN.NAME@EXAMPLE.ORG", EMAIL), Err(Refusal::LikeEmail));
        assert_eq!(check("Fan.Name", "fan.name@example.org"), Err(Refusal::TooShort));
        assert_eq!(
            check("Fan.Name.Long", "fan.name.long@example.org"),
            Err(Refusal::LikeEmail)
        );
        // Containing the local part is allowed: only equality is refused.
        assert_eq!(check("fan.name-rides-trains", EMAIL), Ok(()));
        // No address yet: the rule does not apply.
        assert_eq!(check("violet-tram-sings", ""), Ok(()));
    }

    #[test]
    fn refuses_one_repeated_character() {
        assert_eq!(check("zzzzzzzzzzzz", EMAIL), Err(Refusal::Repetitive));
        assert_eq!(check("ZzZzZzZzZzZz", EMAIL), Err(Refusal::Repetitive));
        assert_eq!(check("ßßßßßßßßßßßß", EMAIL), Err(Refusal::Repetitive));
        assert_eq!(check("zzzzzzzzzzzy", EMAIL), Ok(()));
    }

    #[test]
    fn refuses_common_passwords_in_any_case() {
        for password in [
            "password1234",
            "qwertyuiop",
            "iloveyou12",
            "1q2w3e4r5t",
            "Password1234",
            "QWERTYUIOP",
        ] {
            assert_eq!(check(password, EMAIL), Err(Refusal::Common), "{password}");
        }
    }

    #[test]
    fn codes_are_stable_and_distinct() {
        let codes: Vec<&str> = Refusal::ALL.iter().map(Refusal::code).collect();
        assert_eq!(
            codes,
            [
                "too_short",
                "too_long",
                "like_email",
                "repetitive",
                "common",
                "breached"
            ]
        );
        assert_eq!(Refusal::LikeEmail.to_string(), "like_email");
    }
}
