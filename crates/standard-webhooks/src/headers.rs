//! The three headers a signed request carries, as plain strings: what a web framework adapter
//! reads from a request and hands to the verifier.

/// The message id, unique per message (the same on every retry of it).
pub const ID_HEADER: &str = "webhook-id";
/// Seconds since the Unix epoch at signing.
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// One or more space-separated `<version>,<base64 signature>`.
pub const SIGNATURE_HEADER: &str = "webhook-signature";

/// The signature header values, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeaders {
    pub id: String,
    pub timestamp: String,
    pub signatures: String,
}

impl SignatureHeaders {
    /// All three headers read through `get` (header name → value), or `None` when any is
    /// missing. Header names are given in lower case.
    pub fn from_lookup<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Option<Self> {
        Some(Self {
            id: get(ID_HEADER)?.to_owned(),
            timestamp: get(TIMESTAMP_HEADER)?.to_owned(),
            signatures: get(SIGNATURE_HEADER)?.to_owned(),
        })
    }
}
