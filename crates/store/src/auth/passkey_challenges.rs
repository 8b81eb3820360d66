//! `passkey_challenges`: the server side of a WebAuthn ceremony under way (the webauthn-rs
//! registration or authentication state, which holds the challenge), between the options the
//! browser asked for and the answer it sends back. In the database because the answer may
//! reach another gateway replica.
//!
//! A ceremony is bound to the browser that started it: its row is keyed by the SHA-256 of a
//! random value only that browser holds in a cookie ([`binding_hash`]), and an enrolment names
//! its session too. It is single-use: [`take`] deletes the row as it reads it, so an answer
//! replayed (right or wrong the first time) finds nothing. It expires after [`LIFETIME`].

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::schema::passkey_challenges;

/// How long a ceremony may take (browsers time out WebAuthn prompts after a few minutes).
pub const LIFETIME: Duration = Duration::minutes(5);
/// One ceremony stored in this many also deletes the expired ones: [`take`] ignores an expired
/// row anyway, so the sweep only keeps the table small, off most ceremonies' path.
const SWEEP_EVERY: u8 = 64;

/// What a ceremony is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    /// A signed-in fan adds a passkey: the session and account it is for.
    Enrol { session: Vec<u8>, subject: Uuid },
    /// Signing in with a discoverable credential.
    SignIn,
}

/// A ceremony as [`take`] finds it.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub state: serde_json::Value,
    /// The enrolment's session id and account, if an enrolment.
    pub enrolment: Option<(Vec<u8>, Uuid)>,
    /// The passkey's name (enrolment) or where to go once signed in (sign-in).
    pub detail: String,
}

/// A row as [`take`] reads it: state, session, account, detail, expiry.
type Row = (
    serde_json::Value,
    Option<Vec<u8>>,
    Option<Uuid>,
    String,
    chrono::DateTime<Utc>,
);

/// How the table names a browser's ceremony.
pub fn binding_hash(binding: &str) -> Vec<u8> {
    Sha256::digest(binding.as_bytes()).to_vec()
}

/// Stores a ceremony bound to `binding`; one call in [`SWEEP_EVERY`] first deletes the
/// expired ones.
pub async fn store(
    conn: &mut AsyncPgConnection,
    binding: &str,
    purpose: &Purpose,
    state: &serde_json::Value,
    detail: &str,
) -> QueryResult<()> {
    let now = Utc::now();
    if Uuid::new_v4().as_bytes()[0].is_multiple_of(SWEEP_EVERY) {
        diesel::delete(passkey_challenges::table.filter(passkey_challenges::expires_at.lt(now)))
            .execute(conn)
            .await?;
    }
    let (name, session, subject) = match purpose {
        Purpose::Enrol { session, subject } => ("enrol", Some(session.clone()), Some(*subject)),
        Purpose::SignIn => ("sign-in", None, None),
    };
    diesel::insert_into(passkey_challenges::table)
        .values((
            passkey_challenges::binding_hash.eq(binding_hash(binding)),
            passkey_challenges::purpose.eq(name),
            passkey_challenges::session_id.eq(session),
            passkey_challenges::subject_id.eq(subject),
            passkey_challenges::state.eq(state),
            passkey_challenges::detail.eq(detail),
            passkey_challenges::created_at.eq(now),
            passkey_challenges::expires_at.eq(now + LIFETIME),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Takes (deletes) the live ceremony of `binding` for `purpose`: `None` if there is none, it
/// expired, was taken before, or is another kind. It borrows the connection shared, so that
/// a caller can pipeline it with an independent statement (`futures::try_join!`).
pub async fn take(conn: &AsyncPgConnection, binding: &str, sign_in: bool) -> QueryResult<Option<Challenge>> {
    let purpose = if sign_in { "sign-in" } else { "enrol" };
    let row: Option<Row> = diesel::delete(
        passkey_challenges::table
            .filter(passkey_challenges::binding_hash.eq(binding_hash(binding)))
            .filter(passkey_challenges::purpose.eq(purpose)),
    )
    .returning((
        passkey_challenges::state,
        passkey_challenges::session_id,
        passkey_challenges::subject_id,
        passkey_challenges::detail,
        passkey_challenges::expires_at,
    ))
    .get_result(&mut &*conn)
    .await
    .optional()?;
    Ok(row
        .filter(|(.., expires)| *expires > Utc::now())
        .map(|(state, session, subject, detail, _)| Challenge {
            state,
            enrolment: session.zip(subject),
            detail,
        }))
}
