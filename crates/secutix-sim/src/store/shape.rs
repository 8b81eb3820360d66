//! The JSON shape of one contact, S-360's `getContactData` result, as `crates/model`'s mapping
//! (`model::secutix`) and the worker's merge/anonymisation detection read it: top-level
//! `contactNumber`, `contactId`, `creationDate`, `lastModificationDate` (the modification time
//! the ingest versions events by), `individualContact` (names, e-mail, `role`, `hasLogin`),
//! `addresses`, `authorizations`, and the simulator's markers `mergedIntoContactNumber` and
//! `anonymized` / `anonymizationDate` (defaults of `DETECT_MERGE_HEAD_FIELDS` and
//! `DETECT_ANONYMISED_FIELDS`). SSO links are listed in `socialConnections`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::StoreError;

/// Members only the simulator itself writes; a create or update that sets them is refused.
pub const READ_ONLY: [&str; 7] = [
    "contactId",
    "creationDate",
    "lastModificationDate",
    "mergedIntoContactNumber",
    "anonymized",
    "anonymizationDate",
    "socialConnections",
];

/// S-360's time format, `2024-03-11T09:30:00.000+00:00`.
pub fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, false)
}

/// Refuses read-only members and non-object sections.
pub fn check_writable(patch: &Map<String, Value>) -> Result<(), StoreError> {
    if let Some(field) = READ_ONLY.iter().find(|f| patch.contains_key(**f)) {
        return Err(StoreError::ReadOnlyField(field));
    }
    match patch.get("individualContact") {
        // The individual's own id is S-360's too.
        Some(Value::Object(individual)) if individual.contains_key("contactId") => {
            return Err(StoreError::ReadOnlyField("individualContact.contactId"));
        }
        Some(Value::Object(_)) | None => {}
        Some(_) => return Err(StoreError::InvalidField("individualContact", "must be an object")),
    }
    for list in ["addresses", "authorizations", "contactCriteria", "indicators"] {
        if patch.get(list).is_some_and(|v| !v.is_array()) {
            return Err(StoreError::InvalidField(list, "must be an array"));
        }
    }
    Ok(())
}

/// A new contact: the given members over the defaults of an empty individual contact.
pub fn new_contact(number: &str, contact_id: i64, now: DateTime<Utc>, given: &Map<String, Value>) -> Value {
    let mut contact = json!({
        "contactNumber": number,
        "contactId": contact_id,
        "creationDate": format_time(now),
        "endValidityDate": null,
        "contactOrigin": { "salesChannelCode": "WEB", "pointOfSalesCode": "SIM" },
        "individualContact": { "role": "PUBLIC", "hasLogin": false },
        "addresses": [],
        "authorizations": [],
        "contactCriteria": [],
        "indicators": [],
        "socialConnections": [],
        "hasWarning": false,
        "hasAdvantages": false,
    });
    merge(&mut contact, &Value::Object(given.clone()));
    contact["contactNumber"] = Value::String(number.to_owned());
    contact
}

/// Applies a partial update: objects are merged member by member, anything else (arrays
/// included) replaces the stored value; `null` stores `null`.
pub fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                match target.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => merge(existing, value),
                    _ => {
                        target.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

/// What S-360 keeps of an anonymised contact: its number and identifiers, and country, town
/// and post code of its addresses; every personal field is gone.
pub fn anonymised(contact: &Value, now: DateTime<Utc>) -> Value {
    let addresses: Vec<Value> = contact["addresses"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|a| {
                    json!({
                        "main": a.get("main").cloned().unwrap_or(Value::Bool(false)),
                        "zipCode": a.get("zipCode").cloned().unwrap_or(Value::Null),
                        "town": a.get("town").cloned().unwrap_or(Value::Null),
                        "countryCode": a.get("countryCode").cloned().unwrap_or(Value::Null),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "contactNumber": contact["contactNumber"],
        "contactId": contact["contactId"],
        "creationDate": contact["creationDate"],
        "endValidityDate": null,
        "anonymized": true,
        "anonymizationDate": format_time(now),
        "individualContact": {},
        "addresses": addresses,
        "authorizations": [],
        "contactCriteria": [],
        "indicators": [],
        "socialConnections": [],
        "hasWarning": false,
        "hasAdvantages": false,
    })
}

/// `individualContact.<key>` as a string.
pub fn individual<'a>(contact: &'a Value, key: &str) -> Option<&'a str> {
    contact.get("individualContact")?.get(key)?.as_str()
}

/// Whether the contact has a web login (`individualContact.hasLogin`).
pub fn has_login(contact: &Value) -> bool {
    contact
        .get("individualContact")
        .and_then(|i| i.get("hasLogin"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// The login e-mail of a PUBLIC contact with a login, lower-cased: the one that must be unique.
pub fn login_email(contact: &Value) -> Option<String> {
    let public = individual(contact, "role").is_none_or(|role| role == "PUBLIC");
    let email = individual(contact, "email")?.trim();
    (public && has_login(contact) && !email.is_empty()).then(|| email.to_lowercase())
}

/// The SSO links, `(provider, providerUserReference)`.
pub fn links(contact: &Value) -> Vec<(String, String)> {
    contact["socialConnections"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|l| {
                    Some((
                        l.get("provider")?.as_str()?.to_owned(),
                        l.get("providerUserReference")?.as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn set_links(contact: &mut Value, links: &[(String, String)]) {
    contact["socialConnections"] = links
        .iter()
        .map(|(provider, reference)| json!({ "provider": provider, "providerUserReference": reference }))
        .collect();
}
