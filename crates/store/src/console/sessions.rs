//! `staff_sessions`: the console's sessions, keyed by the SHA-256 of the cookie value. Short:
//! [`IDLE_TIMEOUT`] idle, [`ABSOLUTE_TIMEOUT`] in all, and ended at once when the staff
//! account is disabled. `auth_time` is the last time the staff member proved password and
//! TOTP at the gateway; a destructive action wants it within [`FRESH_SIGN_IN`].

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::Role;
use crate::schema::{staff_accounts, staff_sessions};

pub const IDLE_TIMEOUT: Duration = Duration::minutes(30);
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(8);
/// How recent a sign-in a destructive action wants.
pub const FRESH_SIGN_IN: Duration = Duration::minutes(5);

/// A live console session.
#[derive(Debug, Clone)]
pub struct StaffSession {
    pub id: Vec<u8>,
    pub staff_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub auth_time: DateTime<Utc>,
}

impl StaffSession {
    /// Whether the last sign-in is recent enough for a destructive action.
    pub fn fresh(&self, now: DateTime<Utc>) -> bool {
        now - self.auth_time <= FRESH_SIGN_IN
    }
}

/// Opens a session; returns the cookie value, which only the browser keeps.
pub async fn create(
    conn: &mut AsyncPgConnection,
    staff_id: Uuid,
    role: Role,
    auth_time: DateTime<Utc>,
) -> QueryResult<String> {
    let value = infra::secrets::random_token().ok_or(diesel::result::Error::RollbackTransaction)?;
    let now = Utc::now();
    diesel::insert_into(staff_sessions::table)
        .values((
            staff_sessions::id.eq(digest(&value)),
            staff_sessions::staff_id.eq(staff_id),
            staff_sessions::role.eq(role.as_str()),
            staff_sessions::auth_time.eq(auth_time),
            staff_sessions::created_at.eq(now),
            staff_sessions::last_seen_at.eq(now),
            staff_sessions::expires_at.eq(now + ABSOLUTE_TIMEOUT),
        ))
        .execute(conn)
        .await?;
    Ok(value)
}

/// The live session of a cookie value, touching its idle timer.
pub async fn find(conn: &mut AsyncPgConnection, value: &str) -> QueryResult<Option<StaffSession>> {
    let id = digest(value);
    let now = Utc::now();
    let row: Option<(Uuid, String, String, String, DateTime<Utc>)> = staff_sessions::table
        .inner_join(staff_accounts::table)
        .filter(staff_sessions::id.eq(&id))
        .filter(staff_sessions::revoked_at.is_null())
        .filter(staff_sessions::expires_at.gt(now))
        .filter(staff_sessions::last_seen_at.gt(now - IDLE_TIMEOUT))
        .filter(staff_accounts::disabled_at.is_null())
        .select((
            staff_sessions::staff_id,
            staff_accounts::email,
            staff_accounts::name,
            staff_sessions::role,
            staff_sessions::auth_time,
        ))
        .first(conn)
        .await
        .optional()?;
    let Some((staff_id, email, name, role, auth_time)) = row else {
        return Ok(None);
    };
    let Some(role) = Role::parse(&role) else {
        return Ok(None);
    };
    diesel::update(staff_sessions::table.find(&id))
        .set(staff_sessions::last_seen_at.eq(now))
        .execute(conn)
        .await?;
    Ok(Some(StaffSession {
        id,
        staff_id,
        email,
        name,
        role,
        auth_time,
    }))
}

/// Ends a session (sign-out).
pub async fn revoke(conn: &mut AsyncPgConnection, id: &[u8]) -> QueryResult<()> {
    diesel::update(staff_sessions::table.find(id))
        .set(staff_sessions::revoked_at.eq(Utc::now()))
        .execute(conn)
        .await
        .map(drop)
}

fn digest(value: &str) -> Vec<u8> {
    Sha256::digest(value.as_bytes()).to_vec()
}
