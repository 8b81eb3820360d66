//! The PostgreSQL connection pool every database-using service builds the same way.

use diesel_async::{
    AsyncPgConnection, RunQueryDsl,
    pooled_connection::{AsyncDieselConnectionManager, deadpool::Pool},
};
use secrecy::ExposeSecret;

use crate::config::DatabaseArgs;

pub type PgPool = Pool<AsyncPgConnection>;

/// Builds the pool without connecting; connections open on first use, bounded in number and
/// in how long a caller waits for one.
pub fn pool(args: &DatabaseArgs) -> anyhow::Result<PgPool> {
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(args.database_url.expose_secret());
    let pool = Pool::builder(manager)
        .max_size(usize::from(args.database_pool_size))
        .wait_timeout(Some(args.database_acquire_timeout))
        .create_timeout(Some(args.database_acquire_timeout))
        .recycle_timeout(Some(args.database_acquire_timeout))
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
