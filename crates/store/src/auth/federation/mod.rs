//! Social sign-in: upstream identities (an OpenID provider's `sub`) linked to accounts, and the
//! sign-ins under way ([`requests`]). The gateway's pages are in `auth-gateway`'s `social`.
//!
//! An identity is linked to one account at most (the primary key); the gateway links one only
//! at a sign-up through the provider, or after the fan signed in to the existing account of the
//! address by its own means. [`unlink`] keeps a way in: it refuses to remove the last linked
//! identity of an account that has no password, deciding under the account's row lock so two
//! concurrent unlinks cannot both pass.

pub mod requests;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::{accounts, federated_identities};

/// One linked identity, as the profile page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Linked {
    pub provider_id: String,
    pub upstream_subject: String,
    pub email_at_link: Option<String>,
    pub linked_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The account an upstream identity is linked to.
pub async fn find(conn: &mut AsyncPgConnection, provider: &str, upstream_subject: &str) -> QueryResult<Option<Uuid>> {
    federated_identities::table
        .find((provider, upstream_subject))
        .select(federated_identities::subject_id)
        .first(conn)
        .await
        .optional()
}

/// Records a sign-in through the identity.
pub async fn touch(conn: &mut AsyncPgConnection, provider: &str, upstream_subject: &str) -> QueryResult<()> {
    diesel::update(federated_identities::table.find((provider, upstream_subject)))
        .set(federated_identities::last_used_at.eq(Utc::now()))
        .execute(conn)
        .await
        .map(drop)
}

/// Links the identity to `subject` (used now). Returns whether it is linked to `subject`
/// afterwards: `false` when it was already linked to another account, which is left alone.
pub async fn link(
    conn: &mut AsyncPgConnection,
    provider: &str,
    upstream_subject: &str,
    subject: Uuid,
    email: Option<&str>,
) -> QueryResult<bool> {
    let now = Utc::now();
    diesel::insert_into(federated_identities::table)
        .values((
            federated_identities::provider_id.eq(provider),
            federated_identities::upstream_subject.eq(upstream_subject),
            federated_identities::subject_id.eq(subject),
            federated_identities::email_at_link.eq(email),
            federated_identities::linked_at.eq(now),
            federated_identities::last_used_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(find(conn, provider, upstream_subject).await? == Some(subject))
}

/// The identities linked to the account, oldest first.
pub async fn list(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<Vec<Linked>> {
    federated_identities::table
        .filter(federated_identities::subject_id.eq(subject))
        .order(federated_identities::linked_at.asc())
        .select((
            federated_identities::provider_id,
            federated_identities::upstream_subject,
            federated_identities::email_at_link,
            federated_identities::linked_at,
            federated_identities::last_used_at,
        ))
        .load(conn)
        .await
}

/// What [`unlink`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unlinked {
    Unlinked,
    /// Not linked to this account.
    NotLinked,
    /// The account's only way in (no password, no other identity): kept.
    LastWayIn,
}

/// Removes the identity from the account unless it is the last way to sign in: a password or
/// another linked identity must remain. `other_ways` counts the ways the caller knows of
/// besides these (passkeys). Run it in a transaction: the account's row is locked until the end.
pub async fn unlink(
    conn: &mut AsyncPgConnection,
    subject: Uuid,
    provider: &str,
    upstream_subject: &str,
    other_ways: i64,
) -> QueryResult<Unlinked> {
    let password: Option<Option<String>> = accounts::table
        .find(subject)
        .select(accounts::password_hash)
        .for_update()
        .first(conn)
        .await
        .optional()?;
    let Some(password) = password else {
        return Ok(Unlinked::NotLinked);
    };
    let linked = list(conn, subject).await?;
    if !linked
        .iter()
        .any(|l| l.provider_id == provider && l.upstream_subject == upstream_subject)
    {
        return Ok(Unlinked::NotLinked);
    }
    let remaining = i64::from(password.is_some()) + linked.len() as i64 - 1 + other_ways;
    if remaining < 1 {
        return Ok(Unlinked::LastWayIn);
    }
    diesel::delete(
        federated_identities::table
            .find((provider, upstream_subject))
            .filter(federated_identities::subject_id.eq(subject)),
    )
    .execute(conn)
    .await?;
    Ok(Unlinked::Unlinked)
}
