//! The mapping from S-360's JSON payloads to [`Contact`], kept in this one module so it can be
//! corrected against a real instance's payloads without touching the rest of the code.
//!
//! Public facts (see `shared/SECUTIX.md`): Contact Webhook V2 posts `getContactData` results;
//! the top-level names (`contactNumber`, `addresses`, `authorizations`, ...) are documented. The
//! names inside `individualContact` are not public and are assumed here. The Data Export rows use
//! the flat names of S-360's public example.
//!
//! Tolerance rules: the contact number is required and strict (it is the key of everything);
//! every other field is optional, and a value of the wrong type or shape is treated as absent
//! rather than failing the whole contact. Unknown fields are ignored here and kept in `raw`.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde_json::{Map, Value};

use crate::{Address, Authorization, Contact, ContactNumber, Email};

/// Payload names that may carry S-360's last modification time, tried in order. None is
/// documented publicly; when none is present the event is versioned by its receive time.
pub const MODIFICATION_TIME_FIELDS: [&str; 4] = [
    "lastModificationDate",
    "modificationDate",
    "lastUpdateDate",
    "updateDate",
];

/// A payload that cannot become a contact. `field` is the JSON path of the offending member;
/// the message never repeats the value (it may be personal data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PayloadError {
    pub field: &'static str,
    pub message: String,
}

/// What the ingest needs of one contact without mapping it all: its number and S-360's
/// modification time. Both payload kinds carry `contactNumber` at the top level.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub contact_number: ContactNumber,
    pub modified_at: Option<DateTime<FixedOffset>>,
}

/// Reads the [`Envelope`] of one contact's JSON, skipping every other member without building
/// it, with the same validation and messages as the full mapping.
pub fn envelope(json: &str) -> Result<Envelope, PayloadError> {
    #[derive(serde::Deserialize)]
    struct Members {
        #[serde(rename = "contactNumber", default)]
        contact_number: Option<Value>,
        #[serde(rename = "lastModificationDate", default)]
        last_modification_date: Option<Value>,
        #[serde(rename = "modificationDate", default)]
        modification_date: Option<Value>,
        #[serde(rename = "lastUpdateDate", default)]
        last_update_date: Option<Value>,
        #[serde(rename = "updateDate", default)]
        update_date: Option<Value>,
    }
    let not_an_object = || PayloadError {
        field: "$",
        message: "each contact must be a JSON object".into(),
    };
    // Serde would also read a struct from an array of its fields.
    if !json.trim_start().starts_with('{') {
        return Err(not_an_object());
    }
    let members: Members = serde_json::from_str(json).map_err(|error| {
        let message = if error.to_string().starts_with("duplicate field") {
            "a member appears twice"
        } else {
            "each contact must be a JSON object"
        };
        PayloadError {
            field: "$",
            message: message.into(),
        }
    })?;
    let contact_number = check_contact_number(members.contact_number.as_ref())?;
    // Same order as MODIFICATION_TIME_FIELDS.
    let modified_at = [
        members.last_modification_date,
        members.modification_date,
        members.last_update_date,
        members.update_date,
    ]
    .iter()
    .flatten()
    .find_map(|value| {
        value
            .as_str()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .and_then(parse_time)
    });
    Ok(Envelope {
        contact_number,
        modified_at,
    })
}

/// Parses one `getContactData` result (the Contact Webhook V2 payload).
pub fn from_get_contact_data(mut raw: Value) -> Result<Contact, PayloadError> {
    strip_nul(&mut raw);
    let object = as_object(&raw)?;
    let contact_number = contact_number(object)?;
    let empty = Map::new();
    let individual = object
        .get("individualContact")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    Ok(Contact {
        contact_number,
        title: text(individual, "title"),
        first_name: text(individual, "firstname"),
        last_name: text(individual, "lastname"),
        birth_date: text(individual, "birthDate").and_then(|d| parse_date(&d)),
        language: text(individual, "languageCode"),
        email: text(individual, "email").and_then(|e| Email::parse(e).ok()),
        phone: text(individual, "cellPhoneNumber").or_else(|| text(individual, "phoneNumber")),
        role: text(individual, "role").or_else(|| text(object, "role")),
        has_login: individual.get("hasLogin").and_then(Value::as_bool),
        sso_id: sso_id(object),
        addresses: addresses(object),
        authorizations: authorizations(object),
        modified_at: modification_time(object),
        raw,
    })
}

/// Parses one Data Export row (flat names, as in S-360's public example).
pub fn from_data_export_row(mut raw: Value) -> Result<Contact, PayloadError> {
    strip_nul(&mut raw);
    let object = as_object(&raw)?;
    let contact_number = contact_number(object)?;
    let country = text(object, "individualCountryCode");
    let addresses = match country {
        Some(country_code) => vec![Address {
            lines: Vec::new(),
            zip_code: None,
            town: None,
            country_code: Some(country_code),
            main: true,
            billing: false,
            shipping: false,
        }],
        None => Vec::new(),
    };
    Ok(Contact {
        contact_number,
        title: text(object, "individualTitle"),
        first_name: text(object, "individualFirstname"),
        last_name: text(object, "individualLastname"),
        birth_date: text(object, "individualBirthDate").and_then(|d| parse_date(&d)),
        language: text(object, "languageCode"),
        email: text(object, "email").and_then(|e| Email::parse(e).ok()),
        phone: text(object, "cellPhoneNumber"),
        role: text(object, "role"),
        has_login: None,
        sso_id: text(object, "socialConnections.providerUserReference"),
        addresses,
        authorizations: Vec::new(),
        modified_at: modification_time(object),
        raw,
    })
}

/// Removes NUL characters from every string and key: PostgreSQL stores neither `text` nor
/// `jsonb` with them, and no S-360 field has a use for them. Works in place: a document
/// without NUL (every real one) is only read.
fn strip_nul(value: &mut Value) {
    match value {
        Value::String(s) if s.contains('\0') => *s = s.replace('\0', ""),
        Value::Array(items) => items.iter_mut().for_each(strip_nul),
        Value::Object(map) => {
            if map.keys().any(|k| k.contains('\0')) {
                *map = std::mem::take(map)
                    .into_iter()
                    .map(|(k, v)| (k.replace('\0', ""), v))
                    .collect();
            }
            map.values_mut().for_each(strip_nul);
        }
        _ => {}
    }
}

fn as_object(raw: &Value) -> Result<&Map<String, Value>, PayloadError> {
    raw.as_object().ok_or_else(|| PayloadError {
        field: "$",
        message: "each contact must be a JSON object".into(),
    })
}

fn contact_number(object: &Map<String, Value>) -> Result<ContactNumber, PayloadError> {
    check_contact_number(object.get("contactNumber"))
}

fn check_contact_number(value: Option<&Value>) -> Result<ContactNumber, PayloadError> {
    let field = "contactNumber";
    match value {
        None | Some(Value::Null) => Err(PayloadError {
            field,
            message: "is required".into(),
        }),
        Some(Value::String(s)) => ContactNumber::parse(s.as_str()).map_err(|e| PayloadError {
            field,
            message: e.to_string(),
        }),
        Some(_) => Err(PayloadError {
            field,
            message: "must be a string (leading zeros are significant)".into(),
        }),
    }
}

/// A non-blank string member, trimmed.
fn text(object: &Map<String, Value>, key: &str) -> Option<String> {
    let value = object.get(key)?.as_str()?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

fn parse_date(value: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .or_else(|| parse_time(value).map(|t| t.date_naive()))
}

/// S-360 writes times as `2024-03-11T09:30:00.000+01:00`.
fn parse_time(value: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(value).ok()
}

fn modification_time(object: &Map<String, Value>) -> Option<DateTime<FixedOffset>> {
    MODIFICATION_TIME_FIELDS
        .iter()
        .find_map(|key| text(object, key).and_then(|t| parse_time(&t)))
}

fn addresses(object: &Map<String, Value>) -> Vec<Address> {
    let Some(items) = object.get("addresses").and_then(Value::as_array) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(Value::as_object)
        .map(|a| Address {
            lines: ["street1", "street2", "street3", "street4"]
                .iter()
                .filter_map(|key| text(a, key))
                .collect(),
            zip_code: text(a, "zipCode"),
            town: text(a, "town"),
            country_code: text(a, "countryCode"),
            main: flag(a, "main"),
            billing: flag(a, "billingAddress"),
            shipping: flag(a, "shippingAddress"),
        })
        .collect()
}

fn authorizations(object: &Map<String, Value>) -> Vec<Authorization> {
    let Some(items) = object.get("authorizations").and_then(Value::as_array) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(Value::as_object)
        .filter_map(|a| {
            Some(Authorization {
                code: text(a, "authorizationCode")?,
                allowed: a.get("allowed")?.as_bool()?,
            })
        })
        .collect()
}

/// The SSO id S-360 linked to the contact (Contact Webhook V2's CONNECTIONS section, as the
/// simulator sends it): the `providerUserReference` of a `socialConnections` entry, `[{"provider",
/// "providerUserReference"}]`. Which provider is ours is configuration the mapping does not know;
/// our subject ids are UUIDs, so an entry shaped like one is preferred, else the first. The flat
/// export name `socialConnections.providerUserReference` is read too.
fn sso_id(object: &Map<String, Value>) -> Option<String> {
    let references: Vec<String> = object
        .get("socialConnections")
        .and_then(Value::as_array)
        .map(|links| {
            links
                .iter()
                .filter_map(Value::as_object)
                .filter_map(|link| text(link, "providerUserReference"))
                .collect()
        })
        .unwrap_or_default();
    let uuid_shaped = references.iter().find(|r| uuid::Uuid::parse_str(r).is_ok());
    uuid_shaped
        .or(references.first())
        .cloned()
        .or_else(|| text(object, "socialConnections.providerUserReference"))
}

fn flag(object: &Map<String, Value>, key: &str) -> bool {
    object.get(key).and_then(Value::as_bool).unwrap_or(false)
}

#[cfg(test)]
#[path = "secutix_tests.rs"]
mod tests;
