//! The request and response shapes of the calls, in this one module so they can be
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
//!   Without `contactNumber` S-360 creates the contact and answers its new `contactNumber`
//!   (whether a real instance allows creating contacts through the API is not public: the
//!   worker's `CONTACT_CREATION=api` depends on it); 409 `login_email_taken` when another
//!   PUBLIC contact already logs in with the e-mail.
//! - `addLink` `{"contactNumber", "provider", "providerUserReference"}` → success, also when
//!   the same pair is linked again; 409/410 when the contact is merged, anonymised or linked
//!   otherwise (409 `sso_id_already_linked`: the id is another contact's; 409
//!   `contact_already_linked`: the contact has another id of this provider).
//! - `searchContact` `{"email", "provider"}` → `{"statusCode": "success", "contacts":
//!   [{"contactNumber", "linked", ...}]}`: the active PUBLIC individual contacts with this
//!   e-mail (any letter case); `linked` says whether the contact has an SSO link of
//!   `provider`. S-360 publishes the method's existence, not its shape: assumed.

use serde_json::{Value, json};

pub const GET_CONTACT_DATA: &str = "contactInformationPublicService/v2_21/getContactData";
pub const SAVE_INDIVIDUAL_CONTACT_DATA: &str = "contactInformationPublicService/v2_21/saveIndividualContactData";
pub const ADD_LINK: &str = "contactSocialLoginService/v1_0/addLink";
pub const SEARCH_CONTACT: &str = "contactInformationPublicService/v2_21/searchContact";

/// Body of `getContactData`.
pub fn get_contact_data(contact_number: &str) -> Value {
    json!({ "contactNumber": contact_number })
}

/// Top-level members of a contact; every other field name given to
/// `saveIndividualContactData` is a member of `individualContact` (`firstname`, `lastname`,
/// `birthDate`, `languageCode`, `cellPhoneNumber`, ...).
const TOP_LEVEL: [&str; 4] = ["addresses", "authorizations", "contactCriteria", "indicators"];

/// Body of `saveIndividualContactData`: the fields to set (S-360 names, flat or already under
/// `individualContact`), the contact number, and the modification time the change was based
/// on (S-360 refuses it when the contact changed since).
pub fn save_individual_contact_data(
    contact_number: &str,
    fields: &serde_json::Map<String, Value>,
    base_modified_at: Option<&str>,
) -> Value {
    let mut body = serde_json::Map::new();
    let mut individual = serde_json::Map::new();
    for (name, value) in fields {
        match name.as_str() {
            "individualContact" => {
                if let Some(members) = value.as_object() {
                    individual.extend(members.clone());
                }
            }
            "contactNumber" | "lastModificationDate" => {}
            top if TOP_LEVEL.contains(&top) => {
                body.insert(name.clone(), value.clone());
            }
            _ => {
                individual.insert(name.clone(), value.clone());
            }
        }
    }
    if !individual.is_empty() {
        body.insert("individualContact".into(), Value::Object(individual));
    }
    body.insert("contactNumber".into(), json!(contact_number));
    if let Some(base) = base_modified_at {
        body.insert("lastModificationDate".into(), json!(base));
    }
    Value::Object(body)
}

/// Body of `saveIndividualContactData` creating a contact: the same fields, no contact number.
pub fn create_individual_contact(fields: &serde_json::Map<String, Value>) -> Value {
    let mut body = save_individual_contact_data("", fields, None);
    if let Some(members) = body.as_object_mut() {
        members.remove("contactNumber");
    }
    body
}

/// Code S-360 answers (409) when a change was based on an older version of the contact.
pub const STALE_VERSION: &str = "stale_version";
/// Codes of `addLink` refusals (409): the SSO id is linked to another contact; the contact is
/// linked to another SSO id of the provider.
pub const SSO_ID_ALREADY_LINKED: &str = "sso_id_already_linked";
pub const CONTACT_ALREADY_LINKED: &str = "contact_already_linked";
/// Code of a create or change refused (409) because another PUBLIC contact already logs in
/// with the e-mail.
pub const LOGIN_EMAIL_TAKEN: &str = "login_email_taken";

/// Body of `searchContact`.
pub fn search_contact(email: &str, provider: &str) -> Value {
    json!({ "email": email, "provider": provider })
}

/// One contact a search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundContact {
    pub contact_number: String,
    /// Whether the contact has an SSO link of our provider.
    pub linked: bool,
}

/// The contacts of a `searchContact` answer (`contacts`, each with `contactNumber` and
/// `linked`); `None` when the answer holds no list. An entry without a contact number cannot be
/// used and makes the answer unusable too (counting it matters for ambiguity).
pub fn found_contacts(body: &Value) -> Option<Vec<FoundContact>> {
    body.get("contacts")?
        .as_array()?
        .iter()
        .map(|entry| {
            Some(FoundContact {
                contact_number: entry.get("contactNumber")?.as_str()?.to_owned(),
                linked: entry.get("linked").and_then(Value::as_bool).unwrap_or(false),
            })
        })
        .collect()
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

    #[test]
    fn search_answers_list_contact_numbers_and_links() {
        let answer = json!({ "statusCode": "success", "contacts": [
            { "contactNumber": "01", "linked": true, "firstname": "Jean" },
            { "contactNumber": "02" },
        ] });
        assert_eq!(
            found_contacts(&answer),
            Some(vec![
                FoundContact {
                    contact_number: "01".into(),
                    linked: true
                },
                FoundContact {
                    contact_number: "02".into(),
                    linked: false
                },
            ])
        );
        assert_eq!(found_contacts(&json!({ "contacts": [{ "linked": true }] })), None);
        assert_eq!(found_contacts(&json!({ "statusCode": "success" })), None);
        let fields = json!({ "firstname": "Nia", "authorizations": [] });
        assert_eq!(
            create_individual_contact(fields.as_object().expect("object")),
            json!({ "individualContact": { "firstname": "Nia" }, "authorizations": [] })
        );
    }

    #[test]
    fn flat_fields_go_under_individual_contact() {
        let fields = json!({ "firstname": "Jeanne", "addresses": [], "contactNumber": "x" });
        let body = save_individual_contact_data("01", fields.as_object().expect("object"), Some("t"));
        assert_eq!(
            body,
            json!({
                "contactNumber": "01", "lastModificationDate": "t",
                "individualContact": { "firstname": "Jeanne" }, "addresses": [],
            })
        );
    }
}
