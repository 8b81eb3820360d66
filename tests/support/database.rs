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
        store::migrate(&pool).await.expect("migrations apply");
        Self { name, url, pool }
    }

    /// Every stored contact, ordered by number.
    pub async fn contacts(&self) -> Vec<sync_worker::apply::ContactRow> {
        use diesel::{QueryDsl, SelectableHelper};
        use store::schema::contacts;
        let mut conn = self.pool.get().await.expect("database connection");
        contacts::table
            .order(contacts::contact_number)
            .select(sync_worker::apply::ContactRow::as_select())
            .load(&mut conn)
            .await
            .expect("contacts query")
    }

    /// Creates a web account for a contact, as the import or the gateway would.
    pub async fn create_account(&self, number: &str, email: &str) -> uuid::Uuid {
        use diesel::ExpressionMethods;
        use store::schema::accounts;
        let mut conn = self.pool.get().await.expect("database connection");
        diesel::insert_into(accounts::table)
            .values((
                accounts::contact_number.eq(number),
                accounts::origin_contact_number.eq(number),
                accounts::login_email.eq(email),
                accounts::password_hash.eq("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA"),
                // As after the owner set the password through the mailed link.
                accounts::email_verified.eq(true),
            ))
            .returning(accounts::subject_id)
            .get_result(&mut conn)
            .await
            .expect("account created")
    }

    /// Accounts attached to a contact as `(subject id, contact number)`, ordered by contact number.
    pub async fn accounts(&self) -> Vec<(uuid::Uuid, String)> {
        use diesel::{ExpressionMethods, NullableExpressionMethods, QueryDsl};
        use store::schema::accounts;
        let mut conn = self.pool.get().await.expect("database connection");
        accounts::table
            .filter(accounts::contact_number.is_not_null())
            .order(accounts::contact_number)
            .select((accounts::subject_id, accounts::contact_number.assume_not_null()))
            .load(&mut conn)
            .await
            .expect("accounts query")
    }

    /// The single `n` a counting query returns (`SELECT count(*) AS n ...`).
    pub async fn count(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.pool.get().await.expect("database connection");
        diesel::sql_query(sql)
            .get_result::<Count>(&mut conn)
            .await
            .expect("count")
            .n
    }

    /// Runs a SQL statement (test set-up and inspection).
    pub async fn execute(&self, sql: &str) -> usize {
        let mut conn = self.pool.get().await.expect("database connection");
        diesel::sql_query(sql).execute(&mut conn).await.expect("statement runs")
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
                    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}
