//! `store`: the one PostgreSQL schema of secutix-bridge. It holds the embedded migrations, the
//! diesel table definitions, and the queries that more than one service runs, one module per
//! table (or per group of tables written together). Every query function takes a connection,
//! so the caller owns the transaction.
//!
//! Who writes what (docs/architecture.md has the whole map):
//! - `sync-worker` is the only writer of contact data (`contacts`, `contact_audit`, the import
//!   and write-back tables) and the only service that runs [`migrate`].
//! - `auth-gateway` writes authentication state only, through the functions of [`auth`].
//! - Every process that calls S-360 reserves its calls from [`budget`].
//! - `support-console` writes its own tables ([`console`]) and acts on fans through [`auth`].
//! - The gateway's and the console's database roles may write only their tables ([`roles`]).

pub mod account_issues;
pub mod auth;
pub mod budget;
pub mod console;
pub mod lease;
pub mod password_link;
pub mod roles;
pub mod schedule;
pub mod schema;
pub mod totp;

use diesel_async::AsyncMigrationHarness;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub use infra::db::{PgPool, ping, pool};

/// Every migration of `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Applies every pending migration and returns the versions applied; with `gateway_role`, then
/// grants that role the gateway's privileges ([`roles::grant_gateway`]) in one transaction.
pub async fn migrate_and_grant(pool: &PgPool, gateway_role: Option<&str>) -> anyhow::Result<Vec<String>> {
    let applied = migrate(pool).await?;
    if let Some(role) = gateway_role {
        use diesel_async::AsyncConnection;
        let mut pooled = pool.get().await?;
        let conn: &mut diesel_async::AsyncPgConnection = &mut pooled;
        conn.transaction::<_, anyhow::Error, _>(async |tx: &mut diesel_async::AsyncPgConnection| {
            roles::grant_gateway(tx, role).await
        })
        .await?;
    }
    Ok(applied)
}

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
