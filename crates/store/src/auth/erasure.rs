//! `erasure_requests`, and the deletion of an account with everything that signs it in: its
//! password, sessions, refresh tokens, codes and set-password links (the foreign keys cascade),
//! after queueing the back-channel logouts its sessions owe. The worker deletes an account this
//! way when S-360 anonymises its contact; a fan's own request at the gateway also records what
//! was erased and what is left for the organisation to do at S-360.

use diesel::{prelude::*, sql_types};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::schema::accounts;

/// What a fan's deletion erases at once.
pub const ERASED: &[&str] = &[
    "the account and its login e-mail address",
    "the password",
    "every session and refresh token",
    "unused authorization codes and set-password links",
];

/// What it leaves for the organisation: S-360 is the contact's master and its API anonymises
/// nothing, nor removes an SSO link.
pub fn pending() -> Value {
    json!({
        "s360_contact": "kept at S-360 and in the contact mirror: anonymise it in the S-360 back office if the request covers it",
        "sso_link": "kept at S-360: the contact API offers no call to remove it; remove it in the S-360 back office",
    })
}

/// Deletes the account, after queueing its sessions' back-channel logouts. False when there
/// was no such account.
pub async fn delete_account(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<bool> {
    super::logouts::queue_for_subject(conn, subject).await?;
    let deleted = diesel::delete(accounts::table.find(subject)).execute(conn).await?;
    Ok(deleted == 1)
}

#[derive(QueryableByName)]
struct Recorded {
    #[diesel(sql_type = sql_types::BigInt)]
    id: i64,
}

/// A fan's own erasure request: the account goes as [`delete_account`] does, and the request is
/// recorded with its contact number. Returns the request's id, or `None` when the account was
/// already gone. Run it in a transaction.
pub async fn erase_on_request(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<Option<i64>> {
    super::logouts::queue_for_subject(conn, subject).await?;
    let recorded: Option<Recorded> = diesel::sql_query(
        "WITH gone AS (DELETE FROM accounts WHERE subject_id = $1 RETURNING subject_id, contact_number) \
         INSERT INTO erasure_requests (subject_id, contact_number, erased, pending) \
         SELECT subject_id, contact_number, $2, $3 FROM gone RETURNING id",
    )
    .bind::<sql_types::Uuid, _>(subject)
    .bind::<sql_types::Jsonb, _>(json!(ERASED))
    .bind::<sql_types::Jsonb, _>(pending())
    .get_result(conn)
    .await
    .optional()?;
    Ok(recorded.map(|r| r.id))
}
