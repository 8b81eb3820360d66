//! Fuzzes the S-360 payload mapping `model::secutix::from_get_contact_data` and `from_data_export_row` on arbitrary JSON values.
//!
//! Inputs that are not JSON are skipped. Properties: neither function panics; a contact they
//! accept has a valid contact number equal to the `contactNumber` string kept in `raw`, and
//! nothing in it holds a NUL character (PostgreSQL stores none; the mapping strips them).
#![no_main]

use libfuzzer_sys::fuzz_target;
use model::secutix::{from_data_export_row, from_get_contact_data};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    for result in [
        from_get_contact_data(value.clone()),
        from_data_export_row(value.clone()),
    ] {
        match result {
            Ok(contact) => {
                assert_eq!(
                    Some(contact.contact_number.as_str()),
                    contact.raw.get("contactNumber").and_then(Value::as_str)
                );
                assert!(model::ContactNumber::parse(contact.contact_number.as_str()).is_ok());
                // Serialising the contact (as the worker does for its row) must not panic, and
                // no NUL survives, in a value or a key, in the fields or in `raw`.
                let json = serde_json::to_value(&contact).expect("a contact serialises");
                assert!(!has_nul(&json), "NUL kept: {json}");
            }
            Err(error) => {
                let _ = error.to_string();
            }
        }
    }
});

fn has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}
