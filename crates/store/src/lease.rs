//! The leader lease of a cluster of replicas: a PostgreSQL advisory lock held on a connection
//! of its own, outside the pool. The lock lives exactly as long as that session, so a leader
//! that dies (even by SIGKILL) releases it as soon as PostgreSQL sees the connection close, and
//! another replica's next attempt takes it. Leadership only decides who tries to run periodic
//! jobs; [`crate::schedule::claim`] still guarantees each run happens once.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use diesel::{
    prelude::*,
    sql_types::{BigInt, Bool},
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use tokio_util::sync::CancellationToken;

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

/// Whether this process holds the lease, kept up to date by [`Lease::hold`].
#[derive(Clone, Default)]
pub struct Lease {
    leading: Arc<AtomicBool>,
}

impl Lease {
    pub fn is_leader(&self) -> bool {
        AtomicBool::load(&self.leading, Ordering::SeqCst)
    }

    /// Tries to take the lock `key` every `retry`, and while holding it checks the session
    /// every `retry`; leadership ends when the session fails or at cancellation.
    pub async fn hold(self, database_url: String, key: i64, retry: Duration, cancel: CancellationToken) {
        loop {
            if let Ok(mut conn) = AsyncPgConnection::establish(&database_url).await {
                match try_lock(&mut conn, key).await {
                    Ok(true) => {
                        tracing::info!(key, "Leader lease taken");
                        self.leading.store(true, Ordering::SeqCst);
                        self.keep(&mut conn, retry, &cancel).await;
                        self.leading.store(false, Ordering::SeqCst);
                        tracing::info!(key, "Leader lease released");
                    }
                    Ok(false) => {}
                    Err(error) => tracing::warn!(%error, "Leader lease cannot be asked for"),
                }
            }
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(retry) => {}
            }
        }
    }

    /// Checks the lock's session until it fails or the process stops.
    async fn keep(&self, conn: &mut AsyncPgConnection, retry: Duration, cancel: &CancellationToken) {
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(retry) => {}
            }
            let alive = tokio::time::timeout(retry, diesel::sql_query("SELECT 1").execute(conn)).await;
            if !matches!(alive, Ok(Ok(_))) {
                tracing::warn!("Leader lease lost: its database session failed");
                return;
            }
        }
    }
}

/// Takes the session-level advisory lock `key` if it is free (held until [`unlock`] or the
/// session ends): also what keeps one replay at a time across replicas.
pub async fn try_lock(conn: &mut AsyncPgConnection, key: i64) -> QueryResult<bool> {
    let locked: Locked = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
        .bind::<BigInt, _>(key)
        .get_result(conn)
        .await?;
    Ok(locked.locked)
}

/// Releases a lock [`try_lock`] took on this session.
pub async fn unlock(conn: &mut AsyncPgConnection, key: i64) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(key)
        .execute(conn)
        .await?;
    Ok(())
}
