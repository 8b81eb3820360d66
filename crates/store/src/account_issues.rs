//! `account_issues`: what could not be applied to an account and needs a person, reported for
//! the support desk instead of guessed. Written by the gateway (a fan's e-mail change that met
//! another account's address) and by the worker (S-360 gave a contact such an address). Holds
//! subject ids and contact numbers, never addresses.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use crate::schema::account_issues;

/// Who asked for the change that clashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangedBy {
    /// The fan, on the profile page.
    Fan,
    /// S-360, the contact's master.
    S360,
}

/// Records that `subject`'s login e-mail could not become an address `other` signs in with.
pub async fn email_clash(
    conn: &mut AsyncPgConnection,
    subject: Uuid,
    contact_number: Option<&str>,
    by: ChangedBy,
    other: Uuid,
) -> QueryResult<()> {
    let by = match by {
        ChangedBy::Fan => "fan",
        ChangedBy::S360 => "s360",
    };
    diesel::insert_into(account_issues::table)
        .values((
            account_issues::subject_id.eq(subject),
            account_issues::contact_number.eq(contact_number),
            account_issues::kind.eq("email_clash"),
            account_issues::details.eq(json!({ "changed_by": by, "other_subject_id": other })),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// The account signing in with `email` (any letter case), other than `subject`.
pub async fn login_owner(conn: &mut AsyncPgConnection, email: &str, subject: Uuid) -> QueryResult<Option<Uuid>> {
    use crate::schema::accounts;
    accounts::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(accounts.login_email) = lower(")
                .bind::<diesel::sql_types::Text, _>(email)
                .sql(")"),
        )
        .filter(accounts::subject_id.ne(subject))
        .select(accounts::subject_id)
        .first(conn)
        .await
        .optional()
}
