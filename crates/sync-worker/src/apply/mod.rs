//! Applying contact events to the database so it converges to S-360's state whatever the
//! order or duplication of deliveries.

mod store;

pub use store::{Applied, ContactRow, apply_contact, find};

use model::{
    Contact,
    bus::{ContactChanged, EventSource, PayloadFormat},
    secutix,
};
use uuid::Uuid;

/// An event ready to be written: the contact, its version and where it came from.
#[derive(Debug, Clone)]
pub struct ContactEvent {
    pub event_id: Uuid,
    pub version_time: chrono::DateTime<chrono::Utc>,
    pub source: &'static str,
    pub contact: Contact,
}

/// Why a message can never be applied (retrying will not help: it is dead-lettered).
#[derive(Debug, thiserror::Error)]
pub enum InvalidEvent {
    #[error("not a ContactChanged message: {0}")]
    Undecodable(#[from] prost::DecodeError),
    #[error("event id is not a UUID")]
    EventId,
    #[error("event has no version and no receive time")]
    NoVersion,
    #[error("unknown payload format {0}")]
    Format(i32),
    #[error("payload is not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("payload is not a contact: {0}")]
    Payload(#[from] secutix::PayloadError),
    #[error("payload contact number differs from the event's")]
    ContactNumberMismatch,
}

impl ContactEvent {
    /// Decodes and validates one bus message.
    pub fn decode(bytes: &[u8]) -> Result<Self, InvalidEvent> {
        let event = ContactChanged::decode_from(bytes)?;
        let event_id = Uuid::parse_str(&event.event_id).map_err(|_| InvalidEvent::EventId)?;
        let version_time = event.version_time().ok_or(InvalidEvent::NoVersion)?;
        let raw: serde_json::Value = serde_json::from_slice(&event.payload)?;
        let contact = match PayloadFormat::try_from(event.format) {
            Ok(PayloadFormat::GetContactData) => secutix::from_get_contact_data(raw)?,
            Ok(PayloadFormat::DataExportRow) => secutix::from_data_export_row(raw)?,
            _ => return Err(InvalidEvent::Format(event.format)),
        };
        if contact.contact_number.as_str() != event.contact_number {
            return Err(InvalidEvent::ContactNumberMismatch);
        }
        let source = match EventSource::try_from(event.source) {
            Ok(EventSource::Webhook) => "webhook",
            Ok(EventSource::Import) => "import",
            Ok(EventSource::Replay) => "replay",
            Ok(EventSource::Reconcile) => "reconcile",
            _ => "unknown",
        };
        Ok(Self {
            event_id,
            version_time,
            source,
            contact,
        })
    }
}
