//! The chunks of an import's second pass: read and mapped on a thread of their own
//! ([`prepare_all`]), then applied in two stages (`batch`), the accounts of a chunk
//! ([`Applied::finish`]) committing with the run's position.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Counts, batch, progress::Progress, source, web};
use crate::apply::DetectionRules;

/// One chunk ready to apply: its web-account contacts, how many records it covers, and the
/// records skipped before the database is asked.
pub struct Prepared {
    pub chunk: batch::Chunk,
    pub read: usize,
    pub skipped: BTreeMap<&'static str, u64>,
}

/// A chunk whose contacts are committed, waiting for its accounts.
pub struct Applied {
    pub chunk: batch::Chunk,
    pub read: usize,
    pub skipped: BTreeMap<&'static str, u64>,
    pub contacts: batch::ContactsApplied,
    pub position: i64,
}

impl Applied {
    /// Creates the chunk's accounts and commits the run's position after it; `counts` then
    /// holds the totals up to it.
    pub async fn finish(
        self,
        conn: &mut diesel_async::AsyncPgConnection,
        run_id: i64,
        counts: &mut Counts,
        settings: &batch::AccountSettings,
        progress: &Progress,
    ) -> anyhow::Result<()> {
        let mut next = counts.clone();
        next.read += self.read as u64;
        for (reason, count) in self.skipped {
            *next.skipped.entry(reason.into()).or_default() += count;
        }
        next.contacts_written += self.contacts.written;
        next.contacts_current += self.contacts.current;
        batch::apply_accounts(conn, run_id, self.chunk, self.position, &mut next, settings).await?;
        *counts = next;
        progress.advance(self.read as u64, counts);
        Ok(())
    }
}

/// Splits the records into chunks and sends them, until the records end or the receiver is
/// gone.
pub fn prepare_all(
    mut records: impl Iterator<Item = source::Item>,
    batch_size: usize,
    emails: &web::Emails,
    export_time: DateTime<Utc>,
    rules: &DetectionRules,
    settings: &batch::AccountSettings,
    sender: &tokio::sync::mpsc::Sender<anyhow::Result<Prepared>>,
) {
    loop {
        let mut prepared = Prepared {
            chunk: batch::Chunk::default(),
            read: 0,
            skipped: BTreeMap::new(),
        };
        let mut failure = None;
        for item in records.by_ref().take(batch_size) {
            prepared.read += 1;
            match item {
                Err(bad) => {
                    tracing::warn!(position = bad.position, reason = %bad.reason, "Skipping a record that is not a contact");
                    *prepared.skipped.entry("invalid").or_default() += 1;
                }
                Ok(contact) => match (web::refusal(&contact), emails.account(&contact)) {
                    (Some(reason), _) => *prepared.skipped.entry(reason).or_default() += 1,
                    (None, Some(account)) => {
                        if let Err(error) = prepared.chunk.push(contact, &account, export_time, rules, settings) {
                            failure = Some(error);
                            break;
                        }
                    }
                    (None, None) => *prepared.skipped.entry("no_email").or_default() += 1,
                },
            }
        }
        if prepared.read == 0 {
            return;
        }
        let message = match failure {
            Some(error) => Err(error),
            None => Ok(prepared),
        };
        if sender.blocking_send(message).is_err() {
            return;
        }
    }
}
