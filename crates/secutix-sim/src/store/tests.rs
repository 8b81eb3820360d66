//! Store semantics: versions, partial updates, merges, anonymisation, deletion, links and the
//! webhook queue.

use serde_json::json;

use super::*;

fn store_with(numbers: &[&str]) -> Store {
    let store = Store::new();
    for (i, number) in numbers.iter().enumerate() {
        store
            .create(&json!({
                "contactNumber": number,
                "individualContact": {
                    "firstname": "Jean", "lastname": "Dupont", "email": format!("jean{i}@example.org"),
                    "role": "PUBLIC", "hasLogin": true
                },
                "addresses": [{ "main": true, "street1": "Rue du Lac 12", "zipCode": "1003", "town": "Lausanne", "countryCode": "CH" }]
            }))
            .expect("created");
    }
    store
}

#[test]
fn every_change_bumps_version_and_modification_time() {
    let store = store_with(&["0001"]);
    let first = store.get("0001").expect("exists");
    assert_eq!(first.version, 1);
    let stamp = first.contact["lastModificationDate"]
        .as_str()
        .expect("stamped")
        .to_owned();
    // The ingest reads the same member as S-360's modification time.
    let envelope = model::secutix::envelope(&first.contact.to_string()).expect("valid envelope");
    assert!(envelope.modified_at.is_some());
    let second = store
        .update("0001", &json!({ "individualContact": { "firstname": "Jeanne" } }), None)
        .expect("updated");
    assert_eq!(second.version, 2);
    assert!(second.modified_at > first.modified_at);
    assert_ne!(second.contact["lastModificationDate"], stamp.as_str());
    assert_eq!(second.contact["individualContact"]["firstname"], "Jeanne");
    assert_eq!(
        second.contact["individualContact"]["lastname"], "Dupont",
        "partial update keeps the rest"
    );
    let contact = model::secutix::from_get_contact_data(second.contact).expect("maps");
    assert_eq!(contact.first_name.as_deref(), Some("Jeanne"));
    assert_eq!(contact.has_login, Some(true));
}

#[test]
fn updates_refuse_read_only_members_and_stale_versions() {
    let store = store_with(&["0001"]);
    let base = store.get("0001").expect("exists").contact["lastModificationDate"].clone();
    let base = base.as_str().expect("string");
    assert_eq!(
        store.update("0001", &json!({ "anonymized": true }), None).err(),
        Some(StoreError::ReadOnlyField("anonymized"))
    );
    assert_eq!(
        store
            .update("0001", &json!({ "contactNumber": "0002" }), None)
            .err()
            .map(|e| e.code()),
        Some("invalid_field")
    );
    store
        .update("0001", &json!({ "individualContact": { "title": "MS" } }), Some(base))
        .expect("current base version");
    assert_eq!(
        store
            .update("0001", &json!({ "individualContact": { "title": "MR" } }), Some(base))
            .err(),
        Some(StoreError::StaleVersion)
    );
    assert_eq!(store.update("0404", &json!({}), None).err(), Some(StoreError::NotFound));
}

#[test]
fn one_login_per_email_among_public_contacts() {
    let store = store_with(&["0001"]);
    let twin =
        json!({ "contactNumber": "0002", "individualContact": { "email": "JEAN0@example.org", "hasLogin": true } });
    assert_eq!(store.create(&twin).err(), Some(StoreError::LoginEmailTaken));
    // Without a login the e-mail may be shared.
    let prospect = json!({ "contactNumber": "0002", "individualContact": { "email": "jean0@example.org" } });
    store.create(&prospect).expect("prospects may share an e-mail");
    assert_eq!(
        store
            .update("0002", &json!({ "individualContact": { "hasLogin": true } }), None)
            .err(),
        Some(StoreError::LoginEmailTaken)
    );
    assert_eq!(
        store.create(&json!({ "contactNumber": "0001" })).err(),
        Some(StoreError::AlreadyExists)
    );
    assert!(matches!(
        store.create(&json!({ "contactNumber": "has space" })).err(),
        Some(StoreError::InvalidContactNumber(_))
    ));
}

#[test]
fn a_merge_marks_the_absorbed_contact_and_moves_its_login() {
    let store = store_with(&["0001"]);
    store
        .create(&json!({ "contactNumber": "0002", "individualContact": { "firstname": "Head" } }))
        .expect("head");
    store.add_link("0001", "idp", "sub-1").expect("linked");
    let (absorbed, head) = store.merge("0001", "0002").expect("merged");
    assert_eq!(absorbed.state, ContactState::Merged);
    assert_eq!(absorbed.merged_into.as_deref(), Some("0002"));
    assert_eq!(absorbed.contact["mergedIntoContactNumber"], "0002");
    assert_eq!(head.contact["individualContact"]["hasLogin"], true);
    assert_eq!(head.contact["individualContact"]["email"], "jean0@example.org");
    assert_eq!(
        store.find_by_sso("idp", "sub-1").map(|r| r.contact_number),
        Some("0002".into())
    );
    // The absorbed contact cannot change any more, nor be merged again.
    assert_eq!(store.update("0001", &json!({}), None).err(), Some(StoreError::Merged));
    assert_eq!(store.merge("0001", "0002").err(), Some(StoreError::Merged));
    assert_eq!(store.merge("0002", "0002").err(), Some(StoreError::SameContact));
    // A head without a login whose e-mail a third contact logs in with cannot take a login.
    store
        .create(&json!({ "contactNumber": "0003", "individualContact": { "email": "jean.twin@example.org", "hasLogin": true } }))
        .expect("third");
    store
        .create(&json!({ "contactNumber": "0004", "individualContact": { "email": "JEAN.TWIN@example.org" } }))
        .expect("prospect sharing the e-mail");
    store
        .create(
            &json!({ "contactNumber": "0005", "individualContact": { "email": "five@example.org", "hasLogin": true } }),
        )
        .expect("fifth");
    assert_eq!(store.merge("0005", "0004").err(), Some(StoreError::LoginEmailTaken));
    assert_eq!(
        store.get("0005").map(|r| r.state),
        Some(ContactState::Active),
        "nothing changed"
    );
    assert_eq!(store.add_link("0001", "idp", "sub-9").err(), Some(StoreError::Merged));
}

#[test]
fn anonymisation_keeps_only_country_town_and_post_code() {
    let store = store_with(&["0001"]);
    store.add_link("0001", "idp", "sub-1").expect("linked");
    let record = store.anonymise("0001").expect("anonymised");
    assert_eq!(record.state, ContactState::Anonymised);
    let text = record.contact.to_string();
    for personal in ["Jean", "Dupont", "jean0@example.org", "Rue du Lac", "sub-1"] {
        assert!(!text.contains(personal), "{personal} remains");
    }
    assert_eq!(record.contact["addresses"][0]["town"], "Lausanne");
    assert_eq!(record.contact["addresses"][0]["zipCode"], "1003");
    assert_eq!(record.contact["addresses"][0]["countryCode"], "CH");
    assert_eq!(record.contact["anonymized"], true);
    assert_eq!(store.anonymise("0001").err(), Some(StoreError::Anonymised));
    assert_eq!(
        store.update("0001", &json!({}), None).err(),
        Some(StoreError::Anonymised)
    );
    assert!(store.find_by_sso("idp", "sub-1").is_none());
}

#[test]
fn only_prospects_are_deleted_and_never_sent() {
    let store = store_with(&["0001"]);
    store.create(&json!({ "contactNumber": "0002" })).expect("prospect");
    assert_eq!(store.delete("0001").err(), Some(StoreError::NotAProspect));
    let deleted = store.delete("0002").expect("deleted");
    assert_eq!(deleted.state, ContactState::Deleted);
    assert!(deleted.contact.is_null());
    let queued: Vec<String> = store.outgoing(10).into_iter().map(|o| o.contact_number).collect();
    assert_eq!(queued, vec!["0001".to_owned()]);
}

#[test]
fn sso_links_are_unique_both_ways() {
    let store = store_with(&["0001", "0002"]);
    store.add_link("0001", "idp", "sub-1").expect("linked");
    store
        .add_link("0001", "idp", "sub-1")
        .expect("the same link again is fine");
    assert_eq!(
        store.add_link("0002", "idp", "sub-1").err(),
        Some(StoreError::SsoIdLinkedElsewhere)
    );
    assert_eq!(
        store.add_link("0001", "idp", "sub-2").err(),
        Some(StoreError::ContactAlreadyLinked)
    );
    store.add_link("0001", "other-idp", "sub-2").expect("another provider");
    assert_eq!(store.add_link("0404", "idp", "x").err(), Some(StoreError::NotFound));
}

#[test]
fn the_queue_sends_latest_states_retries_then_abandons() {
    let store = store_with(&["0001", "0002"]);
    let taken = store.outgoing(10);
    assert_eq!(taken.len(), 2);
    // 0001 changes while in flight: delivered, but still queued with its new state.
    store
        .update("0001", &json!({ "individualContact": { "firstname": "Later" } }), None)
        .expect("updated");
    for o in &taken {
        store.delivered(&o.contact_number, o.version);
    }
    let again = store.outgoing(10);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].payload["individualContact"]["firstname"], "Later");
    // Failures count up; the twelfth abandons the contact.
    for attempt in 1..12 {
        assert!(!store.delivery_failed("0001", 12));
        assert_eq!(store.attempts("0001"), Some(attempt));
    }
    assert!(store.delivery_failed("0001", 12));
    assert_eq!(store.pending(), 0);
}
