//! The console's actions on a fan's S-360 tasks: a failed task made due now again, and a
//! write-back conflict resolved. Each is one guarded `UPDATE` that changes the row only in the
//! state the action is for (`false` otherwise: already retried, resolved or never failed), and
//! leaves the rest to sync-worker: its rounds claim rows that are `pending` and due
//! (`next_attempt_at <= now()`), counting `attempts` from 0 again, as a new row.

use diesel::{
    prelude::*,
    sql_types::{Int8, Uuid as SqlUuid, Varchar},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// A task of a fan the console can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskRef {
    /// A `writeback_outbox` row (of the fan's contact).
    WriteBack(i64),
    /// The account's `contact_creations` row.
    Creation,
    /// The contact's `import_links` row (the import's `addLink`).
    Link,
}

impl TaskRef {
    /// `writeback-<id>`, `creation` or `link`, as the forms name them.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "creation" => Some(Self::Creation),
            "link" => Some(Self::Link),
            _ => text
                .strip_prefix("writeback-")
                .and_then(|id| id.parse().ok())
                .filter(|id: &i64| *id > 0)
                .map(Self::WriteBack),
        }
    }
}

impl std::fmt::Display for TaskRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::WriteBack(id) => write!(f, "writeback-{id}"),
            Self::Creation => f.write_str("creation"),
            Self::Link => f.write_str("link"),
        }
    }
}

/// Makes a failed task due now again: `pending`, no attempts, no error. A write-back or link
/// must be `failed`; a contact creation `failed` or `ambiguous` (it searches and decides
/// again). `subject` and `contact_number` are the fan's: a task of another fan is not found.
pub async fn retry(
    conn: &mut AsyncPgConnection,
    task: &TaskRef,
    subject: Option<Uuid>,
    contact_number: Option<&str>,
) -> QueryResult<bool> {
    let changed = match (task, subject, contact_number) {
        (TaskRef::WriteBack(id), _, Some(number)) => {
            diesel::sql_query(
                "UPDATE writeback_outbox SET state = 'pending', attempts = 0, next_attempt_at = now(), \
                 last_error = NULL, completed_at = NULL \
                 WHERE id = $1 AND contact_number = $2 AND state = 'failed'",
            )
            .bind::<Int8, _>(*id)
            .bind::<Varchar, _>(number)
            .execute(conn)
            .await?
        }
        (TaskRef::Creation, Some(subject), _) => {
            diesel::sql_query(
                "UPDATE contact_creations SET state = 'pending', attempts = 0, next_attempt_at = now(), \
                 last_error = NULL, updated_at = now() \
                 WHERE subject_id = $1 AND state IN ('failed', 'ambiguous')",
            )
            .bind::<SqlUuid, _>(subject)
            .execute(conn)
            .await?
        }
        (TaskRef::Link, _, Some(number)) => {
            diesel::sql_query(
                "UPDATE import_links SET state = 'pending', attempts = 0, next_attempt_at = now(), \
                 last_error = NULL, completed_at = NULL \
                 WHERE contact_number = $1 AND state = 'failed'",
            )
            .bind::<Varchar, _>(number)
            .execute(conn)
            .await?
        }
        _ => 0,
    };
    Ok(changed == 1)
}

/// How staff resolve a write-back conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// S-360's value stands (it is already in the mirror): the row becomes `dismissed`,
    /// nothing is pushed.
    KeepS360,
    /// The fan's change is pushed again, built on the version S-360 won with.
    PushFan,
}

/// Resolves the conflict `id` of `contact_number`. Pushing again re-queues the row due now
/// with `base_modified_at` set to the mirror's version, which is S-360's winning version the
/// worker applied when it recorded the conflict (or a later one the mirror received since,
/// which the staff member saw): the worker's check "S-360 newer than the edited version" then
/// passes unless S-360 changes the contact again, and its push is a compare-and-set on the
/// version it reads. A conflict that later changes of the same contact superseded (a newer
/// change pending or pushed) is not pushed again: it would overwrite them.
pub async fn resolve_conflict(
    conn: &mut AsyncPgConnection,
    contact_number: &str,
    id: i64,
    resolution: Resolution,
) -> QueryResult<bool> {
    let statement = match resolution {
        Resolution::KeepS360 => {
            "UPDATE writeback_outbox SET state = 'dismissed', completed_at = now() \
             WHERE id = $1 AND contact_number = $2 AND state = 'conflict'"
        }
        Resolution::PushFan => {
            "UPDATE writeback_outbox w SET state = 'pending', attempts = 0, next_attempt_at = now(), \
                 last_error = NULL, completed_at = NULL, \
                 base_modified_at = (SELECT c.version_time FROM contacts c WHERE c.contact_number = w.contact_number) \
             WHERE w.id = $1 AND w.contact_number = $2 AND w.state = 'conflict' \
               AND NOT EXISTS (SELECT 1 FROM writeback_outbox n WHERE n.contact_number = w.contact_number \
                               AND n.id > w.id AND n.state IN ('pending', 'done'))"
        }
    };
    let changed = diesel::sql_query(statement)
        .bind::<Int8, _>(id)
        .bind::<Varchar, _>(contact_number)
        .execute(conn)
        .await?;
    Ok(changed == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_are_named_as_the_forms_name_them() {
        for task in [TaskRef::WriteBack(42), TaskRef::Creation, TaskRef::Link] {
            assert_eq!(TaskRef::parse(&task.to_string()), Some(task));
        }
        for bad in ["", "writeback-", "writeback-0", "writeback--1", "writeback-x", "links"] {
            assert_eq!(TaskRef::parse(bad), None, "{bad}");
        }
    }
}
