//! Fuzzes `webhook_ingest::payload::parse_contacts` (both webhook kinds) on arbitrary request bodies.
//!
//! Properties: it never panics; an error carries one of the codes the body parser documents
//! (malformed_json, wrong_shape, invalid_contact, too_many_contacts); an accepted contact has a
//! contact number of 1 to 20 characters without whitespace or control characters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webhook_ingest::payload::{Kind, parse_contacts};

/// The batch limit the service is configured with by default.
const MAX_BATCH: usize = 1000;

const PARSER_CODES: [&str; 4] = [
    "malformed_json",
    "wrong_shape",
    "invalid_contact",
    "too_many_contacts",
];

fuzz_target!(|data: &[u8]| {
    for kind in [Kind::Contacts, Kind::Exports] {
        match parse_contacts(kind, data, MAX_BATCH) {
            Ok(contacts) => {
                assert!(!contacts.is_empty() || data_is_empty_array(data));
                for contact in &contacts {
                    let number = contact.envelope.contact_number.as_str();
                    let chars = number.chars().count();
                    assert!(
                        (1..=20).contains(&chars),
                        "{kind:?}: contact number of {chars} characters accepted"
                    );
                    assert!(
                        !number.chars().any(|c| c.is_whitespace() || c.is_control()),
                        "{kind:?}: contact number {number:?} with whitespace accepted"
                    );
                }
            }
            Err(error) => {
                let code = error.code();
                assert!(
                    PARSER_CODES.contains(&code),
                    "{kind:?}: undocumented error code {code:?} ({error})"
                );
                // Display must not panic either.
                let _ = error.to_string();
            }
        }
    }
});

/// `[]` (with any whitespace) is the one body that parses to no contacts.
fn data_is_empty_array(data: &[u8]) -> bool {
    matches!(
        serde_json::from_slice::<serde_json::Value>(data),
        Ok(serde_json::Value::Array(items)) if items.is_empty()
    )
}
