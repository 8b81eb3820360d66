//! Turning validated contacts into `ContactChanged` bus messages.

use chrono::{DateTime, Utc};
use model::bus::{
    self, CONTACT_CHANGED_CONTENT_TYPE, CONTACT_CHANGED_ROUTING_KEY, ContactChanged, EventSource, PayloadFormat,
};

use infra::amqp::{OutgoingMessage, Topology, propagation};

use crate::payload::{Incoming, Kind};

/// One persistent message per contact, versioned by S-360's modification time when the
/// payload has one, else by `received_at`; the event id (UUIDv7) breaks ties.
pub fn to_message(
    topology: &Topology,
    kind: Kind,
    contact: &Incoming<'_>,
    received_at: DateTime<Utc>,
) -> OutgoingMessage {
    let envelope = &contact.envelope;
    let event_id = uuid::Uuid::now_v7().to_string();
    let (version_time, from_payload) = match envelope.modified_at {
        Some(modified) => (modified.with_timezone(&Utc), true),
        None => (received_at, false),
    };
    let format = match kind {
        Kind::Contacts => PayloadFormat::GetContactData,
        Kind::Exports => PayloadFormat::DataExportRow,
    };
    let event = ContactChanged {
        event_id: event_id.clone(),
        contact_number: envelope.contact_number.to_string(),
        version: Some(bus::Version {
            time: Some(bus::timestamp(version_time)),
            from_payload,
        }),
        received_at: Some(bus::timestamp(received_at)),
        source: EventSource::Webhook as i32,
        format: format as i32,
        payload: contact.json.as_bytes().to_vec(),
    };
    let mut headers = propagation::inject_current();
    // Lets operators filter dead letters by contact without decoding them.
    headers.insert(
        lapin::types::ShortString::from("x-contact-number"),
        lapin::types::AMQPValue::LongString(envelope.contact_number.as_str().into()),
    );
    OutgoingMessage {
        exchange: topology.contacts_exchange(),
        routing_key: CONTACT_CHANGED_ROUTING_KEY.to_owned(),
        payload: event.encode_to_bytes(),
        message_id: event_id,
        timestamp: received_at.timestamp().max(0) as u64,
        content_type: CONTACT_CHANGED_CONTENT_TYPE,
        headers,
    }
}
