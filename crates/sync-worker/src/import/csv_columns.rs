//! CSV import with S-360's bulk-import column names (header line required, names matched
//! without regard to case). Each row becomes the `getContactData` object it describes and goes
//! through the same mapping as every other payload. S-360 publishes the field sizes of its
//! bulk import but not a machine-readable header, so the names below are the assumption,
//! kept in this one table:
//!
//! | Column | Becomes |
//! |---|---|
//! | `contactNumber` | `contactNumber` (required) |
//! | `title`, `firstname`, `lastname`, `birthDate`, `languageCode`, `email`, `cellPhoneNumber`, `phoneNumber`, `role`, `hasLogin` | the same member of `individualContact` |
//! | `street1`…`street4`, `zipCode`, `town`, `countryCode` | the main address |
//! | `lastModificationDate` | S-360's modification time (the version) |
//! | `authorization.<CODE>` | an opt-in `{authorizationCode: CODE, allowed}` (`true`/`false`/`1`/`0`) |
//!
//! Other columns are kept in the raw payload under their own names.

use std::io::Read;

use serde_json::{Map, Value};

use super::record::{Item, bad, contact};

const INDIVIDUAL: [&str; 10] = [
    "title",
    "firstname",
    "lastname",
    "birthDate",
    "languageCode",
    "email",
    "cellPhoneNumber",
    "phoneNumber",
    "role",
    "hasLogin",
];
const ADDRESS: [&str; 7] = [
    "street1",
    "street2",
    "street3",
    "street4",
    "zipCode",
    "town",
    "countryCode",
];

/// Reads CSV rows as contacts.
pub fn read<R: Read + Send + 'static>(input: R) -> anyhow::Result<impl Iterator<Item = Item> + Send> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|_| anyhow::anyhow!("the CSV file has no readable header line"))?
        .iter()
        .map(str::to_owned)
        .collect();
    if !headers.iter().any(|h| h.eq_ignore_ascii_case("contactNumber")) {
        anyhow::bail!("the CSV header has no contactNumber column");
    }
    Ok(reader.into_records().enumerate().map(move |(index, row)| {
        let position = index as u64 + 1;
        let row = row.map_err(|_| bad(position, "not a valid CSV row (wrong number of fields or not UTF-8)"))?;
        contact(position, to_json(&headers, &row))
    }))
}

/// The `getContactData` object a row describes.
fn to_json(headers: &[String], row: &csv::StringRecord) -> Value {
    let mut top = Map::new();
    let mut individual = Map::new();
    let mut address = Map::new();
    let mut authorizations = Vec::new();
    for (header, value) in headers.iter().zip(row.iter()) {
        if value.is_empty() {
            continue;
        }
        let canonical = |names: &[&'static str]| names.iter().find(|n| n.eq_ignore_ascii_case(header)).copied();
        if let Some(name) = canonical(&INDIVIDUAL) {
            let value = if name == "hasLogin" {
                Value::Bool(truthy(value))
            } else {
                Value::String(value.to_owned())
            };
            individual.insert(name.to_owned(), value);
        } else if let Some(name) = canonical(&ADDRESS) {
            address.insert(name.to_owned(), Value::String(value.to_owned()));
        } else if header.len() > 14 && header[..14].eq_ignore_ascii_case("authorization.") {
            authorizations.push(serde_json::json!({ "authorizationCode": &header[14..], "allowed": truthy(value) }));
        } else if header.eq_ignore_ascii_case("contactNumber") {
            top.insert("contactNumber".into(), Value::String(value.to_owned()));
        } else if header.eq_ignore_ascii_case("lastModificationDate") {
            top.insert("lastModificationDate".into(), Value::String(value.to_owned()));
        } else {
            top.insert(header.clone(), Value::String(value.to_owned()));
        }
    }
    if !address.is_empty() {
        address.insert("main".into(), Value::Bool(true));
        top.insert("addresses".into(), Value::Array(vec![Value::Object(address)]));
    }
    if !authorizations.is_empty() {
        top.insert("authorizations".into(), Value::Array(authorizations));
    }
    top.insert("individualContact".into(), Value::Object(individual));
    Value::Object(top)
}

fn truthy(value: &str) -> bool {
    matches!(value.to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "y")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_contacts_with_the_bulk_import_names() {
        let csv = "contactNumber,FirstName,lastname,email,role,hasLogin,town,countryCode,authorization.NEWSLTR\n\
                   0001,Jean,Dupont,jean@example.org,PUBLIC,true,Lausanne,CH,1\n\
                   0002,too,few\n";
        let rows: Vec<Item> = read(std::io::Cursor::new(csv.as_bytes().to_vec()))
            .expect("header")
            .collect();
        let first = &rows[0].as_ref().expect("a contact").contact;
        assert_eq!(first.contact_number.as_str(), "0001");
        assert_eq!(first.first_name.as_deref(), Some("Jean"));
        assert_eq!(first.has_login, Some(true));
        assert_eq!(first.role.as_deref(), Some("PUBLIC"));
        assert_eq!(first.addresses[0].town.as_deref(), Some("Lausanne"));
        assert!(first.authorizations[0].allowed);
        assert_eq!(rows[1].as_ref().expect_err("short row").position, 2);
        assert!(read(std::io::Cursor::new(b"name\nx\n".to_vec())).is_err());
    }
}
