//! `Contact`: what we model of an S-360 contact, with the original JSON kept beside it.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;

use crate::{ContactNumber, Email};

/// One S-360 contact. Only the fields the identity provider uses are modelled; `raw` keeps the
/// whole payload so nothing S-360 sent is ever dropped.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contact {
    pub contact_number: ContactNumber,
    pub title: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// ISO 639-1 language code.
    pub language: Option<String>,
    pub email: Option<Email>,
    pub phone: Option<String>,
    /// PUBLIC, RELAY, ...: only PUBLIC contacts with a login become accounts.
    pub role: Option<String>,
    pub has_login: Option<bool>,
    /// The identity provider's user id S-360 has linked to this contact, when the payload says.
    pub sso_id: Option<String>,
    pub addresses: Vec<Address>,
    pub authorizations: Vec<Authorization>,
    /// S-360's last modification time, when the payload carries one.
    pub modified_at: Option<DateTime<FixedOffset>>,
    /// The payload exactly as received.
    pub raw: serde_json::Value,
}

/// A postal address of a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Address {
    /// `street1` to `street4`, empty lines left out.
    pub lines: Vec<String>,
    pub zip_code: Option<String>,
    pub town: Option<String>,
    /// ISO 3166-1 alpha-2 (S-360 writes GB, not UK).
    pub country_code: Option<String>,
    pub main: bool,
    pub billing: bool,
    pub shipping: bool,
}

/// An opt-in or opt-out (`authorizations` in S-360).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Authorization {
    pub code: String,
    pub allowed: bool,
}

impl Contact {
    /// The address marked main, else the first one.
    pub fn main_address(&self) -> Option<&Address> {
        self.addresses
            .iter()
            .find(|a| a.main)
            .or_else(|| self.addresses.first())
    }
}
