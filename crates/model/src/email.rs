//! `Email`: an e-mail address as S-360 stores it (at most 250 characters).

use std::fmt;

/// Longest e-mail address S-360 accepts (bulk-import specification).
pub const MAX_LEN: usize = 250;

/// A syntactically plausible e-mail address, kept as given. Comparisons between accounts use
/// [`Email::normalized`], because S-360 and users do not agree on letter case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

/// Why a value is not an e-mail address. The messages never repeat the value itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("is empty")]
    Empty,
    #[error("is longer than {MAX_LEN} characters")]
    TooLong,
    #[error("must have one '@' with text on both sides")]
    Shape,
    #[error("contains whitespace or control characters")]
    InvalidCharacter,
    #[error("has a domain without a dot or with an empty label")]
    Domain,
}

impl Email {
    /// Checks the shape only (one `@`, a dotted domain, no whitespace): deliverability is
    /// proven by the set-your-password mail, not by a regular expression.
    pub fn parse(value: impl Into<String>) -> Result<Self, EmailError> {
        let value = value.into();
        if value.is_empty() {
            return Err(EmailError::Empty);
        }
        if value.chars().count() > MAX_LEN {
            return Err(EmailError::TooLong);
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailError::InvalidCharacter);
        }
        let (local, domain) = value.rsplit_once('@').ok_or(EmailError::Shape)?;
        if local.is_empty() || domain.is_empty() || local.contains('@') {
            return Err(EmailError::Shape);
        }
        if !domain.contains('.') || domain.split('.').any(str::is_empty) {
            return Err(EmailError::Domain);
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used to compare and look up addresses: lower case throughout.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(raw).map_err(|e| serde::de::Error::custom(format!("e-mail address {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_keeps_case() {
        let email = Email::parse("Jean.Dupont+shop@Example.ORG").expect("valid");
        assert_eq!(email.as_str(), "Jean.Dupont+shop@Example.ORG");
        assert_eq!(email.normalized(), "jean.dupont+shop@example.org");
    }

    #[test]
    fn rejects_invalid_values() {
        let too_long = format!("{}@example.org", "a".repeat(240));
        let cases = [
            ("", EmailError::Empty),
            ("jean.dupont", EmailError::Shape),
            ("@example.org", EmailError::Shape),
            ("jean@", EmailError::Shape),
            ("a@b@example.org", EmailError::Shape),
            ("jean@localhost", EmailError::Domain),
            ("jean@example..org", EmailError::Domain),
            ("jean @example.org", EmailError::InvalidCharacter),
            (too_long.as_str(), EmailError::TooLong),
        ];
        for (input, expected) in cases {
            assert_eq!(Email::parse(input), Err(expected), "input {input:?}");
        }
    }
}
