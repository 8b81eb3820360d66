//! The database: embedded migrations and table definitions (the pool is built by `infra::db`).

pub mod schema;

use diesel_async::AsyncMigrationHarness;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub use infra::db::{PgPool, ping, pool};

/// Every migration of `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Applies every pending migration and returns the versions applied.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<Vec<String>> {
    let connection = pool.get().await?;
    // The harness drives diesel's synchronous migration code on a blocking thread.
    tokio::task::spawn_blocking(move || {
        let mut harness = AsyncMigrationHarness::new(connection);
        let applied = harness
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
        Ok(applied.iter().map(ToString::to_string).collect())
    })
    .await?
}
