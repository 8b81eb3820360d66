//! Side effects of merges and anonymisations on what we hold beyond the contact row: web
//! accounts, sessions, refresh tokens, pending mail, and the audit trail. Each is idempotent.
//! Every session that ends here queues the back-channel logouts of its relying parties
//! (`store::auth::logouts`), which the gateway delivers.
//!
//! Merge rule: the absorbed contact's sessions and refresh tokens are revoked; its account
//! (with its subject id, the SSO link) moves to the head. The head is followed to its own head
//! while it is merged itself. If that contact is anonymised, the account is deleted. If it
//! already holds an account, the one created for it wins; between two accounts moved in from
//! absorbed contacts, the older one (then the smaller subject id) wins, so the outcome does not
//! depend on which merge arrived first. The losing account is deleted.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use store::schema::{accounts, contact_audit, contacts, import_issues, mail_outbox, writeback_outbox};

/// Longest chain of merged heads followed (guards against cycles in bad data).
const MAX_HOPS: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
struct Holder {
    subject_id: Uuid,
    /// Set for every account that holds a contact (a sign-up account gets both at once).
    origin_contact_number: Option<String>,
    created_at: DateTime<Utc>,
}

/// Applies the merge rule of the module documentation.
pub async fn merged(conn: &mut AsyncPgConnection, absorbed: &str, head: &str, event_id: Uuid) -> QueryResult<()> {
    let incoming = holder_of(conn, absorbed).await?;
    let outcome = match incoming {
        None => "none",
        Some(incoming) => {
            store::auth::sessions::revoke_all(conn, incoming.subject_id).await?;
            let (target, target_state) = final_head(conn, head, absorbed).await?;
            // An anonymised head cannot take an account; a head still merged means a cycle or
            // an overlong chain in the data, and no contact can take it either.
            if matches!(target_state.as_deref(), Some("anonymised" | "merged")) || target == absorbed {
                delete_account(conn, incoming.subject_id).await?;
                "dropped"
            } else {
                match holder_of(conn, &target).await? {
                    None => {
                        relink(conn, incoming.subject_id, &target).await?;
                        "moved"
                    }
                    Some(current) => {
                        let current_wins = current.origin_contact_number.as_deref() == Some(target.as_str())
                            || (current.created_at, current.subject_id) <= (incoming.created_at, incoming.subject_id);
                        if current_wins {
                            delete_account(conn, incoming.subject_id).await?;
                            "dropped"
                        } else {
                            store::auth::sessions::revoke_all(conn, current.subject_id).await?;
                            delete_account(conn, current.subject_id).await?;
                            relink(conn, incoming.subject_id, &target).await?;
                            "replaced"
                        }
                    }
                }
            }
        }
    };
    audit(
        conn,
        absorbed,
        "merged",
        event_id,
        serde_json::json!({ "head": head, "account": outcome }),
    )
    .await
}

/// Erases every trace of personal data outside the (already scrubbed) contact row: the
/// account with its credentials, sessions and refresh tokens (by cascade), all mail, profile
/// changes waiting to be written back (S-360 has erased the contact: nothing is pushed), and
/// the import's reports about the contact (they may name its e-mail).
pub async fn anonymised(conn: &mut AsyncPgConnection, number: &str, event_id: Uuid) -> QueryResult<()> {
    let of_contact = accounts::contact_number
        .eq(number)
        .or(accounts::origin_contact_number.eq(number));
    // The relying parties hear of the sessions' end before the sessions go with the account.
    let subjects: Vec<Uuid> = accounts::table
        .filter(of_contact)
        .select(accounts::subject_id)
        .load(conn)
        .await?;
    for subject in &subjects {
        store::auth::logouts::queue_for_subject(conn, *subject).await?;
    }
    let accounts_deleted = diesel::delete(accounts::table.filter(of_contact)).execute(conn).await?;
    let mails_deleted = diesel::delete(mail_outbox::table.filter(mail_outbox::contact_number.eq(number)))
        .execute(conn)
        .await?;
    let writebacks_deleted =
        diesel::delete(writeback_outbox::table.filter(writeback_outbox::contact_number.eq(number)))
            .execute(conn)
            .await?;
    diesel::delete(import_issues::table.filter(import_issues::contact_number.eq(number)))
        .execute(conn)
        .await?;
    let details = serde_json::json!({
        "accounts_deleted": accounts_deleted,
        "mails_deleted": mails_deleted,
        "writebacks_deleted": writebacks_deleted,
    });
    audit(conn, number, "anonymised", event_id, details).await
}

async fn holder_of(conn: &mut AsyncPgConnection, number: &str) -> QueryResult<Option<Holder>> {
    accounts::table
        .filter(accounts::contact_number.eq(number))
        .select((
            accounts::subject_id,
            accounts::origin_contact_number,
            accounts::created_at,
        ))
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// Follows merged heads from `head`; returns the last contact reached and its state (`None`
/// when the contact has not arrived yet).
async fn final_head(conn: &mut AsyncPgConnection, head: &str, absorbed: &str) -> QueryResult<(String, Option<String>)> {
    let mut current = head.to_owned();
    for _ in 0..MAX_HOPS {
        let row: Option<(String, Option<String>)> = contacts::table
            .find(&current)
            .select((contacts::state, contacts::head_contact_number))
            .first(conn)
            .await
            .optional()?;
        match row {
            Some((state, Some(next))) if state == "merged" && next != absorbed => current = next,
            Some((state, _)) => return Ok((current, Some(state))),
            None => return Ok((current, None)),
        }
    }
    Ok((current, Some("merged".into())))
}

async fn relink(conn: &mut AsyncPgConnection, subject: Uuid, target: &str) -> QueryResult<()> {
    diesel::update(accounts::table.find(subject))
        .set((
            accounts::contact_number.eq(target),
            accounts::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await
        .map(drop)
}

async fn delete_account(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<()> {
    store::auth::erasure::delete_account(conn, subject).await.map(drop)
}

async fn audit(
    conn: &mut AsyncPgConnection,
    number: &str,
    action: &str,
    event_id: Uuid,
    details: serde_json::Value,
) -> QueryResult<()> {
    diesel::insert_into(contact_audit::table)
        .values((
            contact_audit::contact_number.eq(number),
            contact_audit::action.eq(action),
            contact_audit::event_id.eq(event_id),
            contact_audit::details.eq(details),
        ))
        .execute(conn)
        .await
        .map(drop)
}
