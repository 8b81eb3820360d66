//! `passkey_ceremonies_spent`: the passkey ceremonies already answered. A ceremony under way
//! lives in the browser, sealed in a cookie by the gateway (`auth-gateway`'s
//! `passkeys::ceremony`) under a key every replica holds, so starting one writes nothing; what
//! the database must still hold is which ceremonies were used, so that each is used once:
//! [`spend`] records a ceremony's id at its first answer, right or wrong, and a second answer
//! with the same cookie finds it. A passkey sign-in spends its ceremony in the statement that
//! opens the session (`passkey_sign_in`).
//!
//! A ceremony's id is a UUIDv7 ([`new_id`]): its leading 48 bits are the millisecond it
//! started, so ids order by age and a row is only needed until its ceremony has expired. One
//! spend in [`SWEEP_EVERY`] deletes the ids older than [`LIFETIME`] and a minute (the margin
//! covers the id's millisecond truncation and clocks of replicas a little apart), a range of
//! the primary key.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::passkey_ceremonies_spent;

/// How long a ceremony may take (browsers time out WebAuthn prompts after a few minutes).
pub const LIFETIME: chrono::Duration = chrono::Duration::minutes(5);
/// How much longer than [`LIFETIME`] a spent id is kept.
const MARGIN: chrono::Duration = chrono::Duration::minutes(1);
/// One spend in this many also deletes the rows of expired ceremonies.
const SWEEP_EVERY: u8 = 64;

/// A new ceremony's id: a UUIDv7, time-ordered (its start, to the millisecond), random after.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// Records ceremony `id` as answered; `false` when it was before.
pub async fn spend(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<bool> {
    sweep_sometimes(conn).await?;
    diesel::insert_into(passkey_ceremonies_spent::table)
        .values(passkey_ceremonies_spent::id.eq(id))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(|rows| rows == 1)
}

/// One call in [`SWEEP_EVERY`] deletes the ids of ceremonies that expired more than a minute
/// ago (an expired ceremony is refused before its id is looked at).
pub async fn sweep_sometimes(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    if super::one_in(SWEEP_EVERY) {
        sweep(conn, Utc::now()).await?;
    }
    Ok(())
}

/// Deletes the ids of ceremonies started before `now` − [`LIFETIME`] − a minute; how many.
pub async fn sweep(conn: &mut AsyncPgConnection, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(
        passkey_ceremonies_spent::table.filter(passkey_ceremonies_spent::id.lt(first_id_at(now - LIFETIME - MARGIN))),
    )
    .execute(conn)
    .await
}

/// The smallest UUIDv7 of the millisecond `at`: every id of a ceremony started earlier is
/// below it.
fn first_id_at(at: DateTime<Utc>) -> Uuid {
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    bytes[6] = 0x70;
    bytes[8] = 0x80;
    Uuid::from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_earlier_ceremonies_sort_below_the_cutoff_and_later_ones_above() {
        let before = new_id();
        std::thread::sleep(std::time::Duration::from_millis(3));
        let cutoff = first_id_at(Utc::now());
        std::thread::sleep(std::time::Duration::from_millis(3));
        let after = new_id();
        assert!(before < cutoff && cutoff < after, "{before} {cutoff} {after}");
        // PostgreSQL compares uuids byte by byte, as `Uuid`'s `Ord` does.
        assert!(before.as_bytes() < cutoff.as_bytes() && cutoff.as_bytes() < after.as_bytes());
        assert_eq!(cutoff.get_version_num(), 7);
    }
}
