//! Deterministic demo contacts: the same N contacts every time (numbers `0009000001`...),
//! PUBLIC individuals with a web login (`hasLogin`) and a unique login e-mail, spread over
//! languages, countries and opt-ins, so a demo or a test can rely on them.

use serde_json::{Value, json};

use crate::store::{Record, Store, StoreError};

const FIRST_NAMES: [&str; 8] = ["Jean", "Anna", "Luca", "Sophie", "Marco", "Lea", "Noah", "Emma"];
const LAST_NAMES: [&str; 8] = [
    "Dupont", "Meier", "Rossi", "Favre", "Bianchi", "Keller", "Martin", "Weber",
];
const PLACES: [(&str, &str, &str, &str); 4] = [
    ("fr", "1003", "Lausanne", "CH"),
    ("de", "8001", "Zürich", "CH"),
    ("it", "6900", "Lugano", "CH"),
    ("en", "SW1A 1AA", "London", "GB"),
];

/// The contact number of demo contact `index` (0-based).
pub fn demo_number(index: u32) -> String {
    format!("{:010}", 9_000_001 + u64::from(index))
}

/// Demo contact `index` as a `getContactData` object.
pub fn demo_contact(index: u32) -> Value {
    let i = index as usize;
    let first = FIRST_NAMES[i % FIRST_NAMES.len()];
    let last = LAST_NAMES[(i / FIRST_NAMES.len()) % LAST_NAMES.len()];
    let (language, zip, town, country) = PLACES[i % PLACES.len()];
    json!({
        "contactNumber": demo_number(index),
        "individualContact": {
            "title": if i.is_multiple_of(2) { "MR" } else { "MS" },
            "firstname": first,
            "lastname": last,
            "birthDate": format!("{}-{:02}-{:02}", 1960 + i % 40, 1 + i % 12, 1 + i % 28),
            "languageCode": language,
            "email": format!("{}.{}.{}@example.org", first.to_lowercase(), last.to_lowercase(), index + 1),
            "cellPhoneNumber": format!("+4179{:07}", 1_000_000 + index),
            "role": "PUBLIC",
            "hasLogin": true
        },
        "addresses": [{
            "main": true, "billingAddress": true, "shippingAddress": false,
            "street1": format!("Rue de la Gare {}", 1 + i % 90),
            "zipCode": zip, "town": town, "countryCode": country
        }],
        "authorizations": [
            { "authorizationCode": "NEWSLTR", "allowed": !i.is_multiple_of(3) },
            { "authorizationCode": "PARTNERS", "allowed": i.is_multiple_of(5) }
        ]
    })
}

/// Creates demo contacts `0..count`, skipping those that already exist; returns those created.
pub fn seed(store: &Store, count: u32) -> Result<Vec<Record>, StoreError> {
    let mut created = Vec::new();
    for index in 0..count {
        match store.create(&demo_contact(index)) {
            Ok(record) => created.push(record),
            Err(StoreError::AlreadyExists) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(created)
}
