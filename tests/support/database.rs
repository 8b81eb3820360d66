//! A fresh, migrated PostgreSQL database per test, dropped when the test ends.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::admin_database_url;

pub struct TestDatabase {
    pub name: String,
    pub url: String,
    pub pool: infra::db::PgPool,
}

impl TestDatabase {
    /// Creates `test_<random>` and applies every migration with `sync-worker`'s own code.
    pub async fn create() -> Self {
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let admin = admin_database_url();
        let mut conn = AsyncPgConnection::establish(&admin)
            .await
            .expect("PostgreSQL reachable as a superuser");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create database");
        let mut url = url::Url::parse(&admin).expect("admin URL");
        url.set_path(&name);
        let url = url.to_string();
        let pool = infra::db::pool(&database_args(&url)).expect("pool");
        sync_worker::db::migrate(&pool)
            .await
            .expect("migrations apply");
        Self { name, url, pool }
    }

    /// The stored contact with this number, if any.
    pub async fn contact(&self, number: &str) -> Option<sync_worker::apply::ContactRow> {
        let mut conn = self.pool.get().await.expect("database connection");
        sync_worker::apply::find(&mut conn, number)
            .await
            .expect("contact query")
    }
}

/// The `DatabaseArgs` a service under test gets.
pub fn database_args(url: &str) -> infra::config::DatabaseArgs {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct Args {
        #[command(flatten)]
        database: infra::config::DatabaseArgs,
    }
    Args::try_parse_from(["test", "--database-url", url])
        .expect("valid database args")
        .database
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside any runtime guarantee: use a private one on a plain thread.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                if let Ok(mut conn) = AsyncPgConnection::establish(&admin_database_url()).await {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut conn)
                            .await;
                }
            });
        })
        .join();
    }
}
