//! `pushed_authorization_requests` (RFC 9126): the parameters a client pushed to `/par`, found
//! again by the `request_uri` the gateway answered with. A request lives at most its lifetime
//! and is deleted once the authorization it started issues a code.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};

use crate::schema::pushed_authorization_requests as pushed;

/// What is stored of a `request_uri`.
pub fn hash(request_uri: &str) -> Vec<u8> {
    Sha256::digest(request_uri.as_bytes()).to_vec()
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    request_uri: &str,
    client_id: &str,
    parameters: &HashMap<String, String>,
    lifetime: Duration,
) -> QueryResult<()> {
    let parameters = serde_json::to_value(parameters).unwrap_or_default();
    diesel::insert_into(pushed::table)
        .values((
            pushed::request_uri_hash.eq(hash(request_uri)),
            pushed::client_id.eq(client_id),
            pushed::parameters.eq(parameters),
            pushed::expires_at.eq(Utc::now() + lifetime),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// The parameters pushed by `client_id` under `request_uri`, unless they expired.
pub async fn find(
    conn: &mut AsyncPgConnection,
    request_uri: &str,
    client_id: &str,
) -> QueryResult<Option<HashMap<String, String>>> {
    let stored: Option<serde_json::Value> = pushed::table
        .find(hash(request_uri))
        .filter(pushed::client_id.eq(client_id))
        .filter(pushed::expires_at.gt(Utc::now()))
        .select(pushed::parameters)
        .first(conn)
        .await
        .optional()?;
    Ok(stored.and_then(|value| serde_json::from_value(value).ok()))
}

/// Ends a pushed request (its authorization issued a code).
pub async fn delete(conn: &mut AsyncPgConnection, request_uri: &str) -> QueryResult<()> {
    diesel::delete(pushed::table.find(hash(request_uri)))
        .execute(conn)
        .await
        .map(drop)
}
