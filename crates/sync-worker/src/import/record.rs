//! One record of an import file: the contact it maps to, or why it could not be read. The
//! JSON and the CSV readers both yield these, so the type and the one mapping from a JSON
//! record live here, below both readers, rather than in either.

use model::{Contact, secutix};
use serde_json::Value;

/// One record that could not become a contact; `position` counts from 1 in file order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {position}: {reason}")]
pub struct BadRecord {
    pub position: u64,
    pub reason: String,
}

/// One record of the file: its contact and, when the contact can be stored exactly as the file
/// holds it (a JSON line without NUL escapes), its JSON text.
#[derive(Debug)]
pub struct Record {
    pub contact: Contact,
    pub text: Option<String>,
}

pub type Item = Result<Record, BadRecord>;

/// Maps one JSON record: a `getContactData` object, or a Data Export row (flat names).
pub fn contact(position: u64, value: Value) -> Item {
    let parsed = if is_export_row(&value) {
        secutix::from_data_export_row(value)
    } else {
        secutix::from_get_contact_data(value)
    };
    parsed
        .map(|contact| Record { contact, text: None })
        .map_err(|e| bad(position, &e.to_string()))
}

fn is_export_row(value: &Value) -> bool {
    value.as_object().is_some_and(|object| {
        !object.contains_key("individualContact")
            && object
                .keys()
                .any(|k| k.starts_with("individual") || k == "email" || k.starts_with("socialConnections"))
    })
}

/// The error for the record at `position`. The reason says what is wrong and never repeats a
/// value of the record (it may be personal data), as the mapping's own messages do not.
pub fn bad(position: u64, reason: &str) -> BadRecord {
    BadRecord {
        position,
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_payload_kinds_map_and_a_bad_record_names_only_its_position() {
        let first_name = |value: Value| contact(1, value).expect("a contact").contact.first_name;
        let nested = serde_json::json!({"contactNumber": "0001", "individualContact": {"firstname": "Jean"}});
        let flat = serde_json::json!({"contactNumber": "0002", "individualFirstname": "Jean"});
        assert_eq!(first_name(nested).as_deref(), Some("Jean"), "getContactData");
        assert_eq!(first_name(flat).as_deref(), Some("Jean"), "Data Export row");
        let unnumbered = serde_json::json!({"individualContact": {"email": "jean@example.org"}});
        let error = contact(3, unnumbered).expect_err("no contact number");
        assert_eq!(error.position, 3);
        assert!(!error.to_string().contains("jean@example.org"), "{error}");
    }
}
