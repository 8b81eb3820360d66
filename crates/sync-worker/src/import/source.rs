//! Reading an import file record by record, in file order: JSON lines of `getContactData`
//! objects, a JSON array (of `getContactData` objects or Data Export rows), or CSV with
//! S-360's bulk-import columns (see [`super::csv_columns`]). A record that cannot be read is
//! an error naming its position, never its content.

use std::{
    fs::File,
    io::{BufRead, BufReader},
    path::Path,
};

use model::{Contact, secutix};
use serde_json::Value;

/// File formats the import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One `getContactData` object (or Data Export row) per line.
    Jsonl,
    /// One JSON array of `getContactData` objects or Data Export rows (read whole: prefer
    /// JSON lines for very large files).
    Json,
    /// CSV with a header line of S-360 bulk-import column names.
    Csv,
}

impl Format {
    /// The format named by the file's extension.
    pub fn from_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" => Some(Self::Jsonl),
            "json" => Some(Self::Json),
            "csv" => Some(Self::Csv),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Jsonl => "jsonl",
            Self::Json => "json",
            Self::Csv => "csv",
        }
    }
}

/// One record that could not become a contact; `position` counts from 1 in file order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {position}: {reason}")]
pub struct BadRecord {
    pub position: u64,
    pub reason: String,
}

pub type Item = Result<Contact, BadRecord>;

/// Opens `path` and returns its records as contacts, in order.
pub fn read(path: &Path, format: Format) -> anyhow::Result<Box<dyn Iterator<Item = Item> + Send>> {
    let file = File::open(path).map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
    Ok(match format {
        Format::Jsonl => {
            let lines = BufReader::with_capacity(1 << 20, file).lines();
            let records = lines
                .filter(|line| !matches!(line, Ok(l) if l.trim().is_empty()))
                .enumerate()
                .map(|(index, line)| {
                    let position = index as u64 + 1;
                    let line = line.map_err(|_| bad(position, "not UTF-8 text"))?;
                    let value: Value = serde_json::from_str(&line)
                        .map_err(|e| bad(position, &format!("not JSON (column {})", e.column())))?;
                    contact(position, value)
                });
            Box::new(records)
        }
        Format::Json => {
            let value: Value = serde_json::from_reader(BufReader::new(file)).map_err(|e| {
                anyhow::anyhow!(
                    "{} is not JSON (line {}, column {})",
                    path.display(),
                    e.line(),
                    e.column()
                )
            })?;
            let items = match value {
                Value::Array(items) => items,
                object @ Value::Object(_) => vec![object],
                _ => anyhow::bail!("{} must hold a JSON array of contacts", path.display()),
            };
            Box::new(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(index, value)| contact(index as u64 + 1, value)),
            )
        }
        Format::Csv => Box::new(super::csv_columns::read(file)?),
    })
}

/// Maps one JSON record: a `getContactData` object, or a Data Export row (flat names).
pub fn contact(position: u64, value: Value) -> Item {
    let parsed = if is_export_row(&value) {
        secutix::from_data_export_row(value)
    } else {
        secutix::from_get_contact_data(value)
    };
    parsed.map_err(|e| bad(position, &e.to_string()))
}

fn is_export_row(value: &Value) -> bool {
    value.as_object().is_some_and(|object| {
        !object.contains_key("individualContact")
            && object
                .keys()
                .any(|k| k.starts_with("individual") || k == "email" || k.starts_with("socialConnections"))
    })
}

pub fn bad(position: u64, reason: &str) -> BadRecord {
    BadRecord {
        position,
        reason: reason.to_owned(),
    }
}
