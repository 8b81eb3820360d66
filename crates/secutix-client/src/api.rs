//! The request and response shapes of the three calls, in this one module so they can be
//! corrected against a real instance without touching the rest. Paths are relative to
//! `SECUTIX_API_URL` (`https://<instit>.ws.secutix.com/tnco/backend-apis`). Where S-360's
//! public documentation is silent the shapes are those the simulator documents
//! (`secutix_sim::api`):
//!
//! - `getContactData` `{"contactNumber"}` → `{"statusCode": "success", "contactData": {...}}`;
//!   404 for an unknown or deleted contact.
//! - `saveIndividualContactData` `{"contactNumber", "lastModificationDate"?, <fields>}` where
//!   the fields are top-level members (`individualContact`, `addresses`, `authorizations`)
//!   merged member by member; with `lastModificationDate`, 409 `stale_version` when the
//!   contact changed since → `{"statusCode": "success", "lastModificationDate": "<new>"}`.
//! - `addLink` `{"contactNumber", "provider", "providerUserReference"}` → success, also when
//!   the same pair is linked again; 409/410 when the contact is merged, anonymised or linked
//!   otherwise.

use serde_json::{Value, json};

pub const GET_CONTACT_DATA: &str = "contactInformationPublicService/v2_21/getContactData";
pub const SAVE_INDIVIDUAL_CONTACT_DATA: &str = "contactInformationPublicService/v2_21/saveIndividualContactData";
pub const ADD_LINK: &str = "contactSocialLoginService/v1_0/addLink";

/// Body of `getContactData`.
pub fn get_contact_data(contact_number: &str) -> Value {
    json!({ "contactNumber": contact_number })
}

/// Body of `saveIndividualContactData`: the S-360 members to set, the contact number, and the
/// modification time the change was based on (S-360 refuses it when the contact changed since).
pub fn save_individual_contact_data(
    contact_number: &str,
    fields: &serde_json::Map<String, Value>,
    base_modified_at: Option<&str>,
) -> Value {
    let mut body = fields.clone();
    body.insert("contactNumber".into(), json!(contact_number));
    match base_modified_at {
        Some(base) => body.insert("lastModificationDate".into(), json!(base)),
        None => body.remove("lastModificationDate"),
    };
    Value::Object(body)
}

/// Code S-360 answers (409) when a change was based on an older version of the contact.
pub const STALE_VERSION: &str = "stale_version";

/// Body of `addLink`.
pub fn add_link(contact_number: &str, provider: &str, provider_user_reference: &str) -> Value {
    json!({
        "contactNumber": contact_number,
        "provider": provider,
        "providerUserReference": provider_user_reference,
    })
}

/// Whether an answer body reports success: S-360 answers `statusCode` `success` (any case);
/// an answer without one counts as success when the HTTP status did.
pub fn succeeded(body: &Value) -> bool {
    body.get("statusCode")
        .and_then(Value::as_str)
        .is_none_or(|s| s.eq_ignore_ascii_case("success"))
}

/// The contact of a `getContactData` answer: under `contactData` (or `contact`), or the
/// answer itself when it carries `contactNumber` at the top level.
pub fn contact_of(body: Value) -> Option<Value> {
    match body {
        Value::Object(mut map) => match map.remove("contactData").or_else(|| map.remove("contact")) {
            Some(contact @ Value::Object(_)) => Some(contact),
            _ if map.contains_key("contactNumber") => Some(Value::Object(map)),
            _ => None,
        },
        _ => None,
    }
}

/// The error code of a refusal body (`error`, else `statusCode`), without its values.
pub fn error_code(body: &Value) -> String {
    body.get("error")
        .or_else(|| body.get("statusCode"))
        .and_then(Value::as_str)
        .map(|code| {
            code.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(64)
                .collect()
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The explanatory message of a refusal body (S-360's, which names fields, not values).
pub fn error_message(body: &Value) -> String {
    body.get("message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_is_found_wrapped_or_bare() {
        let wrapped = json!({ "statusCode": "success", "contactData": { "contactNumber": "01" } });
        assert_eq!(contact_of(wrapped), Some(json!({ "contactNumber": "01" })));
        assert_eq!(
            contact_of(json!({ "contactNumber": "01" })),
            Some(json!({ "contactNumber": "01" }))
        );
        assert_eq!(contact_of(json!({ "statusCode": "success" })), None);
        assert!(succeeded(&json!({ "statusCode": "SUCCESS" })));
        assert!(!succeeded(&json!({ "statusCode": "failure" })));
        assert_eq!(error_code(&json!({ "error": "not found!" })), "notfound");
    }
}
