//! Table-driven tests of the S-360 payload mapping, on the sample payloads in `fixtures/`.

use serde_json::{Value, json};

use super::*;

fn sample() -> Value {
    serde_json::from_str(include_str!("../fixtures/getContactData.sample.json")).expect("fixture")
}

#[test]
fn maps_the_sample_get_contact_data() {
    let contact = from_get_contact_data(sample()).expect("valid sample");
    assert_eq!(contact.contact_number.as_str(), "0001234567");
    assert_eq!(contact.title.as_deref(), Some("MR"));
    assert_eq!(contact.first_name.as_deref(), Some("Jean"));
    assert_eq!(contact.last_name.as_deref(), Some("Dupont"));
    assert_eq!(contact.birth_date, NaiveDate::from_ymd_opt(1985, 6, 14));
    assert_eq!(contact.language.as_deref(), Some("fr"));
    assert_eq!(
        contact.email.as_ref().map(Email::as_str),
        Some("jean.dupont@example.org")
    );
    assert_eq!(contact.phone.as_deref(), Some("+41791234567"));
    assert_eq!(contact.role.as_deref(), Some("PUBLIC"));
    assert_eq!(contact.has_login, Some(true));
    let main = contact.main_address().expect("has an address");
    assert_eq!(main.lines, vec!["Rue du Lac 12".to_owned()]);
    assert_eq!(main.zip_code.as_deref(), Some("1003"));
    assert_eq!(main.town.as_deref(), Some("Lausanne"));
    assert_eq!(main.country_code.as_deref(), Some("CH"));
    assert!(main.main && main.billing && !main.shipping);
    assert_eq!(
        contact.authorizations,
        vec![
            Authorization {
                code: "NEWSLTR".into(),
                allowed: true
            },
            Authorization {
                code: "PARTNERS".into(),
                allowed: false
            },
        ]
    );
    assert_eq!(contact.modified_at, None, "the sample carries no modification time");
}

#[test]
fn keeps_fields_it_does_not_model() {
    let mut payload = sample();
    payload["qualities"] = json!([{ "qualityCode": "VIP" }]);
    let contact = from_get_contact_data(payload).expect("valid");
    assert_eq!(contact.raw["qualities"][0]["qualityCode"], "VIP");
    assert_eq!(contact.raw["contactCriteria"][0]["criterionCode"], "SEASONTK");
}

#[test]
fn reads_a_modification_time_when_present() {
    let mut payload = sample();
    payload["lastModificationDate"] = json!("2025-01-02T03:04:05.000+01:00");
    let contact = from_get_contact_data(payload).expect("valid");
    assert_eq!(
        contact.modified_at.map(|t| t.to_rfc3339()),
        Some("2025-01-02T03:04:05+01:00".to_owned())
    );
}

#[test]
fn treats_malformed_optional_fields_as_absent() {
    let payload = json!({
        "contactNumber": "42",
        "individualContact": {
            "firstname": 12,
            "lastname": "   ",
            "email": "not-an-address",
            "birthDate": "14.06.1985"
        },
        "addresses": "none",
        "authorizations": [{ "authorizationCode": "NEWSLTR" }, 7]
    });
    let contact = from_get_contact_data(payload).expect("only the contact number is required");
    assert_eq!(contact.first_name, None);
    assert_eq!(contact.last_name, None);
    assert_eq!(contact.email, None);
    assert_eq!(contact.birth_date, None);
    assert!(contact.addresses.is_empty());
    assert!(contact.authorizations.is_empty());
}

#[test]
fn rejects_payloads_without_a_valid_contact_number() {
    let cases = [
        (json!([]), "$", "each contact must be a JSON object"),
        (json!({}), "contactNumber", "is required"),
        (json!({ "contactNumber": null }), "contactNumber", "is required"),
        (json!({ "contactNumber": "" }), "contactNumber", "is empty"),
        (
            json!({ "contactNumber": 1234567 }),
            "contactNumber",
            "must be a string (leading zeros are significant)",
        ),
        (
            json!({ "contactNumber": "123456789012345678901" }),
            "contactNumber",
            "is longer than 20 characters",
        ),
        (
            json!({ "contactNumber": "12 34" }),
            "contactNumber",
            "contains whitespace or control characters",
        ),
    ];
    for (payload, field, message) in cases {
        let error = from_get_contact_data(payload.clone()).expect_err("must be rejected");
        assert_eq!(
            (error.field, error.message.as_str()),
            (field, message),
            "payload {payload}"
        );
        let error = from_data_export_row(payload.clone()).expect_err("must be rejected");
        assert_eq!((error.field, error.message.as_str()), (field, message), "row {payload}");
    }
}

#[test]
fn maps_the_sample_data_export_row() {
    let rows: Value = serde_json::from_str(include_str!("../fixtures/data-export-row.sample.json")).expect("fixture");
    let contact = from_data_export_row(rows[0].clone()).expect("valid row");
    assert_eq!(contact.contact_number.as_str(), "0001234567");
    assert_eq!(contact.first_name.as_deref(), Some("Jean"));
    assert_eq!(contact.last_name.as_deref(), Some("Dupont"));
    assert_eq!(
        contact.email.as_ref().map(Email::as_str),
        Some("jean.dupont@example.org")
    );
    assert_eq!(contact.role.as_deref(), Some("PUBLIC"));
    assert_eq!(contact.sso_id.as_deref(), Some("7f3c2a9e-5b1d-4c8e-9a61-2d4f8b0e6c13"));
    assert_eq!(
        contact.main_address().and_then(|a| a.country_code.as_deref()),
        Some("CH")
    );
}

#[test]
fn the_sso_id_comes_from_social_connections_preferring_a_uuid() {
    let subject = "7f3c2a9e-5b1d-4c8e-9a61-2d4f8b0e6c13";
    let mut payload = sample();
    assert_eq!(from_get_contact_data(payload.clone()).expect("valid").sso_id, None);
    payload["socialConnections"] = json!([
        { "provider": "facebook", "providerUserReference": "fb-123" },
        { "provider": "secutix-bridge", "providerUserReference": subject },
    ]);
    let contact = from_get_contact_data(payload.clone()).expect("valid");
    assert_eq!(contact.sso_id.as_deref(), Some(subject));
    payload["socialConnections"] = json!([{ "provider": "facebook", "providerUserReference": "fb-123" }]);
    let contact = from_get_contact_data(payload.clone()).expect("valid");
    assert_eq!(contact.sso_id.as_deref(), Some("fb-123"));
    payload["socialConnections"] = json!("not a list");
    assert_eq!(from_get_contact_data(payload).expect("valid").sso_id, None);
}

#[test]
fn removes_nul_characters_postgresql_cannot_store() {
    let payload =
        json!({ "contactNumber": "42", "individualContact": { "firstname": "Je\u{0}an" }, "x\u{0}": ["a\u{0}"] });
    let contact = from_get_contact_data(payload).expect("valid");
    assert_eq!(contact.first_name.as_deref(), Some("Jean"));
    assert!(!contact.raw.to_string().contains("\\u0000"), "{}", contact.raw);
    assert_eq!(contact.raw["x"][0], "a");
}

#[test]
fn anonymised_keeps_only_what_s360_keeps() {
    let contact = from_get_contact_data(sample()).expect("valid").anonymised();
    assert_eq!(contact.contact_number.as_str(), "0001234567");
    assert_eq!(
        (contact.first_name, contact.last_name, contact.email, contact.phone),
        (None, None, None, None)
    );
    assert_eq!(contact.birth_date, None);
    let address = &contact.addresses[0];
    assert!(address.lines.is_empty());
    assert_eq!(
        (
            address.town.as_deref(),
            address.zip_code.as_deref(),
            address.country_code.as_deref()
        ),
        (Some("Lausanne"), Some("1003"), Some("CH"))
    );
    let raw = contact.raw.to_string();
    for personal in [
        "Jean",
        "Dupont",
        "jean.dupont",
        "+4179",
        "1985",
        "Rue du Lac",
        "NEWSLTR",
    ] {
        assert!(!raw.contains(personal), "{personal} survived in {raw}");
    }
}

#[test]
fn the_envelope_agrees_with_the_full_mapping() {
    let mut with_time = sample();
    with_time["lastModificationDate"] = json!("2025-01-02T03:04:05.000+01:00");
    for payload in [sample(), with_time, json!({ "contactNumber": "7", "updateDate": " " })] {
        let full = from_get_contact_data(payload.clone()).expect("valid");
        let envelope = envelope(&payload.to_string()).expect("valid");
        assert_eq!(
            (envelope.contact_number, envelope.modified_at),
            (full.contact_number, full.modified_at)
        );
    }
    let cases = [
        (json!([]), "$", "each contact must be a JSON object"),
        (json!("text"), "$", "each contact must be a JSON object"),
        (json!({}), "contactNumber", "is required"),
        (
            json!({ "contactNumber": 1234567 }),
            "contactNumber",
            "must be a string (leading zeros are significant)",
        ),
        (
            json!({ "contactNumber": "12 34" }),
            "contactNumber",
            "contains whitespace or control characters",
        ),
    ];
    for (payload, field, message) in cases {
        let error = envelope(&payload.to_string()).expect_err("must be rejected");
        assert_eq!(
            (error.field, error.message.as_str()),
            (field, message),
            "payload {payload}"
        );
    }
    let twice = envelope(r#"{"contactNumber":"1","contactNumber":"2"}"#).expect_err("ambiguous");
    assert_eq!(twice.message, "a member appears twice");
    let echoed = envelope(r#""jean.dupont@example.org""#).expect_err("not an object");
    assert!(!echoed.to_string().contains("jean"), "{echoed}");
}
