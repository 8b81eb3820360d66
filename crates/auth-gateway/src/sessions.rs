//! Browser sessions at the gateway: a random 256-bit value in a `__Host-` cookie (HttpOnly,
//! Secure, SameSite=Lax, Path=/, no Domain); only its SHA-256 is stored. Sessions end at
//! logout, after 30 minutes idle or 8 hours in all, and at once when the account's contact is
//! merged or anonymised (the worker revokes or deletes them).

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use sync_worker::db::schema::{accounts, contacts, sessions};
use uuid::Uuid;

pub const COOKIE: &str = "__Host-session";
pub const IDLE_TIMEOUT: Duration = Duration::minutes(30);
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(8);

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: Vec<u8>,
    pub subject: Uuid,
    pub auth_time: DateTime<Utc>,
}

/// Opens a session; returns the cookie value (shown to the browser only).
pub async fn create(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<(String, Session)> {
    let value = crate::secrets::random_token().ok_or(diesel::result::Error::RollbackTransaction)?;
    let id = digest(&value);
    let now = Utc::now();
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(&id),
            sessions::subject_id.eq(subject),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(now + ABSOLUTE_TIMEOUT),
        ))
        .execute(conn)
        .await?;
    Ok((
        value,
        Session {
            id,
            subject,
            auth_time: now,
        },
    ))
}

/// The live session of a cookie value, touching its idle timer; `None` when unknown, revoked,
/// expired, idle too long, or its account can no longer sign in.
pub async fn find(conn: &mut AsyncPgConnection, value: &str) -> QueryResult<Option<Session>> {
    let id = digest(value);
    let now = Utc::now();
    let row: Option<(Uuid, DateTime<Utc>, Option<String>)> = sessions::table
        .inner_join(accounts::table)
        .left_join(contacts::table.on(contacts::contact_number.eq(accounts::contact_number)))
        .filter(sessions::id.eq(&id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::last_seen_at.gt(now - IDLE_TIMEOUT))
        .select((sessions::subject_id, sessions::created_at, contacts::state.nullable()))
        .first(conn)
        .await
        .optional()?;
    match row {
        Some((subject, created, state)) if matches!(state.as_deref(), None | Some("active")) => {
            diesel::update(sessions::table.find(&id))
                .set(sessions::last_seen_at.eq(now))
                .execute(conn)
                .await?;
            Ok(Some(Session {
                id,
                subject,
                auth_time: created,
            }))
        }
        _ => Ok(None),
    }
}

pub async fn revoke(conn: &mut AsyncPgConnection, id: &[u8]) -> QueryResult<()> {
    diesel::update(sessions::table.find(id))
        .set(sessions::revoked_at.eq(Utc::now()))
        .execute(conn)
        .await
        .map(drop)
}

/// The cookie carrying a session value.
pub fn cookie(value: String) -> Cookie<'static> {
    Cookie::build(COOKIE, value)
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(CookieDuration::seconds(ABSOLUTE_TIMEOUT.num_seconds()))
        .finish()
}

/// A cookie that removes the session cookie.
pub fn removal() -> Cookie<'static> {
    let mut cookie = cookie(String::new());
    cookie.make_removal();
    cookie
}

fn digest(value: &str) -> Vec<u8> {
    Sha256::digest(value.as_bytes()).to_vec()
}
