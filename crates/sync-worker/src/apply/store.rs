//! The contact upsert, guarded by the version so an older event never overwrites a newer one.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{prelude::*, upsert::excluded};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::ContactEvent;
use crate::db::schema::contacts;

/// A contact as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = contacts)]
pub struct ContactRow {
    pub contact_number: String,
    pub state: String,
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

#[derive(Insertable)]
#[diesel(table_name = contacts)]
struct NewContact<'a> {
    contact_number: &'a str,
    title: Option<&'a str>,
    first_name: Option<&'a str>,
    last_name: Option<&'a str>,
    birth_date: Option<NaiveDate>,
    language: Option<&'a str>,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    role: Option<&'a str>,
    has_login: Option<bool>,
    addresses: serde_json::Value,
    authorizations: serde_json::Value,
    raw: &'a serde_json::Value,
    version_time: DateTime<Utc>,
    version_event_id: Uuid,
    source: &'a str,
}

/// What an apply did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The row was inserted or replaced by this newer version.
    Written,
    /// The stored version is newer or equal: nothing changed (a duplicate or a late event).
    Stale,
}

/// Inserts the contact, or replaces the stored one when this event's version
/// `(version_time, event_id)` is strictly greater. Runs in the caller's transaction.
pub async fn apply_contact(
    conn: &mut AsyncPgConnection,
    event: &ContactEvent,
) -> QueryResult<Applied> {
    let contact = &event.contact;
    let row = NewContact {
        contact_number: contact.contact_number.as_str(),
        title: contact.title.as_deref(),
        first_name: contact.first_name.as_deref(),
        last_name: contact.last_name.as_deref(),
        birth_date: contact.birth_date,
        language: contact.language.as_deref(),
        email: contact.email.as_ref().map(model::Email::as_str),
        phone: contact.phone.as_deref(),
        role: contact.role.as_deref(),
        has_login: contact.has_login,
        addresses: to_json(&contact.addresses),
        authorizations: to_json(&contact.authorizations),
        raw: &contact.raw,
        version_time: event.version_time,
        version_event_id: event.event_id,
        source: event.source,
    };
    // `filter` on an upsert adds `WHERE` to its `DO UPDATE` (the version guard).
    use contacts::dsl as c;
    use diesel::query_dsl::methods::FilterDsl as _;
    let newer = c::version_time
        .lt(excluded(c::version_time))
        .or(c::version_time
            .eq(excluded(c::version_time))
            .and(c::version_event_id.lt(excluded(c::version_event_id))));
    let written = diesel::insert_into(contacts::table)
        .values(&row)
        .on_conflict(c::contact_number)
        .do_update()
        .set((
            c::title.eq(excluded(c::title)),
            c::first_name.eq(excluded(c::first_name)),
            c::last_name.eq(excluded(c::last_name)),
            c::birth_date.eq(excluded(c::birth_date)),
            c::language.eq(excluded(c::language)),
            c::email.eq(excluded(c::email)),
            c::phone.eq(excluded(c::phone)),
            c::role.eq(excluded(c::role)),
            c::has_login.eq(excluded(c::has_login)),
            c::addresses.eq(excluded(c::addresses)),
            c::authorizations.eq(excluded(c::authorizations)),
            c::raw.eq(excluded(c::raw)),
            c::version_time.eq(excluded(c::version_time)),
            c::version_event_id.eq(excluded(c::version_event_id)),
            c::source.eq(excluded(c::source)),
            c::updated_at.eq(diesel::dsl::now),
        ))
        .filter(newer)
        .execute(conn)
        .await?;
    Ok(if written == 1 {
        Applied::Written
    } else {
        Applied::Stale
    })
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
