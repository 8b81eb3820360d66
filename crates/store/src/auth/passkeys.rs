//! `passkeys`: a fan's WebAuthn credentials, several per account, each named. The credential
//! itself is the webauthn-rs `Passkey` as JSON, which this crate stores without reading (the
//! gateway alone speaks WebAuthn); what the database must enforce is in columns: the
//! credential id (unique across accounts), the signature counter and the backup flags.
//!
//! **Counter.** A sign-in moves the counter only if the stored one is still the one the
//! assertion was verified against and below the new one (or both are 0, an authenticator
//! without a counter, as synced passkeys are): two replicas verifying assertions of one
//! credential at the same moment cannot both move it, and a counter going backwards (a cloned
//! authenticator) changes nothing and is refused ([`super::passkey_sign_in`]). The stored
//! credential is the one enrolled: the columns hold the counter and backup state since.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::passkeys;

/// The longest name a fan may give a passkey, in characters.
pub const NAME_MAX: usize = 64;
/// Passkeys per account, at most (the exclusion list a browser gets stays short).
pub const PER_ACCOUNT: i64 = 20;

/// A stored passkey.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = passkeys)]
pub struct StoredPasskey {
    pub id: Uuid,
    pub subject_id: Uuid,
    pub credential_id: Vec<u8>,
    pub name: String,
    /// The webauthn-rs `Passkey`, serialised.
    pub credential: serde_json::Value,
    pub sign_count: i64,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A passkey just enrolled.
pub struct NewPasskey<'a> {
    pub subject: Uuid,
    pub credential_id: &'a [u8],
    pub name: &'a str,
    pub credential: &'a serde_json::Value,
    pub sign_count: u32,
    pub backup_eligible: bool,
    pub backup_state: bool,
}

/// Stores an enrolled passkey; `false` when its credential id is already enrolled (by this or
/// another account: an authenticator's credential belongs to one account).
pub async fn insert(conn: &mut AsyncPgConnection, new: &NewPasskey<'_>) -> QueryResult<bool> {
    diesel::insert_into(passkeys::table)
        .values((
            passkeys::id.eq(Uuid::now_v7()),
            passkeys::subject_id.eq(new.subject),
            passkeys::credential_id.eq(new.credential_id),
            passkeys::name.eq(new.name),
            passkeys::credential.eq(new.credential),
            passkeys::sign_count.eq(i64::from(new.sign_count)),
            passkeys::backup_eligible.eq(new.backup_eligible),
            passkeys::backup_state.eq(new.backup_state),
        ))
        .on_conflict(passkeys::credential_id)
        .do_nothing()
        .execute(conn)
        .await
        .map(|rows| rows == 1)
}

/// The account's passkeys, oldest first.
pub async fn list(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<Vec<StoredPasskey>> {
    passkeys::table
        .filter(passkeys::subject_id.eq(subject))
        .order((passkeys::created_at.asc(), passkeys::id.asc()))
        .select(StoredPasskey::as_select())
        .load(conn)
        .await
}

/// How many passkeys the account has.
pub async fn count(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<i64> {
    passkeys::table
        .filter(passkeys::subject_id.eq(subject))
        .count()
        .get_result(conn)
        .await
}

/// The passkey of a credential id, if it is enrolled (by `subject`, the user handle the
/// authenticator returned: a credential presented with another account's handle is unknown).
pub async fn find(
    conn: &mut AsyncPgConnection,
    subject: Uuid,
    credential_id: &[u8],
) -> QueryResult<Option<StoredPasskey>> {
    passkeys::table
        .filter(passkeys::credential_id.eq(credential_id))
        .filter(passkeys::subject_id.eq(subject))
        .select(StoredPasskey::as_select())
        .first(conn)
        .await
        .optional()
}

/// Removes one of the account's passkeys; `false` if it has no such passkey.
pub async fn remove(conn: &mut AsyncPgConnection, subject: Uuid, id: Uuid) -> QueryResult<bool> {
    diesel::delete(
        passkeys::table
            .filter(passkeys::id.eq(id))
            .filter(passkeys::subject_id.eq(subject)),
    )
    .execute(conn)
    .await
    .map(|rows| rows == 1)
}
