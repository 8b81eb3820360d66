//! Contacts read back from the contact API (`getContactData`) as events of the normal apply
//! path, source `reconcile`: versioned by S-360's modification time, classified by the same
//! detection rules as webhook payloads. A contact S-360 no longer knows (deleted) becomes an
//! anonymisation: S-360 keeps nothing of it, so neither may we.

use chrono::Utc;
use model::{ContactNumber, secutix};
use serde_json::{Value, json};

use crate::apply::{ContactEvent, DetectionRules, Lifecycle};

/// The event of a contact as `getContactData` returned it.
pub fn event(raw: Value, rules: &DetectionRules) -> Result<ContactEvent, secutix::PayloadError> {
    let contact = secutix::from_get_contact_data(raw)?;
    let version_time = contact
        .modified_at
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(Utc::now);
    let lifecycle = rules.classify(&contact);
    let contact = match lifecycle {
        Lifecycle::Anonymised => contact.anonymised(),
        _ => contact,
    };
    Ok(ContactEvent {
        event_id: uuid::Uuid::now_v7(),
        version_time,
        received_at: Some(Utc::now()),
        source: "reconcile",
        lifecycle,
        contact,
    })
}

/// The event of a contact S-360 answered 404 for.
pub fn deleted(number: &ContactNumber) -> ContactEvent {
    let raw = json!({ "contactNumber": number.as_str() });
    let contact = secutix::from_get_contact_data(raw)
        .unwrap_or_else(|_| unreachable!("a valid contact number makes a valid payload"))
        .anonymised();
    ContactEvent {
        event_id: uuid::Uuid::now_v7(),
        version_time: Utc::now(),
        received_at: Some(Utc::now()),
        source: "reconcile",
        lifecycle: Lifecycle::Anonymised,
        contact,
    }
}
