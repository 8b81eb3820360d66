//! Building contact events directly, for tests that apply them without the bus.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sync_worker::apply::{ContactEvent, DetectionRules, Lifecycle};

/// An event for `payload` with the given version and id, classified by the default rules.
pub fn event(payload: Value, version_time: DateTime<Utc>, event_id: u128) -> ContactEvent {
    let contact = model::secutix::from_get_contact_data(payload).expect("valid contact payload");
    let lifecycle = DetectionRules::default().classify(&contact);
    let contact = if lifecycle == Lifecycle::Anonymised {
        contact.anonymised()
    } else {
        contact
    };
    ContactEvent {
        event_id: uuid::Uuid::from_u128(event_id),
        version_time,
        received_at: Some(version_time),
        source: "webhook",
        lifecycle,
        contact,
    }
}

/// A sample contact updated to `first_name`.
pub fn update(number: &str, first_name: &str) -> Value {
    let mut payload = crate::sample_contact(number);
    payload["individualContact"]["firstname"] = first_name.into();
    payload["individualContact"]["email"] = format!("{number}@example.org").into();
    payload
}

/// A sample contact absorbed into `head`.
pub fn merge(number: &str, head: &str) -> Value {
    let mut payload = crate::sample_contact(number);
    payload["mergedIntoContactNumber"] = head.into();
    payload
}

/// A sample contact anonymised by S-360.
pub fn anonymise(number: &str) -> Value {
    let mut payload = crate::sample_contact(number);
    payload["anonymized"] = true.into();
    payload
}

/// The payload with S-360's modification time set (its version).
pub fn modified_at(mut payload: Value, time: &str) -> Value {
    payload["lastModificationDate"] = time.into();
    payload
}
