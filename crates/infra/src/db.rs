//! The PostgreSQL connection pool every database-using service builds the same way.

use std::time::Duration;

use deadpool::managed::{Hook, HookError};
use diesel_async::{
    AsyncPgConnection, RunQueryDsl,
    pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod, deadpool::Pool},
};
use secrecy::ExposeSecret;

use crate::config::DatabaseArgs;

pub type PgPool = Pool<AsyncPgConnection>;

/// A pooled connection used more recently than this is handed out as it is; one idle longer
/// first answers a test query (`SELECT 1`), and is replaced if it cannot. A connection in
/// steady use thus costs no extra round trip per checkout (the default test query doubled the
/// round trips of a one-statement request), while one that sat idle through a database restart
/// or failover is not handed out broken. A connection that breaks while in use is marked
/// broken and dropped when returned. (The window is HikariCP's `aliveBypassWindowMs`.)
pub const TESTED_AFTER_IDLE: Duration = Duration::from_millis(500);

/// Builds the pool without connecting; connections open on first use, bounded in number and
/// in how long a caller waits for one.
pub fn pool(args: &DatabaseArgs) -> anyhow::Result<PgPool> {
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    let manager =
        AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(args.database_url.expose_secret(), config);
    let timeout = args.database_acquire_timeout;
    let pool = Pool::builder(manager)
        .max_size(usize::from(args.database_pool_size))
        .wait_timeout(Some(timeout))
        .create_timeout(Some(timeout))
        .recycle_timeout(Some(timeout))
        .pre_recycle(Hook::async_fn(move |conn, metrics| {
            Box::pin(async move {
                if metrics.last_used() < TESTED_AFTER_IDLE {
                    return Ok(());
                }
                match tokio::time::timeout(timeout, diesel::sql_query("SELECT 1").execute(conn)).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(_)) => Err(HookError::Message("the idle connection failed its test query".into())),
                    Err(_) => Err(HookError::Message("the idle connection's test query timed out".into())),
                }
            })
        }))
        .runtime(deadpool::Runtime::Tokio1)
        .build()?;
    Ok(pool)
}

/// Readiness probe: one round trip to PostgreSQL.
pub async fn ping(pool: &PgPool) -> Result<(), String> {
    let mut connection = pool.get().await.map_err(|e| e.to_string())?;
    diesel::sql_query("SELECT 1")
        .execute(&mut connection)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// A `/readyz` check of the pool.
pub fn readiness_check(pool: &PgPool) -> crate::http::Check {
    use futures::FutureExt;
    let pool = pool.clone();
    std::sync::Arc::new(move || {
        let pool = pool.clone();
        async move { ping(&pool).await }.boxed()
    })
}

/// A connection borrowed from a [`PgPool`].
pub type PooledConnection = deadpool::managed::Object<AsyncDieselConnectionManager<AsyncPgConnection>>;
