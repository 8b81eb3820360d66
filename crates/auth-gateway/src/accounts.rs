//! Looking up the account someone signs in as: by login e-mail (any letter case), and only if
//! its contact may sign in (not merged or anonymised).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use sync_worker::db::schema::{accounts, contacts};
use uuid::Uuid;

#[derive(Debug, Clone, Queryable)]
pub struct SignInAccount {
    pub subject: Uuid,
    pub login_email: String,
    pub contact_number: String,
    pub password_hash: Option<String>,
}

pub async fn find_by_email(conn: &mut AsyncPgConnection, email: &str) -> QueryResult<Option<SignInAccount>> {
    accounts::table
        .left_join(contacts::table.on(contacts::contact_number.eq(accounts::contact_number)))
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(accounts.login_email) = lower(")
                .bind::<diesel::sql_types::Text, _>(email)
                .sql(")"),
        )
        .filter(contacts::state.is_null().or(contacts::state.eq("active")))
        .select((
            accounts::subject_id,
            accounts::login_email,
            accounts::contact_number,
            accounts::password_hash,
        ))
        .first(conn)
        .await
        .optional()
}
