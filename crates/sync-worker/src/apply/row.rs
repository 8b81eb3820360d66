//! The contact upsert, guarded so a row is only replaced by an event of greater
//! `(state rank, version, event id)`.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{
    prelude::*,
    sql_types::{Array, Bool, Date, Jsonb, Nullable, SmallInt, Text, Timestamptz, Uuid as SqlUuid, Varchar},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::{ContactEvent, Lifecycle};
use store::schema::contacts;

/// A contact as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = contacts)]
pub struct ContactRow {
    pub contact_number: String,
    pub state: String,
    pub head_contact_number: Option<String>,
    pub title: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub language: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: Option<String>,
    pub has_login: Option<bool>,
    pub addresses: serde_json::Value,
    pub authorizations: serde_json::Value,
    pub raw: serde_json::Value,
    pub version_time: DateTime<Utc>,
    pub version_event_id: Uuid,
    pub source: String,
}

/// What an apply did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The row was inserted or replaced by this event.
    Written,
    /// The stored row outranks this event: nothing changed (a duplicate, a late event, or any
    /// update after an anonymisation).
    Stale,
}

/// Ranks a stored state the way [`Lifecycle::rank`] ranks an event's.
const STORED_RANK: &str = "CASE contacts.state WHEN 'active' THEN 0 WHEN 'merged' THEN 1 ELSE 2 END";

/// Columns written by both upserts, in order.
const COLUMNS: &str = "contact_number, state, head_contact_number, title, first_name, last_name, birth_date, \
    language, email, phone, role, has_login, addresses, authorizations, raw, version_time, version_event_id, source";

/// The conflict clause of both upserts: replace only when the incoming event outranks the row.
fn on_conflict(incoming_rank: &str) -> String {
    format!(
        "ON CONFLICT (contact_number) DO UPDATE SET \
             state = EXCLUDED.state, head_contact_number = EXCLUDED.head_contact_number, \
             title = EXCLUDED.title, first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name, \
             birth_date = EXCLUDED.birth_date, language = EXCLUDED.language, email = EXCLUDED.email, \
             phone = EXCLUDED.phone, role = EXCLUDED.role, has_login = EXCLUDED.has_login, \
             addresses = EXCLUDED.addresses, authorizations = EXCLUDED.authorizations, raw = EXCLUDED.raw, \
             version_time = EXCLUDED.version_time, version_event_id = EXCLUDED.version_event_id, \
             source = EXCLUDED.source, updated_at = now() \
         WHERE ({STORED_RANK}, contacts.version_time, contacts.version_event_id) \
             < ({incoming_rank}, EXCLUDED.version_time, EXCLUDED.version_event_id)"
    )
}

/// Inserts the event's contact, or replaces the stored one when the event outranks it. Runs in
/// the caller's transaction.
pub async fn upsert(conn: &mut AsyncPgConnection, event: &ContactEvent) -> QueryResult<Applied> {
    let contact = &event.contact;
    let head = match &event.lifecycle {
        Lifecycle::Merged { head } => Some(head.as_str()),
        _ => None,
    };
    let query = format!(
        "INSERT INTO contacts ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) {}",
        on_conflict("$19")
    );
    let written = diesel::sql_query(query)
        .bind::<Varchar, _>(contact.contact_number.as_str())
        .bind::<Text, _>(event.lifecycle.state())
        .bind::<Nullable<Varchar>, _>(head)
        .bind::<Nullable<Text>, _>(contact.title.as_deref())
        .bind::<Nullable<Text>, _>(contact.first_name.as_deref())
        .bind::<Nullable<Text>, _>(contact.last_name.as_deref())
        .bind::<Nullable<Date>, _>(contact.birth_date)
        .bind::<Nullable<Text>, _>(contact.language.as_deref())
        .bind::<Nullable<Text>, _>(contact.email.as_ref().map(model::Email::as_str))
        .bind::<Nullable<Text>, _>(contact.phone.as_deref())
        .bind::<Nullable<Text>, _>(contact.role.as_deref())
        .bind::<Nullable<Bool>, _>(contact.has_login)
        .bind::<Jsonb, _>(to_json(&contact.addresses))
        .bind::<Jsonb, _>(to_json(&contact.authorizations))
        .bind::<Jsonb, _>(&contact.raw)
        .bind::<Timestamptz, _>(event.version_time)
        .bind::<SqlUuid, _>(event.event_id)
        .bind::<Text, _>(event.source)
        .bind::<SmallInt, _>(event.lifecycle.rank())
        .execute(conn)
        .await?;
    Ok(if written == 1 { Applied::Written } else { Applied::Stale })
}

#[derive(QueryableByName)]
struct WrittenNumber {
    #[diesel(sql_type = Varchar)]
    contact_number: String,
}

/// Upserts plain updates (active contacts, at most one event per contact) in one statement,
/// returning the contact numbers actually written.
pub async fn upsert_many(conn: &mut AsyncPgConnection, events: &[&ContactEvent]) -> QueryResult<HashSet<String>> {
    if events.is_empty() {
        return Ok(HashSet::new());
    }
    let query = format!(
        "INSERT INTO contacts ({COLUMNS}) \
         SELECT n, 'active', NULL, t, f, l, b, lang, e, p, r, h, a, au, raw, vt, vid, src \
         FROM UNNEST($1::varchar[], $2::text[], $3::text[], $4::text[], $5::date[], $6::text[], $7::text[], \
                     $8::text[], $9::text[], $10::bool[], $11::jsonb[], $12::jsonb[], $13::jsonb[], \
                     $14::timestamptz[], $15::uuid[], $16::text[]) \
              AS u(n, t, f, l, b, lang, e, p, r, h, a, au, raw, vt, vid, src) {} \
         RETURNING contact_number",
        on_conflict("0")
    );
    let column = |f: fn(&ContactEvent) -> Option<&str>| events.iter().map(|e| f(e)).collect::<Vec<_>>();
    let written: Vec<WrittenNumber> = diesel::sql_query(query)
        .bind::<Array<Varchar>, _>(
            events
                .iter()
                .map(|e| e.contact.contact_number.as_str())
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Nullable<Text>>, _>(column(|e| e.contact.title.as_deref()))
        .bind::<Array<Nullable<Text>>, _>(column(|e| e.contact.first_name.as_deref()))
        .bind::<Array<Nullable<Text>>, _>(column(|e| e.contact.last_name.as_deref()))
        .bind::<Array<Nullable<Date>>, _>(events.iter().map(|e| e.contact.birth_date).collect::<Vec<_>>())
        .bind::<Array<Nullable<Text>>, _>(column(|e| e.contact.language.as_deref()))
        .bind::<Array<Nullable<Text>>, _>(column(|e| e.contact.email.as_ref().map(model::Email::as_str)))
        .bind::<Array<Nullable<Text>>, _>(column(|e| e.contact.phone.as_deref()))
        .bind::<Array<Nullable<Text>>, _>(column(|e| e.contact.role.as_deref()))
        .bind::<Array<Nullable<Bool>>, _>(events.iter().map(|e| e.contact.has_login).collect::<Vec<_>>())
        .bind::<Array<Jsonb>, _>(events.iter().map(|e| to_json(&e.contact.addresses)).collect::<Vec<_>>())
        .bind::<Array<Jsonb>, _>(
            events
                .iter()
                .map(|e| to_json(&e.contact.authorizations))
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Jsonb>, _>(events.iter().map(|e| &e.contact.raw).collect::<Vec<_>>())
        .bind::<Array<Timestamptz>, _>(events.iter().map(|e| e.version_time).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(events.iter().map(|e| e.event_id).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(events.iter().map(|e| e.source).collect::<Vec<_>>())
        .load(conn)
        .await?;
    Ok(written.into_iter().map(|w| w.contact_number).collect())
}

/// Loads one contact by number.
pub async fn find(conn: &mut AsyncPgConnection, number: &str) -> QueryResult<Option<ContactRow>> {
    contacts::table
        .find(number)
        .select(ContactRow::as_select())
        .first(conn)
        .await
        .optional()
}

fn to_json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    // Serialising plain structs of strings and booleans cannot fail.
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}
