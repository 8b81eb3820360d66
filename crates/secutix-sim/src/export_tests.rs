//! Export rows and files, read back with the product's own mapping.

use serde_json::json;

use super::*;
use crate::{demo, store::Store};

fn store() -> Store {
    let store = Store::new();
    demo::seed(&store, 4).expect("seeded");
    store.add_link("0009000001", "idp", "sub-1").expect("linked");
    store.merge("0009000002", "0009000003").expect("merged");
    store.anonymise("0009000004").expect("anonymised");
    store
        .create(&json!({ "contactNumber": "0042", "individualContact": { "role": "RELAY", "lastname": "Relay" } }))
        .expect("relay");
    store
        .create(&json!({ "contactNumber": "0043", "individualContact": { "lastname": "O\"Neil, Jr.\nII" } }))
        .expect("awkward name");
    store
}

#[test]
fn export_rows_use_the_public_names_and_map_back() {
    let rows = export_rows(&store().list());
    let numbers: Vec<&str> = rows.iter().filter_map(|r| r["contactNumber"].as_str()).collect();
    assert_eq!(
        numbers,
        ["0009000001", "0009000003", "0043"],
        "active PUBLIC contacts only"
    );
    let sample: Value =
        serde_json::from_str(include_str!("../../model/fixtures/data-export-row.sample.json")).expect("fixture");
    for key in sample[0].as_object().expect("row").keys() {
        assert!(rows[0].get(key).is_some(), "{key} is missing");
    }
    let contact = model::secutix::from_data_export_row(rows[0].clone()).expect("maps");
    assert_eq!(contact.first_name.as_deref(), Some("Jean"));
    assert_eq!(contact.sso_id.as_deref(), Some("sub-1"));
    assert_eq!(contact.role.as_deref(), Some("PUBLIC"));
    assert_eq!(
        contact.email.map(|e| e.as_str().to_owned()).as_deref(),
        Some("jean.dupont.1@example.org")
    );
    assert!(
        contact.modified_at.is_some(),
        "rows are versioned by lastModificationDate"
    );
}

#[test]
fn jsonl_lines_are_get_contact_data_objects() {
    let file = export_file(&store().list(), Format::Jsonl);
    let contacts: Vec<model::Contact> = file
        .lines()
        .map(|line| model::secutix::from_get_contact_data(serde_json::from_str(line).expect("json")).expect("maps"))
        .collect();
    let numbers: Vec<&str> = contacts.iter().map(|c| c.contact_number.as_str()).collect();
    assert_eq!(
        numbers,
        ["0009000001", "0009000003", "0042", "0043"],
        "every active contact"
    );
    assert_eq!(contacts[0].has_login, Some(true));
}

#[test]
fn csv_has_the_documented_columns_and_quotes_awkward_values() {
    let file = export_file(&store().list(), Format::Csv);
    let mut lines = file.split("\r\n");
    assert_eq!(lines.next(), Some(CSV_COLUMNS.join(",").as_str()));
    let first: Vec<&str> = lines.next().expect("a row").split(',').collect();
    assert_eq!(first.len(), CSV_COLUMNS.len());
    assert_eq!(first[0], "0009000001");
    assert_eq!(
        first[CSV_COLUMNS.iter().position(|c| *c == "hasLogin").expect("column")],
        "true"
    );
    assert_eq!(
        first[CSV_COLUMNS
            .iter()
            .position(|c| *c == "providerUserReference")
            .expect("column")],
        "sub-1"
    );
    assert!(
        file.contains("\"O\"\"Neil, Jr.\nII\""),
        "quotes doubled, the field quoted"
    );
}
