//! The language to write to an account in: the one chosen at sign-up while the account has
//! one, else its contact's as mirrored (imported accounts).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::schema::contacts;

/// The language of a contact as mirrored.
pub async fn contact_language(conn: &mut AsyncPgConnection, number: &str) -> QueryResult<Option<String>> {
    Ok(contacts::table
        .find(number)
        .select(contacts::language)
        .first::<Option<String>>(conn)
        .await
        .optional()?
        .flatten())
}
