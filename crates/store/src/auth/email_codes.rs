//! `email_codes`: one-time sign-in codes mailed to an account's login address, each bound to
//! the browser that asked for it. The gateway's pages are in `auth-gateway`'s `email_code`.
//!
//! **Binding.** Each request of a browser gets a fresh 256-bit random secret in a cookie (the
//! *binding*); a row is keyed by the binding's SHA-256 ([`binding_hash`]), so only that browser
//! can name the row, and a code or link used anywhere else finds no code to check.
//!
//! **How the code is stored.** An 8-digit code has only 10^8 values, so a plain or salted
//! SHA-256 of it (salt in the same row) falls to a brute force of a database dump in a second.
//! The row keeps instead the HMAC-SHA256 of the code keyed with the binding's secret
//! ([`code_mac`]): a keyed hash whose key is never stored anywhere on the server, only its
//! SHA-256, a preimage of which is out of reach. A dump therefore yields no code, and a code is
//! useless without the browser's cookie anyway. We preferred this to the alternatives the
//! requirement names: an HMAC under a server secret would be one more secret to configure,
//! share between replicas and rotate, and protects nothing more (a thief of the server's
//! secret and the database still lacks the browser); argon2 per code would cost a hash per
//! request and per guess (what a password sign-in costs) for a weaker result: with the salt in
//! the row, 10^8 argon2 hashes are within reach of a cluster.
//!
//! **Guessing** is bounded three ways: a code is burned after [`MAX_ATTEMPTS`] wrong ones
//! ([`check`]); the gateway counts each wrong code against the account and the source address
//! like a wrong password (`throttle`), so guesses across codes and browsers meet the same
//! locks; and at most [`PER_HOUR`] codes are issued per account per hour. A new code retires
//! the account's older ones, so there is never more than one to guess. [`check`] compares in
//! constant time and changes a row only through conditional updates: of two concurrent uses
//! of one code, one signs in.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::schema::{accounts, email_codes};

/// How long a code works.
pub const LIFETIME: Duration = Duration::minutes(10);
/// Wrong codes after which a code is burned.
pub const MAX_ATTEMPTS: i32 = 5;
/// Codes issued per account per hour, at most.
pub const PER_HOUR: i64 = 3;
/// Digits of a code.
pub const DIGITS: u32 = 8;

/// What identifies a browser's request in the table: the SHA-256 of its binding secret.
pub fn binding_hash(binding: &str) -> Vec<u8> {
    Sha256::digest(binding.as_bytes()).to_vec()
}

/// What is stored of `code`: its HMAC-SHA256 keyed with the browser's binding secret.
pub fn code_mac(binding: &str, code: &str) -> Vec<u8> {
    keyed(binding, code).finalize().into_bytes().to_vec()
}

fn keyed(binding: &str, code: &str) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(binding.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(code.as_bytes());
    mac
}

/// A code to store for an account.
pub struct NewEmailCode<'a> {
    pub subject: Uuid,
    /// The binding secret set in the asking browser's cookie (never stored).
    pub binding: &'a str,
    pub code: &'a str,
    /// Where the fan goes once signed in (checked by the caller).
    pub return_to: &'a str,
}

/// Codes issued for the account in the last hour.
pub async fn created_last_hour(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<i64> {
    email_codes::table
        .filter(email_codes::subject_id.eq(subject))
        .filter(email_codes::created_at.gt(Utc::now() - Duration::hours(1)))
        .count()
        .get_result(conn)
        .await
}

/// Stores a new code for the account, retiring its older unused ones and erasing those past
/// the hourly window (nothing needs them any more). Lock the account first
/// (`accounts::lock`) so the hourly limit holds under concurrency.
pub async fn replace(conn: &mut AsyncPgConnection, new: &NewEmailCode<'_>) -> QueryResult<()> {
    let now = Utc::now();
    diesel::delete(
        email_codes::table
            .filter(email_codes::subject_id.eq(new.subject))
            .filter(email_codes::created_at.le(now - Duration::hours(1))),
    )
    .execute(conn)
    .await?;
    diesel::update(
        email_codes::table
            .filter(email_codes::subject_id.eq(new.subject))
            .filter(email_codes::used_at.is_null()),
    )
    .set(email_codes::used_at.eq(now))
    .execute(conn)
    .await?;
    diesel::insert_into(email_codes::table)
        .values((
            email_codes::binding_hash.eq(binding_hash(new.binding)),
            email_codes::subject_id.eq(new.subject),
            email_codes::code_mac.eq(code_mac(new.binding, new.code)),
            email_codes::return_to.eq(new.return_to),
            email_codes::created_at.eq(now),
            email_codes::expires_at.eq(now + LIFETIME),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// The account a browser's live code is for, found by its binding, without using it: the
/// gateway's throttling keys on the account before a code is checked.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Pending {
    pub subject: Uuid,
    pub login_email: String,
}

pub async fn pending(conn: &mut AsyncPgConnection, binding: &str) -> QueryResult<Option<Pending>> {
    email_codes::table
        .inner_join(accounts::table)
        .filter(email_codes::binding_hash.eq(binding_hash(binding)))
        .filter(email_codes::used_at.is_null())
        .filter(email_codes::expires_at.gt(Utc::now()))
        .select((email_codes::subject_id, accounts::login_email))
        .first(conn)
        .await
        .optional()
}

/// What [`check`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// The binding has no live code: none was issued (unknown address, hourly limit), or it
    /// expired, was used, burned or retired.
    NoCode,
    /// A wrong code for the account's live code; `burned` when it was the last allowed.
    Wrong { subject: Uuid, burned: bool },
    /// The right code, now spent: sign the account in and go on to `return_to`.
    Right { subject: Uuid, return_to: String },
}

/// Checks `code` against the browser's live code, spending it when right and counting a wrong
/// one (burning the code at [`MAX_ATTEMPTS`]).
pub async fn check(conn: &mut AsyncPgConnection, binding: &str, code: &str) -> QueryResult<Checked> {
    let hash = binding_hash(binding);
    let now = Utc::now();
    let live = || {
        email_codes::table
            .filter(email_codes::binding_hash.eq(hash.clone()))
            .filter(email_codes::used_at.is_null())
            .filter(email_codes::expires_at.gt(now))
    };
    let row: Option<(Uuid, Vec<u8>)> = live()
        .select((email_codes::subject_id, email_codes::code_mac))
        .for_update()
        .first(conn)
        .await
        .optional()?;
    let Some((subject, stored)) = row else {
        return Ok(Checked::NoCode);
    };
    if keyed(binding, code).verify_slice(&stored).is_ok() {
        // Conditional: of two uses at once only one finds the code unused.
        let spent: Option<String> = diesel::update(live())
            .set(email_codes::used_at.eq(now))
            .returning(email_codes::return_to)
            .get_result(conn)
            .await
            .optional()?;
        return Ok(match spent {
            Some(return_to) => Checked::Right { subject, return_to },
            None => Checked::NoCode,
        });
    }
    let attempts: Option<i32> = diesel::update(live())
        .set(email_codes::attempts.eq(email_codes::attempts + 1))
        .returning(email_codes::attempts)
        .get_result(conn)
        .await
        .optional()?;
    let Some(attempts) = attempts else {
        return Ok(Checked::NoCode);
    };
    let burned = attempts >= MAX_ATTEMPTS;
    if burned {
        diesel::update(live())
            .set(email_codes::used_at.eq(now))
            .execute(conn)
            .await?;
    }
    Ok(Checked::Wrong { subject, burned })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_stored_keyed_with_the_binding_secret() {
        let mac = code_mac("binding-a", "12345678");
        assert_eq!(mac.len(), 32);
        assert_eq!(mac, code_mac("binding-a", "12345678"));
        assert_ne!(mac, code_mac("binding-b", "12345678"), "another browser's key");
        assert_ne!(mac, code_mac("binding-a", "12345679"));
        assert_ne!(mac, Sha256::digest(b"12345678").to_vec(), "not a plain hash");
        assert_ne!(binding_hash("binding-a"), b"binding-a".to_vec());
        assert!(keyed("binding-a", "12345678").verify_slice(&mac).is_ok());
    }
}
