//! The services' PostgreSQL pool (`infra::db::pool`): a connection in steady use is handed out
//! without a test query, one that idled past `TESTED_AFTER_IDLE` answers one first, and an idle
//! connection the database closed (a restart, a failover, an administrator's
//! `pg_terminate_backend`) is replaced instead of failing the request that gets it.

use std::time::Duration;

use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tests::database::{TestDatabase, database_args};

#[derive(diesel::QueryableByName)]
struct Pid {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pid: i32,
}

async fn backend_pid(conn: &mut AsyncPgConnection) -> diesel::QueryResult<i32> {
    let row: Pid = diesel::sql_query("SELECT pg_backend_pid() AS pid")
        .get_result(conn)
        .await?;
    Ok(row.pid)
}

/// Whether the last statement backend `pid` ran was the pool's test query, as another
/// connection sees it.
async fn last_was_test_query(db: &TestDatabase, pid: i32) -> bool {
    db.count(&format!(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE pid = {pid} AND query = 'SELECT 1'"
    ))
    .await
        == 1
}

fn one_connection_pool(db: &TestDatabase) -> infra::db::PgPool {
    let mut args = database_args(&db.url);
    args.database_pool_size = 1;
    infra::db::pool(&args).expect("pool")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_connection_skips_the_test_query_and_an_idle_one_answers_it() {
    let db = TestDatabase::create().await;
    let pool = one_connection_pool(&db);
    let pid = backend_pid(&mut pool.get().await.expect("connection"))
        .await
        .expect("pid");

    // Handed out again at once: as it was, its last statement still ours.
    let conn = pool.get().await.expect("connection");
    assert!(
        !last_was_test_query(&db, pid).await,
        "no round trip for a connection in use"
    );
    drop(conn);

    tokio::time::sleep(infra::db::TESTED_AFTER_IDLE + Duration::from_millis(200)).await;
    let mut conn = pool.get().await.expect("connection");
    assert!(
        last_was_test_query(&db, pid).await,
        "an idle connection is tested first"
    );
    assert_eq!(backend_pid(&mut conn).await.expect("pid"), pid, "and kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_the_database_closed_is_replaced_not_handed_out() {
    let db = TestDatabase::create().await;
    let pool = one_connection_pool(&db);
    let pid = backend_pid(&mut pool.get().await.expect("connection"))
        .await
        .expect("pid");
    TestDatabase::execute(&db, &format!("SELECT pg_terminate_backend({pid})")).await;

    tokio::time::sleep(infra::db::TESTED_AFTER_IDLE + Duration::from_millis(200)).await;
    let mut conn = pool.get().await.expect("a connection");
    let fresh = backend_pid(&mut conn).await.expect("the connection handed out works");
    assert_ne!(fresh, pid, "a new connection");
}
