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
    /// What S-360 keeps of an anonymised contact, and so all we may keep: the contact number
    /// and the country, town and post code of its addresses. The raw payload is reduced to
    /// the same, so no personal data survives in it either.
    pub fn anonymised(&self) -> Contact {
        let addresses: Vec<Address> = self
            .addresses
            .iter()
            .map(|a| Address {
                lines: Vec::new(),
                zip_code: a.zip_code.clone(),
                town: a.town.clone(),
                country_code: a.country_code.clone(),
                main: a.main,
                billing: false,
                shipping: false,
            })
            .collect();
        let raw_addresses: Vec<serde_json::Value> = addresses
            .iter()
            .map(|a| {
                serde_json::json!({
                    "zipCode": a.zip_code, "town": a.town, "countryCode": a.country_code, "main": a.main
                })
            })
            .collect();
        Contact {
            contact_number: self.contact_number.clone(),
            title: None,
            first_name: None,
            last_name: None,
            birth_date: None,
            language: None,
            email: None,
            phone: None,
            role: None,
            has_login: None,
            sso_id: None,
            addresses,
            authorizations: Vec::new(),
            modified_at: self.modified_at,
            raw: serde_json::json!({ "contactNumber": self.contact_number, "addresses": raw_addresses }),
        }
    }

    /// The address marked main, else the first one.
    pub fn main_address(&self) -> Option<&Address> {
        self.addresses
            .iter()
            .find(|a| a.main)
            .or_else(|| self.addresses.first())
    }
}
