//! `ContactNumber`: S-360's identifier of a contact, an opaque string of 1 to 20 characters.

use std::fmt;

/// Longest contact number S-360 issues.
pub const MAX_LEN: usize = 20;

/// S-360's contact number. Opaque: compared as a string, never as a number, because leading
/// zeros are significant (`"0001234567"` and `"1234567"` are two contacts).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct ContactNumber(String);

/// Why a value is not a contact number. The messages never repeat the value itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactNumberError {
    #[error("is empty")]
    Empty,
    #[error("is longer than {MAX_LEN} characters")]
    TooLong,
    #[error("contains whitespace or control characters")]
    InvalidCharacter,
}

impl ContactNumber {
    /// Accepts 1 to 20 printable characters without whitespace, as given (no trimming, no
    /// case change).
    pub fn parse(value: impl Into<String>) -> Result<Self, ContactNumberError> {
        let value = value.into();
        if value.is_empty() {
            return Err(ContactNumberError::Empty);
        }
        if value.chars().count() > MAX_LEN {
            return Err(ContactNumberError::TooLong);
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ContactNumberError::InvalidCharacter);
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContactNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ContactNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de> serde::Deserialize<'de> for ContactNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(raw).map_err(|e| serde::de::Error::custom(format!("contact number {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_leading_zeros() {
        let number = ContactNumber::parse("0001234567").expect("valid");
        assert_eq!(number.as_str(), "0001234567");
        assert_ne!(number, ContactNumber::parse("1234567").expect("valid"));
    }

    #[test]
    fn accepts_one_to_twenty_characters() {
        assert!(ContactNumber::parse("7").is_ok());
        assert!(ContactNumber::parse("A".repeat(20)).is_ok());
        assert!(
            ContactNumber::parse("é".repeat(20)).is_ok(),
            "counts characters, not bytes"
        );
    }

    #[test]
    fn rejects_invalid_values() {
        let cases = [
            ("", ContactNumberError::Empty),
            ("123456789012345678901", ContactNumberError::TooLong),
            (" 0001", ContactNumberError::InvalidCharacter),
            ("0001 ", ContactNumberError::InvalidCharacter),
            ("00\n01", ContactNumberError::InvalidCharacter),
            ("00\u{0}1", ContactNumberError::InvalidCharacter),
        ];
        for (input, expected) in cases {
            assert_eq!(ContactNumber::parse(input), Err(expected), "input {input:?}");
        }
    }

    #[test]
    fn deserializes_only_from_strings() {
        let parsed: ContactNumber = serde_json::from_str("\"0042\"").expect("string");
        assert_eq!(parsed.as_str(), "0042");
        assert!(
            serde_json::from_str::<ContactNumber>("42").is_err(),
            "numbers lose leading zeros"
        );
        assert!(serde_json::from_str::<ContactNumber>("\"\"").is_err());
    }
}
