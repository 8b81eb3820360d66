//! `UpdateProfile` commands from the gateway: a user's changes to their own profile, applied to
//! the contact mirror and queued for S-360 in `writeback_outbox`, in one transaction and once
//! per command id (a redelivered command changes nothing). Merged and anonymised contacts, and
//! accounts no longer attached to the contact, are refused.
//!
//! The mirror keeps its version (S-360's modification time): the change is ours until S-360
//! confirms it, so a newer S-360 event still replaces the row, and the write-back compares
//! `base_modified_at` with S-360's current time to detect a conflicting change.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use model::bus::{ProfileChanges, UpdateProfile};
use store::schema::{accounts, contacts, writeback_outbox};

/// What applying a command did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileOutcome {
    /// The mirror changed and a write-back row was queued.
    Applied,
    /// This command was applied before (a redelivery).
    AlreadyApplied,
    /// The contact is merged or anonymised, unknown, or no longer the account's.
    Refused,
}

/// A command that can never apply.
#[derive(Debug, thiserror::Error)]
#[error("invalid UpdateProfile command: {0}")]
pub struct InvalidCommand(&'static str);

/// Checks what the database cannot: ids, contact number, field formats.
pub fn validate(command: &UpdateProfile) -> Result<(Uuid, Uuid), InvalidCommand> {
    let id = Uuid::parse_str(&command.command_id).map_err(|_| InvalidCommand("command_id"))?;
    let subject = Uuid::parse_str(&command.subject_id).map_err(|_| InvalidCommand("subject_id"))?;
    model::ContactNumber::parse(command.contact_number.as_str()).map_err(|_| InvalidCommand("contact_number"))?;
    let changes = command.changes.as_ref().ok_or(InvalidCommand("changes"))?;
    if let Some(date) = changes.birth_date.as_deref().filter(|d| !d.is_empty()) {
        NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| InvalidCommand("birth_date"))?;
    }
    Ok((id, subject))
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = contacts)]
struct MirrorChange {
    first_name: Option<Option<String>>,
    last_name: Option<Option<String>>,
    birth_date: Option<Option<NaiveDate>>,
    phone: Option<Option<String>>,
    language: Option<Option<String>>,
    email: Option<Option<String>>,
    addresses: Option<Value>,
    authorizations: Option<Value>,
    updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Applies one command in its own transaction.
pub async fn apply(conn: &mut AsyncPgConnection, command: &UpdateProfile) -> anyhow::Result<ProfileOutcome> {
    let (id, subject) = validate(command)?;
    let changes = command.changes.clone().unwrap_or_default();
    let number = command.contact_number.clone();
    let base = command.base_modified_at.as_ref().and_then(model::bus::from_timestamp);
    let outcome = conn
        .transaction::<_, diesel::result::Error, _>(async |conn: &mut AsyncPgConnection| {
            let row: Option<(String, Value, Value, Value)> = contacts::table
                .find(&number)
                .select((
                    contacts::state,
                    contacts::addresses,
                    contacts::authorizations,
                    contacts::raw,
                ))
                .for_update()
                .first(conn)
                .await
                .optional()?;
            let owner: bool = diesel::select(diesel::dsl::exists(
                accounts::table
                    .find(subject)
                    .filter(accounts::contact_number.eq(&number)),
            ))
            .get_result(conn)
            .await?;
            let Some((_, addresses, authorizations, raw)) = row.filter(|r| r.0 == "active" && owner) else {
                return Ok(ProfileOutcome::Refused);
            };
            let inserted: Option<i64> = diesel::insert_into(writeback_outbox::table)
                .values((
                    writeback_outbox::command_id.eq(id),
                    writeback_outbox::contact_number.eq(&number),
                    writeback_outbox::fields.eq(secutix_fields(&changes, &raw)),
                    writeback_outbox::base_modified_at.eq(base),
                ))
                .on_conflict(writeback_outbox::command_id)
                .do_nothing()
                .returning(writeback_outbox::id)
                .get_result(conn)
                .await
                .optional()?;
            if inserted.is_none() {
                return Ok(ProfileOutcome::AlreadyApplied);
            }
            let change = mirror_change(&changes, addresses, authorizations);
            diesel::update(contacts::table.find(&number))
                .set(&change)
                .execute(conn)
                .await?;
            Ok(ProfileOutcome::Applied)
        })
        .await?;
    Ok(outcome)
}

fn text(value: &Option<String>) -> Option<Option<String>> {
    value
        .as_ref()
        .map(|v| Some(v.trim().to_owned()).filter(|v| !v.is_empty()))
}

fn mirror_change(changes: &ProfileChanges, mut addresses: Value, mut authorizations: Value) -> MirrorChange {
    let mut change = MirrorChange {
        first_name: text(&changes.first_name),
        last_name: text(&changes.last_name),
        birth_date: text(&changes.birth_date).map(|d| d.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())),
        phone: text(&changes.phone),
        language: text(&changes.language),
        email: text(&changes.email),
        updated_at: Some(chrono::Utc::now()),
        ..MirrorChange::default()
    };
    if let Some(address) = &changes.main_address {
        let list = addresses.as_array_mut().map(std::mem::take).unwrap_or_default();
        change.addresses = Some(Value::Array(with_main_address(list, address)));
    }
    if !changes.opt_ins.is_empty() {
        let mut list = authorizations.as_array_mut().map(std::mem::take).unwrap_or_default();
        for opt_in in &changes.opt_ins {
            match list.iter_mut().find(|a| a["code"] == opt_in.code.as_str()) {
                Some(existing) => existing["allowed"] = opt_in.allowed.into(),
                None => list.push(json!({ "code": opt_in.code, "allowed": opt_in.allowed })),
            }
        }
        change.authorizations = Some(Value::Array(list));
    }
    change
}

/// The mirror's addresses (stored as `model::Address`) with the main one replaced.
fn with_main_address(mut list: Vec<Value>, address: &model::bus::MainAddress) -> Vec<Value> {
    let index = list
        .iter()
        .position(|a| a["main"] == true)
        .or((!list.is_empty()).then_some(0));
    let blank = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
    let fields = [
        ("lines", json!(address.lines)),
        ("zip_code", json!(blank(&address.zip_code))),
        ("town", json!(blank(&address.town))),
        ("country_code", json!(blank(&address.country_code))),
        ("main", json!(true)),
    ];
    match index.and_then(|i| list.get_mut(i)).and_then(Value::as_object_mut) {
        Some(existing) => existing.extend(fields.map(|(k, v)| (k.to_owned(), v))),
        None => {
            let mut new: Map<String, Value> = fields.map(|(k, v)| (k.to_owned(), v)).into_iter().collect();
            new.insert("billing".into(), false.into());
            new.insert("shipping".into(), false.into());
            list.push(Value::Object(new));
        }
    }
    list
}

/// The changes under S-360's names, as `saveIndividualContactData` takes them (the names of
/// `model::secutix`): `firstname`, `lastname`, `birthDate`, `languageCode`, `cellPhoneNumber`, `email`,
/// `addresses` (the main one, with its `contactAddressId` when S-360 sent one) and
/// `authorizations`. A cleared field is `null`.
pub fn secutix_fields(changes: &ProfileChanges, raw: &Value) -> Value {
    let mut fields = Map::new();
    for (name, value) in [
        ("firstname", &changes.first_name),
        ("lastname", &changes.last_name),
        ("birthDate", &changes.birth_date),
        ("languageCode", &changes.language),
        ("cellPhoneNumber", &changes.phone),
        ("email", &changes.email),
    ] {
        if let Some(value) = text(value) {
            fields.insert(name.into(), json!(value));
        }
    }
    if let Some(address) = &changes.main_address {
        let mut entry = Map::new();
        let existing = raw["addresses"].as_array().and_then(|list| {
            list.iter()
                .find(|a| a["main"] == true)
                .or_else(|| <[Value]>::first(list))
        });
        if let Some(id) = existing.map(|a| &a["contactAddressId"]).filter(|id| !id.is_null()) {
            entry.insert("contactAddressId".into(), id.clone());
        }
        entry.insert("main".into(), true.into());
        for (i, key) in ["street1", "street2", "street3", "street4"].iter().enumerate() {
            entry.insert((*key).into(), json!(address.lines.get(i)));
        }
        let blank = |s: &str| json!(Some(s).filter(|s| !s.is_empty()));
        entry.insert("zipCode".into(), blank(&address.zip_code));
        entry.insert("town".into(), blank(&address.town));
        entry.insert("countryCode".into(), blank(&address.country_code));
        fields.insert("addresses".into(), json!([entry]));
    }
    if !changes.opt_ins.is_empty() {
        let list: Vec<Value> = changes
            .opt_ins
            .iter()
            .map(|o| json!({ "authorizationCode": o.code, "allowed": o.allowed }))
            .collect();
        fields.insert("authorizations".into(), Value::Array(list));
    }
    Value::Object(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::bus::{MainAddress, OptIn};

    #[test]
    fn changes_map_to_secutix_names_and_the_main_address_keeps_its_id() {
        let changes = ProfileChanges {
            first_name: Some("Jeanne".into()),
            phone: Some(String::new()),
            main_address: Some(MainAddress {
                lines: vec!["Avenue 1".into()],
                zip_code: "1000".into(),
                town: "Lausanne".into(),
                country_code: "CH".into(),
            }),
            opt_ins: vec![OptIn {
                code: "NEWSLTR".into(),
                allowed: false,
            }],
            ..ProfileChanges::default()
        };
        let raw = json!({ "addresses": [{ "contactAddressId": 7, "main": true }] });
        let fields = secutix_fields(&changes, &raw);
        assert_eq!(fields["firstname"], "Jeanne");
        assert_eq!(fields["cellPhoneNumber"], Value::Null);
        assert!(fields.get("lastname").is_none(), "unchanged fields are left out");
        assert_eq!(fields["addresses"][0]["contactAddressId"], 7);
        assert_eq!(fields["addresses"][0]["street1"], "Avenue 1");
        assert_eq!(fields["addresses"][0]["street2"], Value::Null);
        assert_eq!(
            fields["authorizations"],
            json!([{ "authorizationCode": "NEWSLTR", "allowed": false }])
        );
        let list = with_main_address(
            vec![json!({"main": false}), json!({"main": true, "billing": true})],
            changes.main_address.as_ref().expect("address"),
        );
        assert_eq!(list[1]["town"], "Lausanne");
        assert_eq!(list[1]["billing"], true);
        assert_eq!(list[0], json!({"main": false}));
    }
}
