//! The fans' sign-in history (`store::auth::sign_in_audit`), written where the sign-in form
//! counts successes, failures and locks, and at each passkey, e-mail code and social sign-in,
//! for the support console's fan page. Best effort and
//! off the sign-in's path: written by a task of its own with its own connection, so a sign-in
//! (and a burst of them racing the lockout) never waits on it, and a history that cannot be
//! written never fails a sign-in (the throttle still counts).

use store::auth::{sign_in_audit, throttle};
use uuid::Uuid;

/// Records a sign-in's outcome.
pub fn record(pool: &infra::db::PgPool, subject: Uuid, outcome: sign_in_audit::Outcome) {
    let pool = pool.clone();
    tokio::spawn(async move {
        let Ok(mut conn) = pool.get().await else { return };
        if let Err(error) = sign_in_audit::record(&mut conn, subject, outcome).await {
            tracing::warn!(%error, "Sign-in history not written");
        }
    });
}

/// A wrong password for a known account; `locked` too when the account or the address
/// (`keys`, as the throttle counted them) is locked after it.
pub fn failed(pool: &infra::db::PgPool, subject: Uuid, keys: &[String]) {
    let (pool, keys) = (pool.clone(), keys.to_vec());
    tokio::spawn(async move {
        let Ok(mut conn) = pool.get().await else { return };
        let mut written = sign_in_audit::record(&mut conn, subject, sign_in_audit::Outcome::Failure).await;
        if written.is_ok() && matches!(throttle::locked(&mut conn, &keys).await, Ok(Some(_))) {
            written = sign_in_audit::record(&mut conn, subject, sign_in_audit::Outcome::Locked).await;
        }
        if let Err(error) = written {
            tracing::warn!(%error, "Sign-in history not written");
        }
    });
}
