//! The final report of an import: what was imported, what was skipped and why, which
//! contacts share a login e-mail (by contact number: no e-mail is printed), and where the
//! mails and S-360 links stand.

use std::{collections::BTreeMap, fmt, time::Duration};

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::Counts;
use store::schema::{import_issues, import_links};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub run_id: i64,
    pub counts: Counts,
    /// Login e-mails shared by several contacts of the file.
    pub shared_emails: usize,
    /// Contact numbers refused an account, by reason, in groups sharing one e-mail.
    pub duplicates: Vec<Vec<String>>,
    pub email_taken: Vec<String>,
    /// `addLink` calls by state, over every import so far.
    pub links: BTreeMap<String, i64>,
    /// Mails and links owed to imported accounts that the running worker has not queued yet
    /// (`crate::followups`), over every import so far.
    pub mails_owed: i64,
    pub links_owed: i64,
    pub elapsed: Duration,
}

pub async fn build(
    conn: &mut AsyncPgConnection,
    run_id: i64,
    counts: Counts,
    shared_emails: usize,
    elapsed: Duration,
) -> anyhow::Result<Report> {
    let issues: Vec<(String, String, Option<String>)> = import_issues::table
        .filter(import_issues::run_id.eq(run_id))
        .order((import_issues::email_group, import_issues::contact_number))
        .select((
            import_issues::contact_number,
            import_issues::reason,
            import_issues::email_group,
        ))
        .load(conn)
        .await?;
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut email_taken = Vec::new();
    for (number, reason, group) in issues {
        match (reason.as_str(), group) {
            ("duplicate_email", Some(group)) => groups.entry(group).or_default().push(number),
            _ => email_taken.push(number),
        }
    }
    let links: Vec<(String, i64)> = import_links::table
        .group_by(import_links::state)
        .select((import_links::state, diesel::dsl::count_star()))
        .load(conn)
        .await?;
    let (mails_owed, links_owed) = crate::followups::owed(conn).await?;
    Ok(Report {
        run_id,
        counts,
        shared_emails,
        duplicates: groups.into_values().collect(),
        email_taken,
        links: links.into_iter().collect(),
        mails_owed,
        links_owed,
        elapsed,
    })
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        writeln!(
            f,
            "import (run {}): {} records read in {:.1?}",
            self.run_id, c.read, self.elapsed
        )?;
        writeln!(
            f,
            "  imported: {} accounts created ({} contacts written, {} already current)",
            c.accounts_created, c.contacts_written, c.contacts_current
        )?;
        writeln!(
            f,
            "  mailed: {} set-your-password mails queued; {} still to be handed to the mailer by the running worker (all imports)",
            c.mailed, self.mails_owed
        )?;
        let link = |state: &str| self.links.get(state).copied().unwrap_or(0);
        writeln!(
            f,
            "  linked: {} links queued; in S-360 {} linked, {} pending, {} failed, {} still to be handed to the link task (all imports)",
            c.links_queued,
            link("linked"),
            link("pending"),
            link("failed"),
            self.links_owed
        )?;
        let skipped: u64 = c.skipped.values().sum();
        write!(f, "  skipped: {skipped}")?;
        for (reason, count) in &c.skipped {
            write!(f, ", {reason} {count}")?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "  duplicates: {} login e-mails shared by several contacts (no account created for them)",
            self.shared_emails
        )?;
        for (index, group) in self.duplicates.iter().enumerate() {
            writeln!(f, "    e-mail {}: contacts {}", index + 1, group.join(", "))?;
        }
        if !self.email_taken.is_empty() {
            writeln!(
                f,
                "  login e-mail already used by another account: contacts {}",
                self.email_taken.join(", ")
            )?;
        }
        Ok(())
    }
}
