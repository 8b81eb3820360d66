//! A dry run's per-contact diff: inside the transaction that is rolled back, the contacts a
//! batch touches are read before and after it is applied ([`snapshot`]) and compared
//! ([`compare`]): created, updated (which fields, old → new), merged, anonymised or unchanged.
//! [`DryRunDiff`] keeps the first [`ROWS`] contacts and totals by kind; `sync-worker replay
//! --dry-run` prints it and records it in `replay_runs` (the support console shows the same).
//! Each batch is applied to the stored state (the previous batches were rolled back), so a
//! contact changed in two batches shows the later batch's change.

use std::collections::{BTreeMap, HashMap};

use diesel::{
    QueryableByName,
    sql_types::{Array, Jsonb, Text},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Contacts listed in a diff; the totals count them all.
pub const ROWS: usize = 200;

/// Columns left out of the comparison: bookkeeping, and `raw` (every field is compared already).
const IGNORED: &str = "ARRAY['raw', 'created_at', 'updated_at', 'version_time', 'version_event_id', 'source']";

#[derive(QueryableByName)]
struct Snapshot {
    #[diesel(sql_type = Text)]
    contact_number: String,
    #[diesel(sql_type = Jsonb)]
    row: Value,
}

/// The stored contacts among `numbers`, by contact number, as compared.
pub async fn snapshot(conn: &mut AsyncPgConnection, numbers: &[String]) -> diesel::QueryResult<HashMap<String, Value>> {
    let query = format!(
        "SELECT contact_number::text AS contact_number, to_jsonb(c) - {IGNORED} AS row \
         FROM contacts c WHERE contact_number = ANY($1)"
    );
    let rows: Vec<Snapshot> = diesel::sql_query(query)
        .bind::<Array<Text>, _>(numbers)
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|r| (r.contact_number, r.row)).collect())
}

/// One field that would change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Value,
    pub new: Value,
}

/// What would happen to one contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Created,
    Updated,
    Merged,
    Anonymised,
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactChange {
    pub contact_number: String,
    pub kind: Kind,
    /// The fields that would change (for a created contact, those it would have).
    pub fields: Vec<FieldChange>,
}

/// Compares the contacts `numbers` before and after a batch.
pub fn compare(
    numbers: &[String],
    before: &HashMap<String, Value>,
    after: &HashMap<String, Value>,
) -> Vec<ContactChange> {
    let mut changes = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for number in numbers {
        if !seen.insert(number) {
            continue;
        }
        let Some(new) = after.get(number) else { continue };
        let old = before.get(number);
        let fields = field_changes(old.unwrap_or(&Value::Null), new);
        let state_changed = fields.iter().any(|f| f.field == "state");
        let kind = match (old, new["state"].as_str()) {
            (None, _) => Kind::Created,
            _ if fields.is_empty() => Kind::Unchanged,
            (_, Some("anonymised")) if state_changed => Kind::Anonymised,
            (_, Some("merged")) if state_changed => Kind::Merged,
            _ => Kind::Updated,
        };
        changes.push(ContactChange {
            contact_number: number.clone(),
            kind,
            fields,
        });
    }
    changes
}

fn field_changes(old: &Value, new: &Value) -> Vec<FieldChange> {
    let Some(columns) = new.as_object() else {
        return Vec::new();
    };
    columns
        .iter()
        .filter(|(name, _)| name.as_str() != "contact_number")
        .filter(|(name, value)| old.get(name.as_str()).unwrap_or(&Value::Null) != *value)
        .filter(|(_, value)| !(old.is_null() && value.is_null()))
        .map(|(name, value)| FieldChange {
            field: name.clone(),
            old: old.get(name.as_str()).cloned().unwrap_or(Value::Null),
            new: value.clone(),
        })
        .collect()
}

/// The diff of a whole dry run: the first [`ROWS`] contacts, and how many of each kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DryRunDiff {
    pub rows: Vec<ContactChange>,
    pub totals: BTreeMap<Kind, u64>,
    /// Contacts not listed in `rows`.
    pub not_listed: u64,
}

/// Builds a [`DryRunDiff`] batch by batch; a contact seen again takes its later change.
#[derive(Default)]
pub struct DiffBuilder {
    kinds: HashMap<String, Kind>,
    listed: HashMap<String, usize>,
    rows: Vec<ContactChange>,
}

impl DiffBuilder {
    pub fn add(&mut self, changes: Vec<ContactChange>) {
        for change in changes {
            self.kinds.insert(change.contact_number.clone(), change.kind);
            if let Some(&at) = self.listed.get(&change.contact_number) {
                self.rows[at] = change;
            } else if self.rows.len() < ROWS {
                self.listed.insert(change.contact_number.clone(), self.rows.len());
                self.rows.push(change);
            }
        }
    }

    pub fn build(&self) -> DryRunDiff {
        let mut totals = BTreeMap::new();
        for kind in self.kinds.values() {
            *totals.entry(*kind).or_insert(0) += 1;
        }
        DryRunDiff {
            rows: self.rows.clone(),
            totals,
            not_listed: (self.kinds.len() - self.rows.len()) as u64,
        }
    }
}

impl std::fmt::Display for DryRunDiff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for row in &self.rows {
            write!(f, "  {} {}", row.contact_number, row.kind.label())?;
            let fields: Vec<String> = row
                .fields
                .iter()
                .map(|c| format!("{}: {} -> {}", c.field, c.old, c.new))
                .collect();
            if !fields.is_empty() && row.kind != Kind::Anonymised {
                write!(f, ": {}", fields.join(", "))?;
            }
            writeln!(f)?;
        }
        if self.not_listed > 0 {
            writeln!(f, "  ... and {} more contacts", self.not_listed)?;
        }
        let totals: Vec<String> = self.totals.iter().map(|(k, n)| format!("{n} {}", k.label())).collect();
        writeln!(
            f,
            "diff: {}",
            if totals.is_empty() {
                "no contact".to_owned()
            } else {
                totals.join(", ")
            }
        )
    }
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Merged => "merged",
            Self::Anonymised => "anonymised",
            Self::Unchanged => "unchanged",
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tells_created_updated_merged_anonymised_and_unchanged_apart() {
        let numbers: Vec<String> = ["N1", "U1", "M1", "A1", "S1"].iter().map(|n| n.to_string()).collect();
        let active = |name: &str| json!({"contact_number": "x", "state": "active", "first_name": name});
        let before: HashMap<String, Value> = [
            ("U1", active("Old")),
            ("M1", active("Same")),
            ("A1", active("Ann")),
            ("S1", active("Same")),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v))
        .collect();
        let mut after = before.clone();
        after.insert("N1".into(), active("New"));
        after.insert("U1".into(), active("Changed"));
        after.insert(
            "M1".into(),
            json!({"contact_number": "x", "state": "merged", "first_name": "Same"}),
        );
        after.insert(
            "A1".into(),
            json!({"contact_number": "x", "state": "anonymised", "first_name": null}),
        );
        let changes = compare(&numbers, &before, &after);
        let kinds: Vec<Kind> = changes.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [
                Kind::Created,
                Kind::Updated,
                Kind::Merged,
                Kind::Anonymised,
                Kind::Unchanged
            ]
        );
        assert_eq!(
            changes[1].fields,
            [FieldChange {
                field: "first_name".into(),
                old: json!("Old"),
                new: json!("Changed")
            }]
        );

        let mut builder = DiffBuilder::default();
        builder.add(changes);
        let diff = builder.build();
        assert_eq!(diff.totals.values().sum::<u64>(), 5);
        let text = diff.to_string();
        assert!(
            text.contains("U1 updated: first_name: \"Old\" -> \"Changed\""),
            "{text}"
        );
        assert!(
            text.ends_with("diff: 1 created, 1 updated, 1 merged, 1 anonymised, 1 unchanged\n"),
            "{text}"
        );
    }

    #[test]
    fn lists_the_first_rows_and_counts_the_rest() {
        let mut builder = DiffBuilder::default();
        let change = |n: usize| ContactChange {
            contact_number: format!("C{n}"),
            kind: Kind::Created,
            fields: Vec::new(),
        };
        builder.add((0..ROWS + 5).map(change).collect());
        builder.add(vec![change(0)]);
        let diff = builder.build();
        assert_eq!(diff.rows.len(), ROWS);
        assert_eq!(diff.not_listed, 5);
        assert_eq!(diff.totals[&Kind::Created], (ROWS + 5) as u64);
    }
}
