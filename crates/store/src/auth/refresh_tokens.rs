//! `refresh_tokens`: refresh tokens keyed by their SHA-256, grouped in families (one per
//! grant). A token rotates at every use; presenting a spent one, or replaying the code a
//! family was issued from, revokes the family (RFC 9700 §4.14.2), except within the client's
//! reuse grace, where the same client gets the same successor again.
//!
//! Why a grace: a phone that loses the response of a refresh still holds only the spent token.
//! Without a grace its next attempt revokes the family and signs the fan out; with one, the
//! retry gets the successor it never received. It must be the *same* successor (a second one
//! would leave two live tokens in the family), yet only hashes of tokens are stored.
//!
//! How: when a token is spent ([`rotate`]), its row keeps its successor sealed under the spent
//! token itself ([`seal`]): the successor XORed with a keystream of SHA-256 over a domain
//! label, a block counter and the spent token. Only whoever presents the spent token can
//! unseal it ([`unseal`]); the database alone (hashes and seals) yields nothing. We chose
//! this over deriving successors as HMAC(key, spent token) with a key kept in the database:
//! there is no key to create, share between replicas, protect or rotate, and a seal can be
//! erased ([`erase_stale_seals`]) once no grace can need it, whereas a derivation key, read
//! together with any old token, would yield every later token of its family forever. Each
//! token is sealed at most once (only the statement that spends it writes its seal) and is 256
//! random bits, so a keystream is never reused; a tampered seal unseals to a token that names
//! no live row of the family, so nothing is returned for it.
//!
//! Concurrency, with any number of replicas: spending a token and inserting its successor is
//! one statement, conditional on the token being unspent, so of two presentations at once the
//! database's row lock lets one spend it; the other finds it spent, with the seal and the
//! successor already committed, and returns the same successor.

use chrono::{DateTime, Duration, Utc};
use diesel::{
    data_types::PgInterval,
    prelude::*,
    sql_types::{Bytea, Int4, Interval, Nullable},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::schema::{claims_requests, refresh_tokens};

/// What a new refresh token is issued for.
pub struct NewRefreshToken<'a> {
    pub family: Uuid,
    pub subject: Uuid,
    pub client_id: &'a str,
    pub scope: &'a str,
    pub auth_time: DateTime<Utc>,
    /// The authorization code the family was issued from (its first token only).
    pub code_hash: Option<&'a [u8]>,
    pub lifetime: Duration,
}

#[derive(Debug, Queryable)]
pub struct StoredRefresh {
    pub family_id: Uuid,
    pub subject_id: Uuid,
    pub client_id: String,
    pub scope: String,
    pub auth_time: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A refresh token still usable, as introspection reports it.
#[derive(Debug, Queryable)]
pub struct LiveRefresh {
    pub client_id: String,
    pub scope: String,
    pub expires_at: DateTime<Utc>,
    pub subject_id: Uuid,
}

/// What is stored of a token.
pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

pub async fn insert(conn: &mut AsyncPgConnection, token: &str, new: &NewRefreshToken<'_>) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::token_hash.eq(hash(token)),
            refresh_tokens::family_id.eq(new.family),
            refresh_tokens::subject_id.eq(new.subject),
            refresh_tokens::client_id.eq(new.client_id),
            refresh_tokens::expires_at.eq(Utc::now() + new.lifetime),
            refresh_tokens::code_hash.eq(new.code_hash),
            refresh_tokens::scope.eq(new.scope),
            refresh_tokens::auth_time.eq(new.auth_time),
        ))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn find(conn: &mut AsyncPgConnection, token_hash: &[u8]) -> QueryResult<Option<StoredRefresh>> {
    refresh_tokens::table
        .find(token_hash)
        .select((
            refresh_tokens::family_id,
            refresh_tokens::subject_id,
            refresh_tokens::client_id,
            refresh_tokens::scope,
            refresh_tokens::auth_time,
            refresh_tokens::expires_at,
            refresh_tokens::used_at,
            refresh_tokens::revoked_at,
        ))
        .first(conn)
        .await
        .optional()
}

/// The token if it is unused, unrevoked and unexpired.
pub async fn find_live(conn: &mut AsyncPgConnection, token_hash: &[u8]) -> QueryResult<Option<LiveRefresh>> {
    refresh_tokens::table
        .find(token_hash)
        .filter(refresh_tokens::used_at.is_null())
        .filter(refresh_tokens::revoked_at.is_null())
        .filter(refresh_tokens::expires_at.gt(Utc::now()))
        .select((
            refresh_tokens::client_id,
            refresh_tokens::scope,
            refresh_tokens::expires_at,
            refresh_tokens::subject_id,
        ))
        .first(conn)
        .await
        .optional()
}

/// Spends the token `presented_hash` and inserts `successor` in its family (same subject,
/// client, scope and sign-in time, living `lifetime`), keeping `sealed` (see [`seal`]) in the
/// spent row; one statement, so both happen or neither. `false` when the token was already
/// spent, revoked or expired, or its family revoked: nothing is written then.
pub async fn rotate(
    conn: &mut AsyncPgConnection,
    presented_hash: &[u8],
    successor: &str,
    sealed: Option<&[u8]>,
    lifetime: Duration,
) -> QueryResult<bool> {
    let inserted = diesel::sql_query(
        "WITH spent AS (\
           UPDATE refresh_tokens t SET used_at = now(), successor_sealed = $2 \
           WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.revoked_at IS NULL AND t.expires_at > now() \
           AND NOT EXISTS (SELECT 1 FROM refresh_tokens f WHERE f.family_id = t.family_id AND f.revoked_at IS NOT NULL) \
           RETURNING t.family_id, t.subject_id, t.client_id, t.scope, t.auth_time) \
         INSERT INTO refresh_tokens (token_hash, family_id, subject_id, client_id, expires_at, scope, auth_time) \
         SELECT $3, family_id, subject_id, client_id, now() + $4, scope, auth_time FROM spent",
    )
    .bind::<Bytea, _>(presented_hash)
    .bind::<Nullable<Bytea>, _>(sealed)
    .bind::<Bytea, _>(hash(successor))
    .bind::<Interval, _>(interval(lifetime))
    .execute(conn)
    .await?;
    Ok(inserted == 1)
}

#[derive(QueryableByName)]
struct Sealed {
    #[diesel(sql_type = Bytea)]
    successor_sealed: Vec<u8>,
}

/// The sealed successor of a token spent less than `grace` ago (by the database's clock, which
/// also stamped `used_at`, so replicas' clocks do not matter) and not revoked since.
pub async fn sealed_successor(
    conn: &mut AsyncPgConnection,
    presented_hash: &[u8],
    grace: Duration,
) -> QueryResult<Option<Vec<u8>>> {
    let sealed: Option<Sealed> = diesel::sql_query(
        "SELECT successor_sealed FROM refresh_tokens WHERE token_hash = $1 AND revoked_at IS NULL \
         AND successor_sealed IS NOT NULL AND used_at > now() - $2",
    )
    .bind::<Bytea, _>(presented_hash)
    .bind::<Interval, _>(interval(grace))
    .get_result(conn)
    .await
    .optional()?;
    Ok(sealed.map(|s| s.successor_sealed))
}

/// Erases up to `limit` seals of tokens spent more than `older_than` ago, which no grace can
/// need any more. Skips rows other transactions hold rather than wait for them, so it never
/// delays a rotation and never takes part in a deadlock.
pub async fn erase_stale_seals(conn: &mut AsyncPgConnection, older_than: Duration, limit: i32) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE refresh_tokens SET successor_sealed = NULL WHERE token_hash IN (\
           SELECT token_hash FROM refresh_tokens WHERE successor_sealed IS NOT NULL AND used_at < now() - $1 \
           ORDER BY used_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
    )
    .bind::<Interval, _>(interval(older_than))
    .bind::<Int4, _>(limit)
    .execute(conn)
    .await
}

/// `successor` sealed under `presented`, the token it replaces (see the module comment).
pub fn seal(presented: &str, successor: &str) -> Vec<u8> {
    xor_keystream(presented, successor.as_bytes())
}

/// The successor sealed under `presented`; `None` when the seal was not made with it.
pub fn unseal(presented: &str, sealed: &[u8]) -> Option<String> {
    String::from_utf8(xor_keystream(presented, sealed)).ok()
}

/// `data` XOR SHA-256(label ‖ block ‖ key) ‖ SHA-256(label ‖ block + 1 ‖ key) ‖ …: the label
/// keeps the keystream apart from the stored SHA-256(key), and the key comes last so nothing
/// derived from a stored hash by length extension can equal it.
fn xor_keystream(key: &str, data: &[u8]) -> Vec<u8> {
    const LABEL: &[u8] = b"secutix-bridge refresh-token successor seal v1";
    (0u8..=u8::MAX)
        .flat_map(|block| {
            Sha256::new()
                .chain_update(LABEL)
                .chain_update([block])
                .chain_update(key.as_bytes())
                .finalize()
        })
        .zip(data)
        .map(|(pad, byte)| pad ^ byte)
        .collect()
}

fn interval(duration: Duration) -> PgInterval {
    PgInterval::from_microseconds(duration.num_microseconds().unwrap_or(i64::MAX))
}

/// Revokes every token of a family (the grant ends).
pub async fn revoke_family(conn: &mut AsyncPgConnection, family: Uuid) -> QueryResult<()> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::family_id.eq(family)))
        .set((
            refresh_tokens::revoked_at.eq(Utc::now()),
            // No grace for a revoked family: its seals are of no use any more.
            refresh_tokens::successor_sealed.eq(None::<Vec<u8>>),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Revokes the tokens issued from an authorization code (the code was replayed).
pub async fn revoke_issued_from_code(conn: &mut AsyncPgConnection, code_hash: &[u8]) -> QueryResult<()> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::code_hash.eq(code_hash)))
        .set(refresh_tokens::revoked_at.eq(Utc::now()))
        .execute(conn)
        .await
        .map(drop)
}

/// The claims the code a family was issued from asked userinfo for with the `claims` request
/// parameter (OIDC Core §5.5), so its refreshed access tokens ask for them too; empty when it
/// asked for none.
pub async fn userinfo_claims(conn: &mut AsyncPgConnection, family: Uuid) -> QueryResult<Vec<String>> {
    claims_requests::table
        .inner_join(refresh_tokens::table.on(refresh_tokens::code_hash.eq(claims_requests::code_hash.nullable())))
        .filter(refresh_tokens::family_id.eq(family))
        .select(claims_requests::userinfo)
        .first(conn)
        .await
        .optional()
        .map(Option::unwrap_or_default)
}

/// The family and client of a token, whatever its state (revocation by refresh token).
pub async fn family_of(conn: &mut AsyncPgConnection, token_hash: &[u8]) -> QueryResult<Option<(Uuid, String)>> {
    refresh_tokens::table
        .find(token_hash)
        .select((refresh_tokens::family_id, refresh_tokens::client_id))
        .first(conn)
        .await
        .optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPENT: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const SUCCESSOR: &str = "uhbUJU1p1r_wW1gFWFOEjXkdBjftJeZ4CVP-mB92K27";

    #[test]
    fn only_the_spent_token_unseals_its_successor() {
        let sealed = seal(SPENT, SUCCESSOR);
        assert_eq!(sealed.len(), SUCCESSOR.len());
        assert_eq!(unseal(SPENT, &sealed).as_deref(), Some(SUCCESSOR));
        assert!(
            !sealed
                .windows(8)
                .any(|w| SUCCESSOR.as_bytes().windows(8).any(|s| s == w)),
            "the seal shows nothing of the successor"
        );
        let other = unseal(SUCCESSOR, &sealed);
        assert_ne!(
            other.as_deref(),
            Some(SUCCESSOR),
            "another token unseals nothing useful"
        );
    }

    #[test]
    fn seals_differ_per_spent_token_and_keep_clear_of_its_stored_hash() {
        assert_ne!(seal(SPENT, SUCCESSOR), seal(SUCCESSOR, SUCCESSOR));
        let pad = seal(SPENT, &"\0".repeat(32));
        assert_ne!(pad, hash(SPENT), "the keystream is not the stored hash");
        let long = "x".repeat(100);
        assert_eq!(unseal(SPENT, &seal(SPENT, &long)), Some(long), "longer than one block");
    }
}
