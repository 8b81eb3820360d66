//! The chunks of an import's second pass: read and mapped on a thread of their own
//! ([`prepare_all`]), then applied in two stages (`batch`), the accounts of a chunk
//! ([`AccountStage::finish`]) committing with the run's position.

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

/// The account stage on a connection of its own: creates the accounts of one applied chunk at a
/// time and commits the run's position and totals with them.
pub struct AccountStage<'a> {
    pub conn: &'a mut diesel_async::AsyncPgConnection,
    pub run_id: i64,
    pub settings: &'a batch::AccountSettings,
    pub progress: &'a Progress,
    /// The run's totals up to the last committed chunk.
    pub counts: Counts,
    /// Records up to the last committed chunk: where an interrupted run resumes.
    pub committed: i64,
}

impl AccountStage<'_> {
    /// Creates the accounts of `applied` (when there is one) and commits the run's position
    /// after it.
    pub async fn finish(&mut self, applied: Option<Applied>) -> anyhow::Result<()> {
        let Some(applied) = applied else {
            return Ok(());
        };
        let mut next = self.counts.clone();
        next.read += applied.read as u64;
        for (reason, count) in applied.skipped {
            *next.skipped.entry(reason.into()).or_default() += count;
        }
        next.contacts_written += applied.contacts.written;
        next.contacts_current += applied.contacts.current;
        batch::apply_accounts(
            self.conn,
            self.run_id,
            applied.chunk,
            applied.contacts.all_new,
            applied.position,
            &mut next,
            self.settings,
        )
        .await?;
        self.counts = next;
        self.committed = applied.position;
        self.progress.advance(applied.read as u64, &self.counts);
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
    sender: &tokio::sync::mpsc::Sender<Prepared>,
) {
    loop {
        let mut prepared = Prepared {
            chunk: batch::Chunk::default(),
            read: 0,
            skipped: BTreeMap::new(),
        };
        for item in records.by_ref().take(batch_size) {
            prepared.read += 1;
            match item {
                Err(bad) => {
                    tracing::warn!(position = bad.position, reason = %bad.reason, "Skipping a record that is not a contact");
                    *prepared.skipped.entry("invalid").or_default() += 1;
                }
                Ok(source::Record { contact, text }) => match (web::refusal(&contact), emails.account(&contact)) {
                    (Some(reason), _) => *prepared.skipped.entry(reason).or_default() += 1,
                    (None, Some(account)) => prepared.chunk.push(contact, text, account, export_time, rules),
                    (None, None) => *prepared.skipped.entry("no_email").or_default() += 1,
                },
            }
        }
        if prepared.read == 0 {
            return;
        }
        if sender.blocking_send(prepared).is_err() {
            return;
        }
    }
}
