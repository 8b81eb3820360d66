//! A passkey sign-in's writes, in one statement: once the gateway has verified an assertion
//! against the passkey as [`passkeys::find`](super::passkeys::find) read it, [`sign_in`] spends
//! the ceremony, moves the passkey's counter, opens the session and records the sign-in in
//! the fan's history, or does none of it.
//!
//! Each step is a data-modifying CTE gated on the one before:
//! - `spent`: the ceremony's id inserted into `passkey_ceremonies_spent`, nothing if it is
//!   there already (a replayed answer);
//! - `used`: the passkey's counter, backup state and last use updated only if the ceremony was
//!   spent here, the counter is still the one verified against (two replicas verifying
//!   assertions of one credential at once cannot both move it) and the account may still sign
//!   in ([`accounts::may_sign_in`], the same condition every sign-in checks);
//! - `opened`: the session, for the passkey's account, only if the counter moved;
//! - `history`: a `success` row in `sign_in_audit` for it.
//!
//! One round trip and one commit instead of four, and no window in which a counter has moved
//! without its session (or the reverse). The counter rule (greater, or 0 for an authenticator
//! without one) is checked before the statement is sent: [`sign_in`] only spends the ceremony
//! of a counter that did not grow.

use chrono::{DateTime, Utc};
use diesel::{
    pg::Pg,
    query_builder::{AstPass, Query, QueryFragment, QueryId},
    sql_types::{Bool, Bytea, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::{accounts, method::AuthMethod, sessions, sign_in_audit::Outcome};

/// What a verified assertion asks to write.
pub struct Verified {
    /// The passkey (`passkeys.id`) and its account.
    pub passkey: Uuid,
    pub subject: Uuid,
    /// The counter the assertion was verified against, and the assertion's.
    pub seen: i64,
    pub counter: u32,
    pub backup_state: bool,
    /// The ceremony answered.
    pub ceremony: Uuid,
    pub method: AuthMethod,
}

/// What [`sign_in`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum SignedIn {
    /// The session's cookie value.
    Session(String),
    /// The ceremony had been answered before: nothing written.
    Replayed,
    /// The counter did not grow or moved meanwhile, or the account may no longer sign in; the
    /// ceremony is spent all the same.
    Refused,
}

/// Writes a verified passkey sign-in (see the module's documentation).
pub async fn sign_in(conn: &mut AsyncPgConnection, verified: &Verified) -> diesel::QueryResult<SignedIn> {
    let new = i64::from(verified.counter);
    // An authenticator without a counter reports 0 every time; one with a counter must grow.
    if new <= verified.seen && !(new == 0 && verified.seen == 0) {
        return match super::passkey_ceremonies::spend(conn, verified.ceremony).await? {
            true => Ok(SignedIn::Refused),
            false => Ok(SignedIn::Replayed),
        };
    }
    super::passkey_ceremonies::sweep_sometimes(conn).await?;
    super::sign_in_audit::purge_sometimes(conn).await?;
    let (value, id) = sessions::mint()?;
    let now = Utc::now();
    let statement = SignIn {
        verified,
        counter: new,
        may_sign_in: accounts::may_sign_in(verified.subject),
        session: id,
        now,
        session_expires: now + sessions::ABSOLUTE_TIMEOUT,
    };
    let (spent, opened): (bool, bool) = statement.get_result(conn).await?;
    Ok(match (spent, opened) {
        (false, _) => SignedIn::Replayed,
        (true, false) => SignedIn::Refused,
        (true, true) => SignedIn::Session(value),
    })
}

/// The statement; `C` is the account condition ([`accounts::may_sign_in`]).
struct SignIn<'a, C> {
    verified: &'a Verified,
    counter: i64,
    may_sign_in: C,
    session: Vec<u8>,
    now: DateTime<Utc>,
    session_expires: DateTime<Utc>,
}

impl<C> QueryId for SignIn<'_, C> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<C> Query for SignIn<'_, C> {
    type SqlType = (Bool, Bool);
}

impl<C: QueryFragment<Pg>> QueryFragment<Pg> for SignIn<'_, C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
        let v = self.verified;
        out.push_sql("WITH spent AS (INSERT INTO passkey_ceremonies_spent (id) VALUES (");
        out.push_bind_param::<SqlUuid, _>(&v.ceremony)?;
        out.push_sql(") ON CONFLICT DO NOTHING RETURNING id), used AS (UPDATE passkeys SET sign_count = ");
        out.push_bind_param::<diesel::sql_types::BigInt, _>(&self.counter)?;
        out.push_sql(", backup_state = ");
        out.push_bind_param::<Bool, _>(&v.backup_state)?;
        out.push_sql(", last_used_at = ");
        out.push_bind_param::<Timestamptz, _>(&self.now)?;
        out.push_sql(" WHERE passkeys.id = ");
        out.push_bind_param::<SqlUuid, _>(&v.passkey)?;
        out.push_sql(" AND passkeys.subject_id = ");
        out.push_bind_param::<SqlUuid, _>(&v.subject)?;
        out.push_sql(" AND passkeys.sign_count = ");
        out.push_bind_param::<diesel::sql_types::BigInt, _>(&v.seen)?;
        out.push_sql(" AND EXISTS (SELECT 1 FROM spent) AND ");
        self.may_sign_in.walk_ast(out.reborrow())?;
        out.push_sql(
            " RETURNING passkeys.subject_id), opened AS (INSERT INTO sessions \
             (id, subject_id, created_at, last_seen_at, expires_at, auth_method) SELECT ",
        );
        out.push_bind_param::<Bytea, _>(&self.session)?;
        out.push_sql(", subject_id, ");
        out.push_bind_param::<Timestamptz, _>(&self.now)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamptz, _>(&self.now)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamptz, _>(&self.session_expires)?;
        out.push_sql(", ");
        out.push_bind_param::<diesel::sql_types::Text, _>(&v.method)?;
        out.push_sql(
            " FROM used RETURNING subject_id), history AS (INSERT INTO sign_in_audit (subject_id, outcome) \
             SELECT subject_id, ",
        );
        out.push_bind_param::<diesel::sql_types::Text, _>(Outcome::Success.as_str())?;
        out.push_sql(" FROM opened) SELECT EXISTS (SELECT 1 FROM spent), EXISTS (SELECT 1 FROM opened)");
        Ok(())
    }
}
