//! Import runs: a file (by path, size and modification time) is one run; an unfinished run of
//! the same file is resumed from its recorded position with its counts.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::{Counts, Format};
use store::schema::import_runs;

pub struct Run {
    pub id: i64,
    pub position: i64,
    pub counts: Counts,
}

/// The unfinished run of `source_key`, or a new one.
pub async fn open(conn: &mut AsyncPgConnection, source_key: &str, format: Format, total: u64) -> anyhow::Result<Run> {
    let open: Option<(i64, i64, serde_json::Value)> = import_runs::table
        .filter(import_runs::source_key.eq(source_key))
        .filter(import_runs::finished_at.is_null())
        .order(import_runs::id.desc())
        .select((import_runs::id, import_runs::position, import_runs::counts))
        .first(conn)
        .await
        .optional()?;
    if let Some((id, position, counts)) = open {
        return Ok(Run {
            id,
            position,
            counts: serde_json::from_value(counts).unwrap_or_default(),
        });
    }
    let id = diesel::insert_into(import_runs::table)
        .values((
            import_runs::source_key.eq(source_key),
            import_runs::format.eq(format.name()),
            import_runs::total.eq(i64::try_from(total).unwrap_or(i64::MAX)),
            import_runs::counts.eq(serde_json::to_value(Counts::default())?),
        ))
        .returning(import_runs::id)
        .get_result(conn)
        .await?;
    Ok(Run {
        id,
        position: 0,
        counts: Counts::default(),
    })
}

/// Marks the run finished, in a synchronous commit: it returns once the WAL of this and of every
/// earlier commit of the run is on disk.
pub async fn finish(conn: &mut AsyncPgConnection, id: i64) -> anyhow::Result<()> {
    diesel::update(import_runs::table.find(id))
        .set(import_runs::finished_at.eq(diesel::dsl::now))
        .execute(conn)
        .await?;
    Ok(())
}
