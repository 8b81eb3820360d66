//! `federation_requests`: social sign-ins under way, each bound to one browser by a random
//! cookie whose SHA-256 keys the row ([`binding_hash`]); the value itself is never stored, so a
//! database dump names no browser. A row is taken once ([`take`]: a conditional update, so of
//! two concurrent callbacks one proceeds), for its stage only, within [`LIFETIME`]; each stage
//! that follows gets a fresh binding and row. Rows are PostgreSQL's, not a replica's memory:
//! the upstream's callback may reach any gateway replica.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::schema::federation_requests;

/// How long a stage waits for the browser.
pub const LIFETIME: Duration = Duration::minutes(10);

/// What identifies a browser's request in the table: the SHA-256 of its cookie value.
pub fn binding_hash(binding: &str) -> Vec<u8> {
    Sha256::digest(binding.as_bytes()).to_vec()
}

/// Where a sign-in stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Sent to the provider; waiting for its callback.
    Upstream,
    /// A first-time fan, shown the sign-up form.
    Signup,
    /// The address has an account: linked once this browser signs in to it.
    Link,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Self::Upstream => "upstream",
            Self::Signup => "signup",
            Self::Link => "link",
        }
    }
}

/// A row as stored (the binding is the caller's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Queryable)]
pub struct Pending {
    pub provider_id: String,
    /// The upstream stage's secrets.
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub pkce_verifier: Option<String>,
    /// The later stages' upstream identity and claims.
    pub upstream_subject: Option<String>,
    pub email: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// The link stage's account.
    pub subject: Option<Uuid>,
    pub return_to: String,
}

impl std::fmt::Debug for Stored<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stored(..)")
    }
}

/// A stage to store for the browser holding `binding`.
pub struct Stored<'a> {
    pub binding: &'a str,
    pub stage: Stage,
    pub pending: &'a Pending,
}

/// Stores a stage, clearing out rows long expired (the table stays small without a job).
pub async fn store(conn: &mut AsyncPgConnection, stored: &Stored<'_>) -> QueryResult<()> {
    let now = Utc::now();
    diesel::delete(federation_requests::table.filter(federation_requests::expires_at.lt(now - Duration::hours(1))))
        .execute(conn)
        .await?;
    let p = stored.pending;
    diesel::insert_into(federation_requests::table)
        .values((
            federation_requests::binding_hash.eq(binding_hash(stored.binding)),
            federation_requests::stage.eq(stored.stage.as_str()),
            federation_requests::provider_id.eq(&p.provider_id),
            federation_requests::state.eq(&p.state),
            federation_requests::nonce.eq(&p.nonce),
            federation_requests::pkce_verifier.eq(&p.pkce_verifier),
            federation_requests::upstream_subject.eq(&p.upstream_subject),
            federation_requests::email.eq(&p.email),
            federation_requests::given_name.eq(&p.given_name),
            federation_requests::family_name.eq(&p.family_name),
            federation_requests::subject_id.eq(p.subject),
            federation_requests::return_to.eq(&p.return_to),
            federation_requests::created_at.eq(now),
            federation_requests::expires_at.eq(now + LIFETIME),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Spends the browser's live row of `stage`: `None` when there is none (never stored, another
/// stage, expired, or spent already, as by a replayed callback).
pub async fn take(conn: &mut AsyncPgConnection, binding: &str, stage: Stage) -> QueryResult<Option<Pending>> {
    let now = Utc::now();
    diesel::update(
        federation_requests::table
            .find(binding_hash(binding))
            .filter(federation_requests::stage.eq(stage.as_str()))
            .filter(federation_requests::used_at.is_null())
            .filter(federation_requests::expires_at.gt(now)),
    )
    .set(federation_requests::used_at.eq(now))
    .returning((
        federation_requests::provider_id,
        federation_requests::state,
        federation_requests::nonce,
        federation_requests::pkce_verifier,
        federation_requests::upstream_subject,
        federation_requests::email,
        federation_requests::given_name,
        federation_requests::family_name,
        federation_requests::subject_id,
        federation_requests::return_to,
    ))
    .get_result(conn)
    .await
    .optional()
}

/// The browser's live row of `stage`, left unspent (to show a form before it is submitted).
pub async fn peek(conn: &mut AsyncPgConnection, binding: &str, stage: Stage) -> QueryResult<Option<Pending>> {
    federation_requests::table
        .find(binding_hash(binding))
        .filter(federation_requests::stage.eq(stage.as_str()))
        .filter(federation_requests::used_at.is_null())
        .filter(federation_requests::expires_at.gt(Utc::now()))
        .select((
            federation_requests::provider_id,
            federation_requests::state,
            federation_requests::nonce,
            federation_requests::pkce_verifier,
            federation_requests::upstream_subject,
            federation_requests::email,
            federation_requests::given_name,
            federation_requests::family_name,
            federation_requests::subject_id,
            federation_requests::return_to,
        ))
        .first(conn)
        .await
        .optional()
}
