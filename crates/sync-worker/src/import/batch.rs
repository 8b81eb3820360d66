//! Applying one chunk of an import, in two transactions that the import overlaps with the
//! neighbouring chunks' (`import::run`):
//!
//! 1. [`apply_contacts`]: the contacts, through the same versioned apply as the webhook path
//!    (contacts not yet in the mirror are copied in with `COPY`, the others take the upsert;
//!    merges and anonymisations with their side effects);
//! 2. [`apply_accounts`]: in one statement, an account without a password for each web account
//!    that has none, and one `import_followups` row holding the new accounts, which the running
//!    worker turns into set-your-password mails and `addLink` calls (`crate::followups`); the
//!    issues found; and the run's position and counts.
//!
//! Both are idempotent (the version guard; unique accounts), and the position moves only with
//! the second, so a killed import resumes after the last chunk whose accounts committed and
//! converges to the same state; contacts a killed run already wrote count as current then.

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{Array, BigInt, Double, Text, Varchar},
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use model::Contact;
use store::schema::{import_issues, import_runs};

use super::{Counts, web::WebAccount};
use crate::apply::{Applied, ContactEvent, DetectionRules, apply_batch};

/// What one chunk brings: the web-account contacts to apply (with the login e-mail of each that
/// may get an account) and the contacts refused an account before the database is asked.
#[derive(Default)]
pub struct Chunk {
    pub events: Vec<ContactEvent>,
    /// The JSON text of each event's contact as the file holds it, when it can be stored as is.
    pub texts: Vec<Option<String>>,
    pub candidates: Vec<Candidate>,
    /// `(contact number, reason, e-mail group)` of contacts refused an account.
    pub issues: Vec<(String, &'static str, Option<String>)>,
}

pub struct Candidate {
    pub contact_number: String,
    pub login_email: String,
}

/// Settings of the account step.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    pub gateway_url: String,
    pub link_lifetime: std::time::Duration,
}

impl Chunk {
    /// Adds a web-account contact: its event, and an account candidate unless its e-mail is
    /// shared within the file (then it is an issue, reported).
    pub fn push(
        &mut self,
        contact: Contact,
        text: Option<String>,
        account: WebAccount,
        version_time: DateTime<Utc>,
        rules: &DetectionRules,
    ) {
        let number = contact.contact_number.as_str().to_owned();
        match account.duplicate_group {
            Some(group) => self.issues.push((number, "duplicate_email", Some(group))),
            None => self.candidates.push(Candidate {
                contact_number: number,
                login_email: account.email,
            }),
        }
        let mut event = event(contact, version_time, rules);
        // An anonymised contact is stored without what the file holds.
        let text = text.filter(|_| event.lifecycle == crate::apply::Lifecycle::Active);
        if text.is_some() {
            // The text stands for the parsed payload, which is freed here, on the thread that
            // built it, and parsed again only for a contact that takes the upsert
            // ([`with_payloads`]).
            event.contact.raw = serde_json::Value::Null;
        }
        self.texts.push(text);
        self.events.push(event);
    }
}

/// The event of an imported contact: versioned by S-360's modification time, else by the
/// export's time (the file's), with an id derived from both so a re-import is a duplicate.
fn event(contact: Contact, export_time: DateTime<Utc>, rules: &DetectionRules) -> ContactEvent {
    let version_time = contact
        .modified_at
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(export_time);
    let event_id = {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(format!(
            "import\n{}\n{}",
            contact.contact_number.as_str(),
            version_time.to_rfc3339()
        ));
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        uuid::Builder::from_sha1_bytes(bytes).into_uuid()
    };
    let lifecycle = rules.classify(&contact);
    let contact = match lifecycle {
        crate::apply::Lifecycle::Anonymised => contact.anonymised(),
        _ => contact,
    };
    ContactEvent {
        event_id,
        version_time,
        received_at: None,
        source: "import",
        lifecycle,
        contact,
    }
}

/// An account candidate of the chunk that got no account, and why.
#[derive(QueryableByName)]
struct Outcome {
    #[diesel(sql_type = Varchar)]
    contact_number: String,
    #[diesel(sql_type = Text)]
    outcome: String,
}

/// The account statement: creates the candidates' accounts (`$1` contact numbers, `$2` login
/// e-mails) and the chunk's follow-up row (`$3` run, `$4` link base, `$5` link lifetime in
/// seconds); returns the candidates that got no account, with the reason. `$conflict` is what
/// an insert does about a contact or e-mail that already has an account.
macro_rules! accounts_statement {
    ($conflict:literal) => {
        concat!(
            "WITH input AS (
    SELECT * FROM UNNEST($1::varchar[], $2::text[]) AS u(n, e)
), fresh AS (
    INSERT INTO accounts (contact_number, origin_contact_number, login_email)
    SELECT i.n, i.n, i.e FROM input i JOIN contacts c ON c.contact_number = i.n AND c.state = 'active'
    ",
            $conflict,
            "
    RETURNING subject_id, contact_number
), followup AS (
    INSERT INTO import_followups (run_id, subject_ids, link_base, link_lifetime)
    SELECT $3, array_agg(subject_id), $4, make_interval(secs => $5) FROM fresh HAVING count(*) > 0
)
SELECT i.n AS contact_number,
       CASE WHEN (SELECT c.state FROM contacts c WHERE c.contact_number = i.n) IS DISTINCT FROM 'active'
                THEN 'not_active'
            WHEN EXISTS (SELECT 1 FROM accounts a WHERE a.contact_number = i.n)
                 OR EXISTS (SELECT 1 FROM accounts a WHERE a.origin_contact_number = i.n)
                THEN 'already_imported'
            ELSE 'email_taken' END AS outcome
FROM input i
WHERE NOT EXISTS (SELECT 1 FROM fresh f WHERE f.contact_number = i.n)"
        )
    };
}

/// Skips candidates whose contact or e-mail already has an account.
const ACCOUNTS: &str = accounts_statement!("ON CONFLICT DO NOTHING");
/// For a chunk of contacts new to the mirror: without `ON CONFLICT`, which costs a third of the
/// statement; a conflict is an error that sends the chunk to [`ACCOUNTS`].
const NEW_ACCOUNTS: &str = accounts_statement!("");

/// What the contact stage of a chunk did.
#[derive(Debug, Default, Clone, Copy)]
pub struct ContactsApplied {
    pub written: u64,
    pub current: u64,
    /// Every contact of the chunk was new to the mirror (copied in).
    pub all_new: bool,
}

/// Stage 1: applies the chunk's contacts: plain updates of contacts the mirror does not hold
/// yet through `copier` (`super::copy`), the others in one transaction of the versioned apply.
pub async fn apply_contacts(
    conn: &mut AsyncPgConnection,
    copier: &mut tokio_postgres::Client,
    events: Vec<ContactEvent>,
    texts: Vec<Option<String>>,
) -> anyhow::Result<ContactsApplied> {
    let mut outcome = ContactsApplied::default();
    let events = if events.iter().all(|e| e.lifecycle == crate::apply::Lifecycle::Active) {
        let (copied, rest) = super::copy::copy_new(copier, events, texts).await?;
        outcome.written = copied;
        outcome.all_new = rest.is_empty();
        with_payloads(rest)?
    } else {
        with_payloads(events.into_iter().zip(texts).collect())?
    };
    if events.is_empty() {
        return Ok(outcome);
    }
    let applied = conn
        .transaction::<_, anyhow::Error, _>(async |tx: &mut AsyncPgConnection| Ok(apply_batch(tx, &events).await?))
        .await?;
    for result in applied {
        match result {
            Applied::Written => outcome.written += 1,
            Applied::Stale => outcome.current += 1,
        }
    }
    Ok(outcome)
}

/// The events with the payloads [`Chunk::push`] left as text parsed back.
fn with_payloads(events: Vec<(ContactEvent, Option<String>)>) -> anyhow::Result<Vec<ContactEvent>> {
    events
        .into_iter()
        .map(|(mut event, text)| {
            if let Some(text) = text {
                event.contact.raw = serde_json::from_str(&text)?;
            }
            Ok(event)
        })
        .collect()
}

/// Stage 2: creates the accounts of a chunk whose contacts are committed, records its issues,
/// and stores `position` with `counts` (which already hold the chunk's records and contacts)
/// for run `run_id`, in one transaction. `counts` gains the accounts' outcomes; the caller
/// drops it when this fails.
pub async fn apply_accounts(
    conn: &mut AsyncPgConnection,
    run_id: i64,
    chunk: Chunk,
    all_new: bool,
    position: i64,
    counts: &mut Counts,
    settings: &AccountSettings,
) -> anyhow::Result<()> {
    conn.transaction::<_, anyhow::Error, _>(async |tx: &mut AsyncPgConnection| {
        // A chunk's commit does not wait for its WAL to reach the disk: a crash can lose the
        // last chunks' commits (about half a second of them), which the resumed run then
        // applies again, and the run's last commit (`runs::finish`, synchronous) flushes the
        // WAL of every chunk before the import reports.
        diesel::sql_query("SET LOCAL synchronous_commit = off")
            .execute(tx)
            .await?;
        let mut issues = chunk.issues;
        if !chunk.candidates.is_empty() {
            let column = |f: fn(&Candidate) -> &str| chunk.candidates.iter().map(f).collect::<Vec<_>>();
            let statement = |sql: &'static str| {
                diesel::sql_query(sql)
                    .bind::<Array<Varchar>, _>(column(|c| &c.contact_number))
                    .bind::<Array<Text>, _>(column(|c| &c.login_email))
                    .bind::<BigInt, _>(run_id)
                    .bind::<Text, _>(&settings.gateway_url)
                    .bind::<Double, _>(settings.link_lifetime.as_secs_f64())
            };
            // A nested transaction is a savepoint: a conflict undoes only the attempt.
            let attempt = match all_new {
                true => Some(
                    tx.transaction::<_, diesel::result::Error, _>(async |savepoint: &mut AsyncPgConnection| {
                        statement(NEW_ACCOUNTS).load::<Outcome>(savepoint).await
                    })
                    .await,
                ),
                false => None,
            };
            let refused: Vec<Outcome> = match attempt {
                Some(Ok(refused)) => refused,
                Some(Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                )))
                | None => statement(ACCOUNTS).load(tx).await?,
                Some(Err(error)) => return Err(error.into()),
            };
            let created = (chunk.candidates.len() - refused.len()) as u64;
            counts.accounts_created += created;
            counts.mailed += created;
            counts.links_queued += created;
            for outcome in refused {
                match outcome.outcome.as_str() {
                    "email_taken" => issues.push((outcome.contact_number, "email_taken", None)),
                    other => *counts.skipped.entry(other.to_owned()).or_default() += 1,
                }
            }
        }
        for (_, reason, _) in &issues {
            *counts.skipped.entry((*reason).to_owned()).or_default() += 1;
        }
        if !issues.is_empty() {
            let rows: Vec<_> = issues
                .iter()
                .map(|(number, reason, group)| {
                    (
                        import_issues::run_id.eq(run_id),
                        import_issues::contact_number.eq(number),
                        import_issues::reason.eq(*reason),
                        import_issues::email_group.eq(group.as_deref()),
                    )
                })
                .collect();
            diesel::insert_into(import_issues::table)
                .values(rows)
                .on_conflict_do_nothing()
                .execute(tx)
                .await?;
        }
        diesel::update(import_runs::table.find(run_id))
            .set((
                import_runs::position.eq(position),
                import_runs::counts.eq(serde_json::to_value(&*counts)?),
                import_runs::updated_at.eq(diesel::dsl::now),
            ))
            .execute(tx)
            .await?;
        Ok(())
    })
    .await
}
