//! `staff_accounts` as the console's command line creates them: the only way in, since staff
//! never sign up.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::Role;
use crate::schema::staff_accounts;

pub struct NewStaff<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    /// An argon2id PHC string.
    pub password_hash: &'a str,
    pub totp_secret: &'a [u8],
}

/// Creates the account; `Ok(None)` when the address is taken (in any letter case).
pub async fn create(conn: &mut AsyncPgConnection, new: &NewStaff<'_>) -> QueryResult<Option<Uuid>> {
    let result = diesel::insert_into(staff_accounts::table)
        .values((
            staff_accounts::email.eq(new.email),
            staff_accounts::name.eq(new.name),
            staff_accounts::role.eq(new.role.as_str()),
            staff_accounts::password_hash.eq(new.password_hash),
            staff_accounts::totp_secret.eq(new.totp_secret),
        ))
        .returning(staff_accounts::staff_id)
        .get_result(conn)
        .await;
    match result {
        Ok(id) => Ok(Some(id)),
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => Ok(None),
        Err(error) => Err(error),
    }
}
