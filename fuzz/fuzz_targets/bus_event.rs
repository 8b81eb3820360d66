//! Fuzzes `sync_worker::apply::ContactEvent::decode` on arbitrary bytes and on valid `model::bus::ContactChanged` protobuf messages built from structured input.
//!
//! The first input byte picks the mode: bit 0 clear = the rest of the input is the raw AMQP
//! body; bit 0 set = the rest is turned by `arbitrary` into the fields of a `ContactChanged`
//! (with a JSON contact payload most of the time), encoded with prost and decoded. Bit 1 turns
//! on `DetectionRules::blank_is_anonymised` (the other rules keep their defaults). Property: no
//! panic, and an accepted event agrees with the message it came from.
#![no_main]

use std::sync::LazyLock;

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use model::bus::{ContactChanged, Version};
use prost::Message;
use sync_worker::apply::{ContactEvent, DetectionRules};

/// The service's default rules (built once: `Default` parses them with clap).
static DEFAULT_RULES: LazyLock<DetectionRules> = LazyLock::new(DetectionRules::default);
static BLANK_RULES: LazyLock<DetectionRules> = LazyLock::new(|| DetectionRules {
    blank_is_anonymised: true,
    ..DetectionRules::default()
});

#[derive(Debug, Arbitrary)]
struct Timestamp {
    seconds: i64,
    nanos: i32,
}

impl From<Timestamp> for prost_types::Timestamp {
    fn from(t: Timestamp) -> Self {
        Self {
            seconds: t.seconds,
            nanos: t.nanos,
        }
    }
}

#[derive(Debug, Arbitrary)]
enum EventId {
    /// A well-formed UUID from 16 bytes.
    Uuid([u8; 16]),
    Text(String),
}

#[derive(Debug, Arbitrary)]
enum Payload {
    /// A contact object whose `contactNumber` is the event's (or another string).
    Contact {
        same_number: bool,
        other_number: String,
        fields: Vec<(String, String)>,
        modification_time: Option<String>,
    },
    Bytes(Vec<u8>),
}

#[derive(Debug, Arbitrary)]
struct Fields {
    event_id: EventId,
    contact_number: String,
    version: Option<(Option<Timestamp>, bool)>,
    received_at: Option<Timestamp>,
    source: i32,
    /// Small values hit the known formats (0..=2) most of the time.
    format: u8,
    wide_format: Option<i32>,
    payload: Payload,
}

impl Fields {
    fn into_message(self) -> ContactChanged {
        let event_id = match self.event_id {
            EventId::Uuid(bytes) => uuid_text(bytes),
            EventId::Text(text) => text,
        };
        let payload = match self.payload {
            Payload::Contact {
                same_number,
                other_number,
                fields,
                modification_time,
            } => {
                let mut object = serde_json::Map::new();
                for (key, value) in fields {
                    object.insert(key, serde_json::Value::String(value));
                }
                if let Some(time) = modification_time {
                    object.insert("lastModificationDate".into(), time.into());
                }
                let number = if same_number {
                    self.contact_number.clone()
                } else {
                    other_number
                };
                object.insert("contactNumber".into(), number.into());
                serde_json::to_vec(&serde_json::Value::Object(object)).expect("serialisable")
            }
            Payload::Bytes(bytes) => bytes,
        };
        ContactChanged {
            event_id,
            contact_number: self.contact_number,
            version: self.version.map(|(time, from_payload)| Version {
                time: time.map(Into::into),
                from_payload,
            }),
            received_at: self.received_at.map(Into::into),
            source: self.source,
            format: self.wide_format.unwrap_or(i32::from(self.format % 4)),
            payload,
        }
    }
}

fn uuid_text(b: [u8; 16]) -> String {
    let hex: String = b.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn check(bytes: &[u8], rules: &DetectionRules, message: Option<&ContactChanged>) {
    let Ok(event) = ContactEvent::decode(bytes, rules) else {
        return;
    };
    if let Some(message) = message {
        assert_eq!(event.contact.contact_number.as_str(), message.contact_number);
        assert_eq!(Some(event.version_time), message.version_time());
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let rules: &DetectionRules = if mode & 2 == 0 {
        &DEFAULT_RULES
    } else {
        &BLANK_RULES
    };
    if mode & 1 == 0 {
        check(rest, rules, None);
        return;
    }
    let Ok(fields) = Fields::arbitrary_take_rest(Unstructured::new(rest)) else {
        return;
    };
    let message = fields.into_message();
    let bytes = message.encode_to_vec();
    // What prost wrote, prost reads back unchanged.
    assert_eq!(ContactChanged::decode(bytes.as_slice()).as_ref(), Ok(&message));
    check(&bytes, rules, Some(&message));
});
