//! Reading an import file record by record, in file order: JSON lines of `getContactData`
//! objects, a JSON array (of `getContactData` objects or Data Export rows), or CSV with
//! S-360's bulk-import columns (see [`super::csv_columns`]). A record that cannot be read is
//! an error naming its position, never its content ([`super::record`]).

use std::{
    fs::File,
    io::{BufRead, BufReader, Read, Seek, SeekFrom},
    path::Path,
};

use model::Contact;
use serde_json::Value;

use super::record::{bad, contact};
// The items `read` yields, named here too: the second pass (`chunks`) reads them as
// `source::Item`.
pub use super::record::{Item, Record};

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

/// The lines of a JSON-lines file that hold a record: blank lines are skipped.
pub fn record_lines(reader: impl BufRead) -> impl Iterator<Item = std::io::Result<String>> {
    reader
        .lines()
        .filter(|line| !matches!(line, Ok(l) if l.trim().is_empty()))
}

/// The records of JSON lines.
fn jsonl(reader: impl BufRead + Send + 'static) -> impl Iterator<Item = Item> + Send {
    record_lines(reader).enumerate().map(|(index, line)| {
        let position = index as u64 + 1;
        let line = line.map_err(|_| bad(position, "not UTF-8 text"))?;
        let value: Value =
            serde_json::from_str(&line).map_err(|e| bad(position, &format!("not JSON (column {})", e.column())))?;
        let mut record = contact(position, value)?;
        if !line.contains("\\u0000") {
            record.text = Some(line);
        }
        Ok(record)
    })
}

/// A JSON-lines file in up to `parts` consecutive parts split at line ends, to be read in
/// parallel.
pub fn jsonl_parts(path: &Path, parts: u64) -> anyhow::Result<Vec<impl BufRead + Send + use<>>> {
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
            Ok(BufReader::with_capacity(1 << 20, file.take(end - start)))
        })
        .collect()
}

/// What the first pass needs of one JSON line: the contact mapped from only the members that
/// decide whether it is a web account and which login it has (its number, `individualContact`,
/// `role`, `email` and the Data Export row's `individual*` and `socialConnections*` members),
/// the rest skipped unread. It is the contact [`contact`] maps from the whole line, but for
/// the members left out (addresses, authorizations, criteria, ...); the import's tests check
/// that both decide a web account alike.
pub fn essentials(line: &str) -> Option<Contact> {
    struct Essentials(serde_json::Map<String, Value>);

    impl<'de> serde::Deserialize<'de> for Essentials {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct Visitor;
            impl<'de> serde::de::Visitor<'de> for Visitor {
                type Value = Essentials;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a contact object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Essentials, A::Error> {
                    let mut kept = serde_json::Map::new();
                    while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                        if matches!(key.as_ref(), "contactNumber" | "role" | "email")
                            || key.starts_with("individual")
                            || key.starts_with("socialConnections")
                        {
                            kept.insert(key.into_owned(), map.next_value()?);
                        } else {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                    Ok(Essentials(kept))
                }
            }
            deserializer.deserialize_map(Visitor)
        }
    }

    let Essentials(kept) = serde_json::from_str(line).ok()?;
    contact(0, Value::Object(kept)).ok().map(|record| record.contact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_of_json_lines_hold_every_line_once_in_order() {
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
        let whole: Vec<String> = content.lines().map(str::to_owned).collect();
        for parts in 1..=5 {
            let split: Vec<String> = jsonl_parts(&path, parts)
                .expect("readable")
                .into_iter()
                .flat_map(|part| part.lines().map(|line| line.expect("text")))
                .collect();
            assert_eq!(split, whole, "{parts} parts");
        }
        let _ = std::fs::remove_file(&path);
    }
}
