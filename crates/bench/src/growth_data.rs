//! The growth benchmark's data: fans generated straight into the benchmark database by
//! PostgreSQL itself (`INSERT … SELECT` over `generate_series`), so millions take minutes.
//! Fan `n` has contact number `n` (ten digits), a first name from a list of common ones, a
//! last name of three syllables (64,000 distinct, spread over the numbers by a hash, so a
//! surname matches one fan in 30,000 to 64,000 as real surnames do), a distinct e-mail made
//! of both, and the sample S-360 payload with them (1 KB); six fans in ten have an account,
//! four in ten a password too. The contacts' and accounts' secondary indexes are
//! dropped while rows go in and built again after (each as the migrations define it), as a
//! bulk load would.

use std::time::Instant;

use diesel::sql_types::{Array, BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

const FIRST_NAMES: &[&str] = &[
    "Jean",
    "Marie",
    "Pierre",
    "Anne",
    "Louis",
    "Julie",
    "Nicolas",
    "Camille",
    "Thomas",
    "Claire",
    "Lukas",
    "Lea",
    "Jonas",
    "Hannah",
    "Felix",
    "Lena",
    "Paul",
    "Sophie",
    "Maximilian",
    "Laura",
    "Marco",
    "Giulia",
    "Luca",
    "Sara",
    "David",
    "Emma",
    "Daniel",
    "Olivia",
    "James",
    "Charlotte",
    "Noah",
    "Mia",
    "Elias",
    "Nina",
    "Hugo",
    "Chloe",
    "Arthur",
    "Ines",
    "Jules",
    "Manon",
    "Antoine",
    "Pauline",
    "Simon",
    "Elena",
    "Matteo",
    "Alice",
    "Leon",
    "Clara",
    "Samuel",
    "Zoe",
];
const SYLLABLES: &[&str] = &[
    "ber", "mar", "lan", "dor", "ri", "vel", "son", "ka", "mon", "tin", "gar", "lis", "bru", "fon", "del", "ham",
    "pra", "zel", "co", "nier", "ste", "wal", "mi", "rou", "chet", "bau", "ler", "sa", "ven", "tal", "gri", "mann",
    "po", "dur", "fi", "nard", "hof", "lo", "quet", "zin",
];

/// SQL expressions of fan `n` (an `int8` column `n`): `(number, first, last, email, hash)`.
fn fan_sql() -> [String; 5] {
    let list = |items: &[&str]| {
        let quoted: Vec<String> = items.iter().map(|s| format!("'{s}'")).collect();
        format!("ARRAY[{}]", quoted.join(","))
    };
    let k = SYLLABLES.len();
    // Knuth's multiplicative hash: neighbouring numbers get unrelated names.
    let hash = "((n * 2654435761) % 4294967296)".to_owned();
    let first = format!("({})[1 + ({hash} % {})]", list(FIRST_NAMES), FIRST_NAMES.len());
    let syllable = |div: usize| format!("({})[1 + ({hash} / {div} % {k})]", list(SYLLABLES));
    let last = format!(
        "initcap({} || {} || {})",
        syllable(7),
        syllable(7 * k),
        syllable(7 * k * k)
    );
    let number = "lpad(n::text, 10, '0')".to_owned();
    let email = format!("lower({first} || '.' || {last}) || n || '@example.org'");
    [number, first, last, email, hash]
}

/// What a search for fan `n` types, from the same expressions as the rows: contact number,
/// e-mail and last name of each of `fans` (whether stored or not).
pub async fn search_values(
    conn: &mut AsyncPgConnection,
    fans: &[i64],
) -> anyhow::Result<Vec<(String, String, String)>> {
    #[derive(diesel::QueryableByName)]
    struct Values {
        #[diesel(sql_type = Text)]
        number: String,
        #[diesel(sql_type = Text)]
        email: String,
        #[diesel(sql_type = Text)]
        last: String,
    }
    let [number, _, last, email, _] = fan_sql();
    let rows: Vec<Values> = diesel::sql_query(format!(
        "SELECT {number} AS number, {email} AS email, {last} AS last FROM unnest($1::int8[]) AS n"
    ))
    .bind::<Array<BigInt>, _>(fans)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|v| (v.number, v.email, v.last)).collect())
}

/// `count` fans spread over `0..range` (the same ones each run).
pub fn pick(range: u64, count: usize) -> Vec<i64> {
    (0..count as u64)
        .map(|i| ((i * 7_919 + 13) * 104_729 % range.max(1)) as i64)
        .collect()
}

/// The accounts of `fans` (those who have one): subject id and login e-mail, and whether it
/// has a password.
pub async fn accounts_of(
    conn: &mut AsyncPgConnection,
    fans: &[i64],
) -> anyhow::Result<Vec<(uuid::Uuid, String, bool)>> {
    #[derive(diesel::QueryableByName)]
    struct Account {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        subject_id: uuid::Uuid,
        #[diesel(sql_type = Text)]
        login_email: String,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        password: bool,
    }
    let [number, ..] = fan_sql();
    let accounts: Vec<Account> = diesel::sql_query(format!(
        "SELECT subject_id, login_email, password_hash IS NOT NULL AS password FROM accounts \
         WHERE contact_number IN (SELECT {number} FROM unnest($1::int8[]) AS n) ORDER BY contact_number"
    ))
    .bind::<Array<BigInt>, _>(fans)
    .load(conn)
    .await?;
    Ok(accounts
        .into_iter()
        .map(|a| (a.subject_id, a.login_email, a.password))
        .collect())
}

/// Generated fans stored so far.
pub async fn stored(conn: &mut AsyncPgConnection) -> anyhow::Result<u64> {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    // Generated numbers are the only ten-digit ones, and dense from 0.
    let count: Count = diesel::sql_query(
        "SELECT coalesce(max(contact_number)::int8 + 1, 0) AS n FROM contacts \
         WHERE contact_number >= '0000000000' AND contact_number <= '9999999999' AND length(contact_number) = 10",
    )
    .get_result(conn)
    .await?;
    Ok(u64::try_from(count.n)?)
}

/// Adds fans until `target` are stored (with `password_hash` for those with a password);
/// returns the seconds it took, indexes rebuilt, statistics refreshed and the checkpoint
/// included.
pub async fn grow_to(database_url: &str, target: u64, password_hash: &str) -> anyhow::Result<f64> {
    let mut conn = AsyncPgConnection::establish(database_url).await?;
    let from = stored(&mut conn).await?;
    if from >= target {
        return Ok(0.0);
    }
    let started = Instant::now();
    for setting in ["SET maintenance_work_mem = '512MB'", "SET synchronous_commit = off"] {
        diesel::sql_query(setting).execute(&mut conn).await?;
    }
    let indexes = secondary_indexes(&mut conn).await?;
    for (name, _) in &indexes {
        diesel::sql_query(format!("DROP INDEX {name}"))
            .execute(&mut conn)
            .await?;
    }
    let [number, first, last, email, hash] = fan_sql();
    // The payload S-360 sends, as the other benchmarks apply it, with the fan's own name.
    let sample = crate::sample_contact("0").to_string();
    const CHUNK: u64 = 500_000;
    let mut start = from;
    while start < target {
        let end = (start + CHUNK).min(target);
        diesel::sql_query(format!(
            "INSERT INTO contacts (contact_number, first_name, last_name, email, language, addresses, raw, \
                 version_time, version_event_id, source) \
             SELECT number, first, last, email, 'fr', '[]', \
                 $3::jsonb || jsonb_build_object('contactNumber', number, 'individualContact', \
                     ($3::jsonb -> 'individualContact') || jsonb_build_object('firstname', first, \
                     'lastname', last, 'email', email)), \
                 now(), gen_random_uuid(), 'webhook' \
             FROM (SELECT {number} AS number, {first} AS first, {last} AS last, {email} AS email \
                   FROM generate_series($1::int8, $2::int8 - 1) AS n) AS fan"
        ))
        .bind::<BigInt, _>(i64::try_from(start)?)
        .bind::<BigInt, _>(i64::try_from(end)?)
        .bind::<Text, _>(&sample)
        .execute(&mut conn)
        .await?;
        diesel::sql_query(format!(
            "INSERT INTO accounts (contact_number, origin_contact_number, login_email, password_hash, email_verified) \
             SELECT {number}, {number}, {email}, CASE WHEN {hash} % 10 < 4 THEN $3 END, true \
             FROM generate_series($1::int8, $2::int8 - 1) AS n WHERE {hash} % 10 < 6"
        ))
        .bind::<BigInt, _>(i64::try_from(start)?)
        .bind::<BigInt, _>(i64::try_from(end)?)
        .bind::<Text, _>(password_hash)
        .execute(&mut conn)
        .await?;
        eprintln!("growth: {end} fans stored ({:.0?})", started.elapsed());
        start = end;
    }
    for (_, definition) in &indexes {
        diesel::sql_query(definition.as_str()).execute(&mut conn).await?;
    }
    diesel::sql_query("VACUUM (ANALYZE) contacts, accounts")
        .execute(&mut conn)
        .await?;
    Ok(started.elapsed().as_secs_f64())
}

/// The contacts' and accounts' indexes that no constraint owns: `(name, CREATE statement)`.
async fn secondary_indexes(conn: &mut AsyncPgConnection) -> anyhow::Result<Vec<(String, String)>> {
    #[derive(diesel::QueryableByName)]
    struct Index {
        #[diesel(sql_type = Text)]
        indexname: String,
        #[diesel(sql_type = Text)]
        indexdef: String,
    }
    let indexes: Vec<Index> = diesel::sql_query(
        "SELECT indexname::text, indexdef FROM pg_indexes \
         WHERE schemaname = current_schema() AND tablename IN ('contacts', 'accounts') \
           AND indexname NOT IN (SELECT conname FROM pg_constraint)",
    )
    .load(conn)
    .await?;
    Ok(indexes.into_iter().map(|i| (i.indexname, i.indexdef)).collect())
}
