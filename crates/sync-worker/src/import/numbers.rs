//! `import --numbers FILE`: fetches each listed contact with `getContactData` (at the API's
//! rate, through the shared limiter) into `<FILE>.contacts.jsonl`, numbers S-360 does not know
//! into `<FILE>.missing`, then the import reads that file like any export. Numbers already in
//! either file are not fetched again, so an interrupted fetch resumes.

use std::{
    collections::HashSet,
    fs::OpenOptions,
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
};

use model::ContactNumber;
use tokio_util::sync::CancellationToken;

use super::ImportArgs;

/// Fetches what is missing and returns the path of the contacts file.
pub async fn fetch(args: &ImportArgs, numbers: &Path, cancel: &CancellationToken) -> anyhow::Result<PathBuf> {
    let spool = with_suffix(numbers, "contacts.jsonl");
    let missing = with_suffix(numbers, "missing");
    let mut wanted = Vec::new();
    for (index, line) in read_lines(numbers)?.into_iter().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let number = ContactNumber::parse(line)
            .map_err(|e| anyhow::anyhow!("{} line {}: not a contact number ({e})", numbers.display(), index + 1))?;
        wanted.push(number.as_str().to_owned());
    }
    let mut done: HashSet<String> = read_lines(&missing).unwrap_or_default().into_iter().collect();
    for line in read_lines(&spool).unwrap_or_default() {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(&line)
            && let Some(number) = value.get("contactNumber").and_then(serde_json::Value::as_str)
        {
            done.insert(number.to_owned());
        }
    }
    let todo: Vec<String> = wanted.into_iter().filter(|n| !done.contains(n)).collect();
    if todo.is_empty() {
        return Ok(spool);
    }
    let pool = store::pool(&args.database)?;
    let client = crate::budget::client(&args.secutix, &pool)?
        .ok_or_else(|| anyhow::anyhow!("--numbers needs the contact API: set SECUTIX_API_URL"))?;
    tracing::info!(
        contacts = todo.len(),
        minutes = todo.len() as f64 * client.limiter().interval().as_secs_f64() / 60.0,
        "Fetching contacts with getContactData"
    );
    let mut found = OpenOptions::new().create(true).append(true).open(&spool)?;
    let mut unknown = OpenOptions::new().create(true).append(true).open(&missing)?;
    for (index, number) in todo.iter().enumerate() {
        if cancel.is_cancelled() {
            anyhow::bail!("interrupted after fetching {index} contacts; run the same command again to resume");
        }
        match client.get_contact_data(number).await? {
            Some(contact) => writeln!(found, "{}", serde_json::to_string(&contact)?)?,
            None => writeln!(unknown, "{number}")?,
        }
        if (index + 1) % 100 == 0 {
            tracing::info!(fetched = index + 1, of = todo.len(), "Fetching contacts");
        }
    }
    found.sync_all()?;
    unknown.sync_all()?;
    Ok(spool)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

fn read_lines(path: &Path) -> anyhow::Result<Vec<String>> {
    let file = std::fs::File::open(path).map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
    Ok(BufReader::new(file).lines().collect::<Result<_, _>>()?)
}
