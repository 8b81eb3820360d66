//! Whether an access token's grant still stands: its `jti` not revoked, its grant (refresh
//! token family) not revoked, and its account still able to sign in. Checked by `/userinfo`,
//! `/introspect` and the forward-auth endpoint, so revocation takes effect at once.
//!
//! Also what a grant's holder is told about themselves ([`Holder`]: userinfo, ID tokens).
//!
//! Each check is one statement, and `/userinfo` reads the holder in that same statement
//! ([`active_holder`]): every answer it does not find in its cache (the first request of each
//! token, i.e. every sign-in of S-360) pays its round trips, and it used to make four.

use diesel::{
    dsl::{exists, not},
    pg::Pg,
    prelude::*,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::{accounts, contacts, refresh_tokens, revoked_tokens};

/// An access token's identifiers: `jti`, `sub`, and `sid` (the refresh-token family, absent
/// for tokens issued without one).
pub struct Grant {
    pub jti: Uuid,
    pub subject: Uuid,
    pub family: Option<Uuid>,
}

/// What the gateway says of an account (userinfo, ID token claims): its own login e-mail and
/// verified flag, the names and language given at sign-up, and its contact as mirrored, if
/// there is one (a sign-up account has none until S-360 has it).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = accounts, check_for_backend(Pg))]
pub struct Holder {
    pub login_email: String,
    pub email_verified: bool,
    pub contact_number: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub language: Option<String>,
    #[diesel(embed)]
    pub contact: Option<MirroredContact>,
}

/// The contact of a [`Holder`], as `sync-worker` mirrors it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = contacts, check_for_backend(Pg))]
pub struct MirroredContact {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub birth_date: Option<chrono::NaiveDate>,
    pub language: Option<String>,
    pub phone: Option<String>,
    pub addresses: serde_json::Value,
    pub authorizations: serde_json::Value,
}

/// The account `subject` with its contact, while the contact may sign in (absent or active).
#[diesel::dsl::auto_type]
fn signing_in(subject: Uuid) -> _ {
    let on: diesel::dsl::Eq<diesel::dsl::Nullable<contacts::contact_number>, accounts::contact_number> =
        contacts::contact_number.nullable().eq(accounts::contact_number);
    accounts::table
        .left_join(contacts::table.on(on))
        .filter(accounts::subject_id.eq(subject))
        .filter(contacts::state.is_null().or(contacts::state.eq("active")))
}

/// The revoked tokens of a family: any makes the whole family stand revoked.
type RevokedFamily = diesel::dsl::Filter<
    diesel::dsl::Filter<
        refresh_tokens::table,
        diesel::dsl::Eq<diesel::dsl::Nullable<refresh_tokens::family_id>, Option<Uuid>>,
    >,
    diesel::dsl::IsNotNull<refresh_tokens::revoked_at>,
>;

/// [`signing_in`] narrowed to a grant that still stands: the token and its family not revoked.
/// One shape whether or not the token names a family (`family_id = NULL` matches no row), so
/// the statement is prepared once per connection and reused.
#[diesel::dsl::auto_type]
fn standing(subject: Uuid, jti: Uuid, family: Option<Uuid>) -> _ {
    let revoked_token: diesel::dsl::Find<revoked_tokens::table, Uuid> = revoked_tokens::table.find(jti);
    let revoked_family: RevokedFamily = refresh_tokens::table
        .filter(refresh_tokens::family_id.nullable().eq(family))
        .filter(refresh_tokens::revoked_at.is_not_null());
    let account: signing_in = signing_in(subject);
    account
        .filter(not(exists(revoked_token)))
        .filter(not(exists(revoked_family)))
}

/// Whether the grant still stands, in one statement.
pub async fn is_active(conn: &mut AsyncPgConnection, grant: &Grant) -> QueryResult<bool> {
    standing(grant.subject, grant.jti, grant.family)
        .select(accounts::subject_id)
        .first::<Uuid>(conn)
        .await
        .optional()
        .map(|found| found.is_some())
}

/// The grant's holder if the grant still stands ([`is_active`]), in one statement; `None`
/// otherwise, or when the account is gone or its contact merged or anonymised.
pub async fn active_holder(conn: &mut AsyncPgConnection, grant: &Grant) -> QueryResult<Option<Holder>> {
    standing(grant.subject, grant.jti, grant.family)
        .select(Holder::as_select())
        .first(conn)
        .await
        .optional()
}

/// The holder of `subject` (no grant involved: what an ID token says at issue), while its
/// contact may sign in.
pub async fn holder(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<Option<Holder>> {
    signing_in(subject)
        .select(Holder::as_select())
        .first(conn)
        .await
        .optional()
}
