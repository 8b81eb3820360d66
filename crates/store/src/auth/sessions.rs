//! `sessions`: browser sessions at the gateway. A row is keyed by the SHA-256 of the cookie
//! value, which only the browser holds. Sessions end at logout, after [`IDLE_TIMEOUT`] idle or
//! [`ABSOLUTE_TIMEOUT`] in all, and at once when the account's contact is merged or
//! anonymised, or its password changes ([`revoke_all`], shared by the gateway and the worker).
//! Each session records how it was opened ([`AuthMethod`]), for the ID token's `amr`.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::method::AuthMethod;
use crate::schema::{accounts, contacts, refresh_tokens, sessions};

pub const IDLE_TIMEOUT: Duration = Duration::minutes(30);
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(8);

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: Vec<u8>,
    pub subject: Uuid,
    pub auth_time: DateTime<Utc>,
    /// How the fan signed in.
    pub method: AuthMethod,
}

/// Opens a session signed in with `method`; returns the cookie value (shown to the browser
/// only) and the session.
pub async fn create(conn: &mut AsyncPgConnection, subject: Uuid, method: AuthMethod) -> QueryResult<(String, Session)> {
    let (value, id) = mint()?;
    let now = Utc::now();
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(&id),
            sessions::subject_id.eq(subject),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(now + ABSOLUTE_TIMEOUT),
            sessions::auth_method.eq(method),
        ))
        .execute(conn)
        .await?;
    Ok((
        value,
        Session {
            id,
            subject,
            auth_time: now,
            method,
        },
    ))
}

/// The live session of a cookie value, touching its idle timer; `None` when unknown, revoked,
/// expired, idle too long, or its account can no longer sign in.
pub async fn find(conn: &mut AsyncPgConnection, value: &str) -> QueryResult<Option<Session>> {
    let id = digest(value);
    let now = Utc::now();
    let row: Option<(Uuid, DateTime<Utc>, AuthMethod, Option<String>)> = sessions::table
        .inner_join(accounts::table)
        .left_join(contacts::table.on(contacts::contact_number.nullable().eq(accounts::contact_number)))
        .filter(sessions::id.eq(&id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::last_seen_at.gt(now - IDLE_TIMEOUT))
        .select((
            sessions::subject_id,
            sessions::created_at,
            sessions::auth_method,
            contacts::state.nullable(),
        ))
        .first(conn)
        .await
        .optional()?;
    match row {
        Some((subject, created, method, state)) if matches!(state.as_deref(), None | Some("active")) => {
            diesel::update(sessions::table.find(&id))
                .set(sessions::last_seen_at.eq(now))
                .execute(conn)
                .await?;
            Ok(Some(Session {
                id,
                subject,
                auth_time: created,
                method,
            }))
        }
        _ => Ok(None),
    }
}

/// Ends one session (logout, or the session a new sign-in replaces), queueing the
/// back-channel logouts of its clients.
pub async fn revoke(conn: &mut AsyncPgConnection, id: &[u8]) -> QueryResult<()> {
    super::logouts::queue_for_sessions(conn, &[id.to_vec()]).await?;
    diesel::update(sessions::table.find(id))
        .set(sessions::revoked_at.eq(Utc::now()))
        .execute(conn)
        .await
        .map(drop)
}

/// Revokes every live session and refresh token of an account, queueing the back-channel
/// logouts of their clients: a password change at the gateway, a merge in the worker.
pub async fn revoke_all(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<()> {
    super::logouts::queue_for_subject(conn, subject).await?;
    let now = diesel::dsl::now;
    diesel::update(
        sessions::table
            .filter(sessions::subject_id.eq(subject))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(now))
    .execute(conn)
    .await?;
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::subject_id.eq(subject))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// A live session of an account, as its owner sees it on "my sessions".
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct Live {
    pub id: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// The account's live sessions, the most recently used first.
pub async fn live(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<Vec<Live>> {
    let now = Utc::now();
    sessions::table
        .filter(sessions::subject_id.eq(subject))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::last_seen_at.gt(now - IDLE_TIMEOUT))
        .order(sessions::last_seen_at.desc())
        .select((sessions::id, sessions::created_at, sessions::last_seen_at))
        .load(conn)
        .await
}

/// The session's `sid` as relying parties see it (OIDC Back-Channel Logout §2.1): the first
/// 128 bits of the SHA-256 of the stored id, in hex. It names the session without revealing
/// the cookie, and the database computes the same value (`logouts`).
pub fn sid(id: &[u8]) -> String {
    Sha256::digest(id)[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// A new session's cookie value and its id (the value's SHA-256, all the table keeps).
pub(crate) fn mint() -> QueryResult<(String, Vec<u8>)> {
    let value = infra::secrets::random_token().ok_or(diesel::result::Error::RollbackTransaction)?;
    let id = digest(&value);
    Ok((value, id))
}

fn digest(value: &str) -> Vec<u8> {
    Sha256::digest(value.as_bytes()).to_vec()
}
