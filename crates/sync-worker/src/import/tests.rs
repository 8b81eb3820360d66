//! Tests of the import's modules working together. They live beside those modules rather than
//! in one of them, so that no module names a sibling that names it back (the modules of
//! `import` form a DAG: `web` reads through `source`, which knows nothing of `web`).

use model::Contact;
use serde_json::Value;

use super::{record, source, web};

/// The first pass decides who gets an account from `source::essentials`, the second from the
/// whole record: the two must agree, or a contact would be counted in one pass and not the
/// other (and a shared e-mail missed).
#[test]
fn essentials_decide_a_web_account_as_the_whole_record_does() {
    let sample = include_str!("../../../model/fixtures/getContactData.sample.json");
    let mut export_row: Value = serde_json::json!({
        "contactNumber": "77", "role": "PUBLIC", "individualFirstname": "Fan",
        "email": "Fan@Example.org", "socialConnections.providerUserReference": "x",
    });
    let lines = [
        serde_json::to_string(&serde_json::from_str::<Value>(sample).expect("json")).expect("json"),
        export_row.to_string(),
        {
            export_row["role"] = "RELAY".into();
            export_row.to_string()
        },
        r#"{"contactNumber": "5", "individualContact": {"email": "a@b.org", "hasLogin": false}}"#.to_owned(),
        r#"{"contactNumber": "6", "individualContact": {"email": "not an e-mail", "role": "PUBLIC"}}"#.to_owned(),
        r#"{"individualContact": {"email": "a@b.org", "role": "PUBLIC"}}"#.to_owned(),
        r#"["not", "an", "object"]"#.to_owned(),
    ];
    for line in &lines {
        let whole = record::contact(0, serde_json::from_str(line).expect("json"))
            .ok()
            .map(|record| record.contact);
        let light = source::essentials(line);
        let decided = |c: &Option<Contact>| {
            c.as_ref().map(|c| {
                (
                    c.contact_number.clone(),
                    c.email.clone(),
                    c.role.clone(),
                    c.has_login,
                    web::refusal(c),
                )
            })
        };
        assert_eq!(decided(&light), decided(&whole), "{line}");
    }
}
