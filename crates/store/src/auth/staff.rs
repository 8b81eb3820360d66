//! Staff sign-in at the gateway (`staff_accounts`, `staff_authorization_codes`): a staff
//! client's authorization asks for a staff member's password and TOTP code, never a fan's;
//! the code it issues names the staff account, and is redeemed once at the token endpoint
//! for an ID token stating the staff role. The gateway writes only `totp_last_step` of
//! `staff_accounts` (accounts are created by `support-console staff add`).

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::{staff_accounts, staff_authorization_codes};

/// A staff account that may sign in (not disabled), with what sign-in checks.
#[derive(Clone, Queryable)]
pub struct StaffSignIn {
    pub staff_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub password_hash: String,
    pub totp_secret: Vec<u8>,
    pub totp_last_step: i64,
}

impl std::fmt::Debug for StaffSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffSignIn")
            .field("staff_id", &self.staff_id)
            .finish_non_exhaustive()
    }
}

/// The enabled staff account of an address, in any letter case.
pub async fn find_for_sign_in(conn: &mut AsyncPgConnection, email: &str) -> QueryResult<Option<StaffSignIn>> {
    staff_accounts::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(staff_accounts.email) = lower(")
                .bind::<diesel::sql_types::Text, _>(email)
                .sql(")"),
        )
        .filter(staff_accounts::disabled_at.is_null())
        .select((
            staff_accounts::staff_id,
            staff_accounts::email,
            staff_accounts::name,
            staff_accounts::role,
            staff_accounts::password_hash,
            staff_accounts::totp_secret,
            staff_accounts::totp_last_step,
        ))
        .first(conn)
        .await
        .optional()
}

/// Records `step` as the last TOTP step used; `false` when it (or a later one) was used
/// already, by a concurrent sign-in too: the one point of truth for single use.
pub async fn accept_totp_step(conn: &mut AsyncPgConnection, staff_id: Uuid, step: i64) -> QueryResult<bool> {
    diesel::update(
        staff_accounts::table
            .find(staff_id)
            .filter(staff_accounts::totp_last_step.lt(step)),
    )
    .set(staff_accounts::totp_last_step.eq(step))
    .execute(conn)
    .await
    .map(|rows| rows == 1)
}

/// What a staff code is issued for.
pub struct NewStaffCode<'a> {
    pub client_id: &'a str,
    pub staff_id: Uuid,
    pub redirect_uri: &'a str,
    pub nonce: Option<&'a str>,
    pub code_challenge: &'a str,
    pub lifetime: Duration,
}

pub async fn insert_code(conn: &mut AsyncPgConnection, code: &str, new: &NewStaffCode<'_>) -> QueryResult<()> {
    let now = Utc::now();
    diesel::insert_into(staff_authorization_codes::table)
        .values((
            staff_authorization_codes::code_hash.eq(super::codes::hash(code)),
            staff_authorization_codes::client_id.eq(new.client_id),
            staff_authorization_codes::staff_id.eq(new.staff_id),
            staff_authorization_codes::redirect_uri.eq(new.redirect_uri),
            staff_authorization_codes::nonce.eq(new.nonce),
            staff_authorization_codes::code_challenge.eq(new.code_challenge),
            staff_authorization_codes::auth_time.eq(now),
            staff_authorization_codes::expires_at.eq(now + new.lifetime),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// A redeemed staff code, with the account's role and identity as they are now.
#[derive(Debug, Queryable)]
pub struct RedeemedStaffCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub auth_time: DateTime<Utc>,
    pub staff_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
}

/// Spends a live code: `None` when unknown, expired, used already, or its account was
/// disabled meanwhile. A replayed code issued nothing but an ID token, so nothing to revoke.
pub async fn redeem_code(conn: &mut AsyncPgConnection, code: &str) -> QueryResult<Option<RedeemedStaffCode>> {
    let now = Utc::now();
    let spent = diesel::update(
        staff_authorization_codes::table
            .find(super::codes::hash(code))
            .filter(staff_authorization_codes::used_at.is_null())
            .filter(staff_authorization_codes::expires_at.gt(now)),
    )
    .set(staff_authorization_codes::used_at.eq(now))
    .returning(staff_authorization_codes::code_hash)
    .get_result::<Vec<u8>>(conn)
    .await
    .optional()?;
    let Some(hash) = spent else { return Ok(None) };
    staff_authorization_codes::table
        .inner_join(staff_accounts::table)
        .filter(staff_authorization_codes::code_hash.eq(hash))
        .filter(staff_accounts::disabled_at.is_null())
        .select((
            staff_authorization_codes::client_id,
            staff_authorization_codes::redirect_uri,
            staff_authorization_codes::nonce,
            staff_authorization_codes::code_challenge,
            staff_authorization_codes::auth_time,
            staff_accounts::staff_id,
            staff_accounts::email,
            staff_accounts::name,
            staff_accounts::role,
        ))
        .first(conn)
        .await
        .optional()
}

/// Deletes codes expired for a minute or more (called now and then by the sign-in page).
pub async fn purge_expired_codes(conn: &mut AsyncPgConnection) -> QueryResult<usize> {
    diesel::delete(
        staff_authorization_codes::table
            .filter(staff_authorization_codes::expires_at.lt(Utc::now() - Duration::minutes(1))),
    )
    .execute(conn)
    .await
}
