//! A database created for a benchmark (migrated with the worker's own migrations) and dropped
//! at the end.

use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

/// A database created for the benchmark and dropped at the end.
pub struct BenchDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl BenchDatabase {
    pub async fn create(admin_url: &str) -> anyhow::Result<Self> {
        let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
        let mut admin = AsyncPgConnection::establish(admin_url).await?;
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await?;
        let mut url = url::Url::parse(admin_url)?;
        url.set_path(&name);
        let database = Self {
            admin_url: admin_url.to_owned(),
            name,
            url: url.to_string(),
        };
        store::migrate(&database.pool()?).await?;
        Ok(database)
    }

    /// A pool on this database as the services build theirs, of their default size.
    pub fn pool(&self) -> anyhow::Result<infra::db::PgPool> {
        let args = crate::worker_args::run_args("amqp://localhost", "", &self.url, &[])?.database;
        infra::db::pool(&args)
    }

    pub async fn truncate(&self) -> anyhow::Result<()> {
        let mut conn = AsyncPgConnection::establish(&self.url).await?;
        diesel::sql_query("TRUNCATE contacts").execute(&mut conn).await?;
        Ok(())
    }

    pub async fn wait_for_rows(&self, count: usize, timeout: Duration) -> anyhow::Result<()> {
        let mut conn = AsyncPgConnection::establish(&self.url).await?;
        let deadline = Instant::now() + timeout;
        loop {
            let rows = contacts(&mut conn).await?;
            if rows >= count {
                return Ok(());
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "only {rows} of {count} rows after {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until `count` contacts numbered `<tag>-…` are stored (counted on the primary
    /// key's range, so the wait costs the same however many other contacts there are).
    pub async fn wait_for_tagged(&self, tag: &str, count: usize, timeout: Duration) -> anyhow::Result<()> {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = AsyncPgConnection::establish(&self.url).await?;
        let deadline = Instant::now() + timeout;
        loop {
            // The byte after '-' is '.': the range holds exactly the tagged numbers (the
            // benchmark databases sort by bytes, as the cluster's C collation does).
            let rows: Count = diesel::sql_query(
                "SELECT count(*) AS n FROM contacts WHERE contact_number >= $1 || '-' AND contact_number < $1 || '.'",
            )
            .bind::<diesel::sql_types::Text, _>(tag)
            .get_result(&mut conn)
            .await?;
            if usize::try_from(rows.n)? >= count {
                return Ok(());
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "only {} of {count} rows after {timeout:?}",
                rows.n
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until no contact has been written for `quiet` (a pipeline's stragglers are in).
    pub async fn wait_until_settled(&self, quiet: Duration, timeout: Duration) -> anyhow::Result<()> {
        let mut conn = AsyncPgConnection::establish(&self.url).await?;
        let deadline = Instant::now() + timeout;
        let mut last = contacts(&mut conn).await?;
        loop {
            tokio::time::sleep(quiet).await;
            let rows = contacts(&mut conn).await?;
            if rows == last {
                return Ok(());
            }
            anyhow::ensure!(Instant::now() < deadline, "rows still arriving after {timeout:?}");
            last = rows;
        }
    }

    pub async fn drop(self) {
        if let Ok(mut admin) = AsyncPgConnection::establish(&self.admin_url).await {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
                .execute(&mut admin)
                .await;
        }
    }
}

async fn contacts(conn: &mut AsyncPgConnection) -> anyhow::Result<usize> {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let rows: Count = diesel::sql_query("SELECT count(*) AS n FROM contacts")
        .get_result(conn)
        .await?;
    Ok(usize::try_from(rows.n)?)
}
