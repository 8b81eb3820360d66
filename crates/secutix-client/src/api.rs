//! The request and response shapes of the three calls, in this one module so they can be
//! corrected against a real instance without touching the rest. Paths are relative to
//! `SECUTIX_API_URL` (`https://<instit>.ws.secutix.com/tnco/backend-apis`).

use serde_json::{Value, json};

pub const GET_CONTACT_DATA: &str = "contactInformationPublicService/v2_21/getContactData";
pub const SAVE_INDIVIDUAL_CONTACT_DATA: &str = "contactInformationPublicService/v2_21/saveIndividualContactData";
pub const ADD_LINK: &str = "contactSocialLoginService/v1_0/addLink";

/// Body of `getContactData`.
pub fn get_contact_data(contact_number: &str) -> Value {
    json!({ "contactNumber": contact_number })
}

/// Body of `saveIndividualContactData`: the contact number and the S-360 field names to set.
pub fn save_individual_contact_data(contact_number: &str, fields: &serde_json::Map<String, Value>) -> Value {
    json!({ "contactNumber": contact_number, "individualContact": fields })
}

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

/// The contact of a `getContactData` answer: under `contact`, or the answer itself when it
/// carries `contactNumber` at the top level.
pub fn contact_of(body: Value) -> Option<Value> {
    match body {
        Value::Object(mut map) => match map.remove("contact") {
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
        let wrapped = json!({ "statusCode": "success", "contact": { "contactNumber": "01" } });
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
