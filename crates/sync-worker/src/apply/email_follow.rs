//! S-360 is the master of a contact's e-mail. When applied events leave an active contact with
//! an address its account does not sign in with, the login e-mail follows, and the old address
//! gets a notice (`email-changed`). Two exceptions: while a write-back of the contact is still
//! pending, the fan's own change is on its way to S-360 and the mirror may show S-360's older
//! address, so nothing follows yet; and an address another account signs in with is never
//! taken: the clash is reported once in `account_issues` and both accounts stay as they are.

use diesel::{prelude::*, sql_types};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use store::{
    account_issues::{self, ChangedBy},
    schema::{account_issues as issues, accounts, mail_outbox},
};
use uuid::Uuid;

#[derive(QueryableByName)]
struct Candidate {
    #[diesel(sql_type = sql_types::Uuid)]
    subject_id: Uuid,
    #[diesel(sql_type = sql_types::Text)]
    login_email: String,
    #[diesel(sql_type = sql_types::Text)]
    contact_email: String,
    #[diesel(sql_type = sql_types::Varchar)]
    contact_number: String,
    #[diesel(sql_type = sql_types::Nullable<sql_types::Text>)]
    language: Option<String>,
    #[diesel(sql_type = sql_types::Nullable<sql_types::Uuid>)]
    other: Option<Uuid>,
}

/// The accounts of `numbers` whose contact's address differs from their login, locked.
const CANDIDATES: &str = "\
SELECT a.subject_id, a.login_email, c.email AS contact_email, c.contact_number, c.language, \
       (SELECT o.subject_id FROM accounts o \
         WHERE lower(o.login_email) = lower(c.email) AND o.subject_id <> a.subject_id LIMIT 1) AS other \
  FROM accounts a JOIN contacts c ON c.contact_number = a.contact_number \
 WHERE a.contact_number = ANY($1) AND c.state = 'active' AND c.email IS NOT NULL \
   AND lower(c.email) <> lower(a.login_email) AND a.pending_email IS NULL \
   AND NOT EXISTS (SELECT 1 FROM writeback_outbox w \
                    WHERE w.contact_number = a.contact_number AND w.state = 'pending') \
   FOR UPDATE OF a";

/// What following did, for the log and the metrics.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Followed {
    pub changed: usize,
    pub clashes: usize,
}

/// Makes the login e-mail of the accounts of the active contacts `numbers` follow S-360, in the
/// caller's transaction.
pub async fn follow(conn: &mut AsyncPgConnection, numbers: &[&str]) -> QueryResult<Followed> {
    let mut followed = Followed::default();
    if numbers.is_empty() {
        return Ok(followed);
    }
    let candidates: Vec<Candidate> = diesel::sql_query(CANDIDATES)
        .bind::<sql_types::Array<sql_types::Varchar>, _>(numbers)
        .load(conn)
        .await?;
    for candidate in candidates {
        if let Some(other) = candidate.other {
            // Reported once while it stays open, however often S-360 sends the contact.
            let open: i64 = issues::table
                .filter(issues::subject_id.eq(candidate.subject_id))
                .filter(issues::kind.eq("email_clash"))
                .filter(issues::resolved_at.is_null())
                .count()
                .get_result(conn)
                .await?;
            if open == 0 {
                account_issues::email_clash(
                    conn,
                    candidate.subject_id,
                    Some(&candidate.contact_number),
                    ChangedBy::S360,
                    other,
                )
                .await?;
                tracing::warn!(subject_id = %candidate.subject_id, contact_number = %candidate.contact_number,
                    "S-360 gave the contact an address another account signs in with; reported");
            }
            followed.clashes += 1;
            continue;
        }
        diesel::update(accounts::table.find(candidate.subject_id))
            .set((
                accounts::login_email.eq(&candidate.contact_email),
                // S-360, the master, holds the address as validated.
                accounts::email_verified.eq(true),
                accounts::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        diesel::insert_into(mail_outbox::table)
            .values((
                mail_outbox::contact_number.eq(&candidate.contact_number),
                mail_outbox::recipient.eq(&candidate.login_email),
                mail_outbox::template.eq("email-changed"),
                mail_outbox::payload.eq(json!({ "locale": candidate.language.unwrap_or_default() })),
            ))
            .execute(conn)
            .await?;
        tracing::info!(subject_id = %candidate.subject_id, contact_number = %candidate.contact_number,
            "Login e-mail follows the address S-360 gave the contact");
        followed.changed += 1;
    }
    Ok(followed)
}
