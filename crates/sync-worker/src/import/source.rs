//! Reading an import file record by record, in file order: JSON lines of `getContactData`
//! objects, a JSON array (of `getContactData` objects or Data Export rows), or CSV with
//! S-360's bulk-import columns (see [`super::csv_columns`]). A record that cannot be read is
//! an error naming its position, never its content.

use std::{
    fs::File,
    io::{BufRead, BufReader, Read, Seek, SeekFrom},
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
        Format::Jsonl => Box::new(jsonl(BufReader::with_capacity(1 << 20, file))),
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

/// The records of JSON lines, blank lines skipped.
fn jsonl(reader: impl BufRead + Send + 'static) -> impl Iterator<Item = Item> + Send {
    reader
        .lines()
        .filter(|line| !matches!(line, Ok(l) if l.trim().is_empty()))
        .enumerate()
        .map(|(index, line)| {
            let position = index as u64 + 1;
            let line = line.map_err(|_| bad(position, "not UTF-8 text"))?;
            let value: Value =
                serde_json::from_str(&line).map_err(|e| bad(position, &format!("not JSON (column {})", e.column())))?;
            contact(position, value)
        })
}

/// The records of `path` in up to `parts` consecutive parts that can be read in parallel (JSON
/// lines split at line ends; other formats in one part). Positions count from 1 in each part.
pub fn read_parts(path: &Path, format: Format, parts: u64) -> anyhow::Result<Vec<Box<dyn Iterator<Item = Item> + Send>>> {
    if format != Format::Jsonl {
        return Ok(vec![read(path, format)?]);
    }
    let open = || File::open(path).map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()));
    let length = open()?.metadata()?.len();
    // Each part starts just after a line end at or past its share of the file.
    let mut starts = vec![0u64];
    for part in 1..parts.max(1) {
        let mut reader = BufReader::new(open()?);
        reader.seek(SeekFrom::Start(length * part / parts))?;
        let mut skipped = Vec::new();
        let start = length * part / parts + reader.read_until(b'\n', &mut skipped)? as u64;
        if start < length && start > *starts.last().unwrap_or(&0) {
            starts.push(start);
        }
    }
    let mut ends = starts[1..].to_vec();
    ends.push(length);
    starts
        .into_iter()
        .zip(ends)
        .map(|(start, end)| {
            let mut file = open()?;
            file.seek(SeekFrom::Start(start))?;
            let part: Box<dyn Iterator<Item = Item> + Send> =
                Box::new(jsonl(BufReader::with_capacity(1 << 20, file.take(end - start))));
            Ok(part)
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_of_json_lines_hold_every_record_once_in_order() {
        let path = std::env::temp_dir().join(format!("parts-{}.jsonl", uuid::Uuid::new_v4().simple()));
        let mut content = String::new();
        for i in 0..25 {
            content.push_str(&format!("{{\"contactNumber\": \"{i}\"}}\n"));
            if i % 7 == 0 {
                content.push_str("\n  \n");
            }
        }
        content.push_str("{\"contactNumber\": \"last\"}");
        std::fs::write(&path, &content).expect("written");
        let numbers = |items: Box<dyn Iterator<Item = Item> + Send>| {
            items
                .map(|item| item.expect("a contact").contact_number.as_str().to_owned())
                .collect::<Vec<_>>()
        };
        let whole = numbers(read(&path, Format::Jsonl).expect("readable"));
        assert_eq!(whole.len(), 26);
        for parts in 1..=5 {
            let split: Vec<String> = read_parts(&path, Format::Jsonl, parts)
                .expect("readable")
                .into_iter()
                .flat_map(numbers)
                .collect();
            assert_eq!(split, whole, "{parts} parts");
        }
        let _ = std::fs::remove_file(&path);
    }
}
