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

/// One record of the file: its contact and, when the contact can be stored exactly as the file
/// holds it (a JSON line without NUL escapes), its JSON text.
#[derive(Debug)]
pub struct Record {
    pub contact: Contact,
    pub text: Option<String>,
}

pub type Item = Result<Record, BadRecord>;

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
/// the members left out (addresses, authorizations, criteria, ...).
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

/// Maps one JSON record: a `getContactData` object, or a Data Export row (flat names).
pub fn contact(position: u64, value: Value) -> Item {
    let parsed = if is_export_row(&value) {
        secutix::from_data_export_row(value)
    } else {
        secutix::from_get_contact_data(value)
    };
    parsed
        .map(|contact| Record { contact, text: None })
        .map_err(|e| bad(position, &e.to_string()))
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

    #[test]
    fn essentials_decide_a_web_account_as_the_whole_record_does() {
        let sample = include_str!("../../../model/fixtures/getContactData.sample.json");
        let mut export_row: Value = serde_json::json!({
            "contactNumber": "77", "role": "PUBLIC", "individualFirstname": "Fan",
            "email": "Fan@Example.org", "socialConnections.providerUserReference": "x",
        });
        let lines = [
            serde_json::to_string(&serde_json::from_str::<Value>(sample).expect("json")).expect("json"),
            export_row.to_string(),
            {
                export_row["role"] = "RELAY".into();
                export_row.to_string()
            },
            r#"{"contactNumber": "5", "individualContact": {"email": "a@b.org", "hasLogin": false}}"#.to_owned(),
            r#"{"contactNumber": "6", "individualContact": {"email": "not an e-mail", "role": "PUBLIC"}}"#.to_owned(),
            r#"{"individualContact": {"email": "a@b.org", "role": "PUBLIC"}}"#.to_owned(),
            r#"["not", "an", "object"]"#.to_owned(),
        ];
        for line in &lines {
            let whole = contact(0, serde_json::from_str(line).expect("json"))
                .ok()
                .map(|record| record.contact);
            let light = essentials(line);
            let decided = |c: &Option<Contact>| {
                c.as_ref().map(|c| {
                    (
                        c.contact_number.clone(),
                        c.email.clone(),
                        c.role.clone(),
                        c.has_login,
                        super::super::web::refusal(c),
                    )
                })
            };
            assert_eq!(decided(&light), decided(&whole), "{line}");
        }
    }
}
