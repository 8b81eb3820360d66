//! Decoding a bus message into a validated contact event.

use model::{
    Contact,
    bus::{ContactChanged, EventSource, PayloadFormat},
    secutix,
};
use uuid::Uuid;

use super::{DetectionRules, Lifecycle};

/// An event ready to be written: the contact, what happened to it, its version and origin.
#[derive(Debug, Clone)]
pub struct ContactEvent {
    pub event_id: Uuid,
    pub version_time: chrono::DateTime<chrono::Utc>,
    pub received_at: Option<chrono::DateTime<chrono::Utc>>,
    pub source: &'static str,
    pub lifecycle: Lifecycle,
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

impl InvalidEvent {
    /// A stable short code for dead-letter headers and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Undecodable(_) => "undecodable",
            Self::EventId => "bad_event_id",
            Self::NoVersion => "no_version",
            Self::Format(_) => "unknown_format",
            Self::Json(_) => "payload_not_json",
            Self::Payload(_) => "payload_not_a_contact",
            Self::ContactNumberMismatch => "contact_number_mismatch",
        }
    }
}

impl ContactEvent {
    /// Decodes and validates one bus message, classifying it with `rules`.
    pub fn decode(bytes: &[u8], rules: &DetectionRules) -> Result<Self, InvalidEvent> {
        let event = ContactChanged::decode_from(bytes)?;
        let event_id = Uuid::parse_str(&event.event_id).map_err(|_| InvalidEvent::EventId)?;
        let version_time = event.version_time().ok_or(InvalidEvent::NoVersion)?;
        let received_at = event.received_at.as_ref().and_then(model::bus::from_timestamp);
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
        let lifecycle = rules.classify(&contact);
        let contact = match lifecycle {
            Lifecycle::Anonymised => contact.anonymised(),
            _ => contact,
        };
        Ok(Self {
            event_id,
            version_time,
            received_at,
            source,
            lifecycle,
            contact,
        })
    }
}
