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
pub mod reconcile_reports;
pub mod replay_runs;
pub mod roles;
pub mod schedule;
pub mod schema;
pub mod totp;

use diesel_async::AsyncMigrationHarness;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub use infra::db::{PgPool, ping, pool};

/// Every migration of `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Applies every pending migration and returns the versions applied; then grants
/// `gateway_role` the gateway's privileges ([`roles::grant_gateway`]) and `console_role` the
/// support console's ([`roles::grant_console`]), each given, in one transaction.
pub async fn migrate_and_grant(
    pool: &PgPool,
    gateway_role: Option<&str>,
    console_role: Option<&str>,
) -> anyhow::Result<Vec<String>> {
    let applied = migrate(pool).await?;
    if gateway_role.is_some() || console_role.is_some() {
        use diesel_async::AsyncConnection;
        let mut pooled = pool.get().await?;
        let conn: &mut diesel_async::AsyncPgConnection = &mut pooled;
        conn.transaction::<_, anyhow::Error, _>(async |tx: &mut diesel_async::AsyncPgConnection| {
            if let Some(role) = gateway_role {
                roles::grant_gateway(tx, role).await?;
            }
            if let Some(role) = console_role {
                roles::grant_console(tx, role).await?;
            }
            Ok(())
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
