//! Bus contracts generated from `proto/` at build time, and their AMQP conventions.

use chrono::{DateTime, Utc};
use prost::Message;

/// Generated protobuf types of package `secutix_bridge.v1`.
pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/secutix_bridge.v1.rs"));
}

pub use v1::{
    ContactChanged, EventSource, MainAddress, OptIn, PayloadFormat, ProfileChanges, ReconcileContact, ReplayRequest,
    SendMail, UpdateProfile, Version,
};

/// AMQP `content_type` of a [`ContactChanged`] message.
pub const CONTACT_CHANGED_CONTENT_TYPE: &str = "application/x-protobuf; proto=secutix_bridge.v1.ContactChanged";

/// Routing key of a [`ContactChanged`] message on the `contacts` exchange.
pub const CONTACT_CHANGED_ROUTING_KEY: &str = "contact.changed";

/// AMQP `content_type` of a [`SendMail`] command.
pub const SEND_MAIL_CONTENT_TYPE: &str = "application/x-protobuf; proto=secutix_bridge.v1.SendMail";

/// Routing key of a [`SendMail`] command on the `contact-commands` exchange.
pub const SEND_MAIL_ROUTING_KEY: &str = "mail.send";

/// AMQP `content_type` of an [`UpdateProfile`] command.
pub const UPDATE_PROFILE_CONTENT_TYPE: &str = "application/x-protobuf; proto=secutix_bridge.v1.UpdateProfile";

/// Routing key of an [`UpdateProfile`] command on the `contact-commands` exchange.
pub const UPDATE_PROFILE_ROUTING_KEY: &str = "profile.update";

/// AMQP `content_type` of a [`ReconcileContact`] command.
pub const RECONCILE_CONTACT_CONTENT_TYPE: &str = "application/x-protobuf; proto=secutix_bridge.v1.ReconcileContact";

/// Routing key of a [`ReconcileContact`] command on the `contact-commands` exchange.
pub const RECONCILE_CONTACT_ROUTING_KEY: &str = "contact.reconcile";

/// AMQP `content_type` of a [`ReplayRequest`] command.
pub const REPLAY_REQUEST_CONTENT_TYPE: &str = "application/x-protobuf; proto=secutix_bridge.v1.ReplayRequest";

/// Routing key of a [`ReplayRequest`] command on the `contact-commands` exchange.
pub const REPLAY_REQUEST_ROUTING_KEY: &str = "replay.request";

/// Converts a time to the protobuf well-known type.
pub fn timestamp(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        // Always below 10^9 for a `DateTime`, so the cast cannot truncate.
        nanos: time.timestamp_subsec_nanos() as i32,
    }
}

/// Converts the protobuf well-known type back to a time; `None` when out of range.
pub fn from_timestamp(ts: &prost_types::Timestamp) -> Option<DateTime<Utc>> {
    u32::try_from(ts.nanos)
        .ok()
        .and_then(|nanos| DateTime::from_timestamp(ts.seconds, nanos))
}

impl ContactChanged {
    pub fn encode_to_bytes(&self) -> Vec<u8> {
        self.encode_to_vec()
    }

    pub fn decode_from(bytes: &[u8]) -> Result<Self, prost::DecodeError> {
        Self::decode(bytes)
    }

    /// The version time, falling back to the receive time for events without one.
    pub fn version_time(&self) -> Option<DateTime<Utc>> {
        self.version
            .as_ref()
            .and_then(|v| v.time.as_ref())
            .or(self.received_at.as_ref())
            .and_then(from_timestamp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_changed_round_trips() {
        let now = Utc::now();
        let event = ContactChanged {
            event_id: "0190f0e0-0000-7000-8000-000000000000".into(),
            contact_number: "0001234567".into(),
            version: Some(Version {
                time: Some(timestamp(now)),
                from_payload: false,
            }),
            received_at: Some(timestamp(now)),
            source: EventSource::Webhook as i32,
            format: PayloadFormat::GetContactData as i32,
            payload: br#"{"contactNumber":"0001234567"}"#.to_vec(),
        };
        let decoded = ContactChanged::decode_from(&event.encode_to_bytes()).expect("decodes");
        assert_eq!(decoded, event);
        assert_eq!(decoded.version_time(), Some(now));
    }

    #[test]
    fn rejects_garbage() {
        assert!(ContactChanged::decode_from(b"\xff\xff\xff").is_err());
    }
}
