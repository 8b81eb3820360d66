//! The fans' sign-in history (`store::auth::sign_in_audit`), written where the sign-in form
//! counts successes, failures and locks, for the support console's fan page. Best effort: a
//! history that cannot be written never fails a sign-in (the throttle still counts).

use diesel_async::AsyncPgConnection;
use store::auth::{sign_in_audit, throttle};
use uuid::Uuid;

pub async fn record(conn: &mut AsyncPgConnection, subject: Uuid, outcome: sign_in_audit::Outcome) {
    if let Err(error) = sign_in_audit::record(conn, subject, outcome).await {
        tracing::warn!(%error, "Sign-in history not written");
    }
}

/// A wrong password for a known account; `locked` too when that failure engaged a lock on
/// the account or the address (`keys`, as the throttle counted them).
pub async fn failed(conn: &mut AsyncPgConnection, subject: Uuid, keys: &[String]) {
    record(conn, subject, sign_in_audit::Outcome::Failure).await;
    if let Ok(Some(_)) = throttle::locked(conn, keys).await {
        record(conn, subject, sign_in_audit::Outcome::Locked).await;
    }
}
