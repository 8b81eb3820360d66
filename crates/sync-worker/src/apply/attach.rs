//! Giving a sign-up account (one without a contact) its S-360 contact, in one statement shared
//! by the apply path and the contact-creation task (`crate::creation`): the account takes the
//! contact as `contact_number` and `origin_contact_number`, and its `contact_creations` row
//! becomes `attached` with how (`attached_by`) and the contact number, inserted if absent.
//!
//! Never moves an account that already has a contact, and never gives a contact a second
//! account: when another account already holds the contact (or was created for it), the row
//! becomes `ambiguous`, with a `last_error` naming the contact number only. Idempotent: once
//! attached, the same pair changes nothing, so redeliveries and any order of events converge.
//!
//! On the apply path the pairs come from active contacts whose SSO link
//! (`socialConnections.providerUserReference`) is a UUID, our subject ids' shape: S-360's shop
//! created the contact at the fan's first sign-in and linked it to us (`sso_link`).

use diesel::{
    prelude::*,
    sql_types::{Array, Bool, Text, Uuid as SqlUuid, Varchar},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// How an account got its contact (`contact_creations.attached_by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachedBy {
    /// A contact event named the account's subject id as the contact's SSO link.
    SsoLink,
    /// The one unlinked contact with the account's verified e-mail, linked by us.
    EmailMatch,
    /// A contact we created through the contact API and linked.
    ApiCreated,
}

impl AttachedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SsoLink => "sso_link",
            Self::EmailMatch => "email_match",
            Self::ApiCreated => "api_created",
        }
    }

    /// The kind stored in `attached_by`, if it is one.
    pub fn parse(value: &str) -> Option<Self> {
        [Self::SsoLink, Self::EmailMatch, Self::ApiCreated]
            .into_iter()
            .find(|kind| kind.as_str() == value)
    }
}

/// What the statement did for one `(contact, subject)` pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attachment {
    /// The account took the contact.
    Attached,
    /// The account already had this contact (an earlier delivery, or the other path).
    Already,
    /// The account already has another contact: left alone.
    HasOther,
    /// Another account holds the contact; `recorded` when the row became `ambiguous` now
    /// (false when it already said so).
    Taken { recorded: bool },
    /// A concurrent transaction gave the account a contact meanwhile: look again later.
    Raced,
}

/// One pair's outcome. Pairs whose account does not exist (or, with `require_active`, whose
/// contact is not active in the mirror) have none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub contact_number: String,
    pub subject_id: Uuid,
    pub attachment: Attachment,
}

/// Counts for the apply path's metrics.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SsoAttachments {
    pub attached: usize,
    pub ambiguous: usize,
}

/// `$1` contact numbers, `$2` subject ids (each at most once), `$3` attached_by, `$4` whether
/// the contact must be active in the mirror. Every CTE sees the same snapshot, so the pairs
/// must not repeat a subject or a contact. Cheap on the hot path, where nearly every contact
/// carries the link of its own (imported) account: two primary-key lookups per pair; who else
/// holds the contact is only asked for an account without one (`origin_contact_number` has no
/// index, and needs none for such rare rows).
const ATTACH: &str = "WITH input AS (
    SELECT * FROM UNNEST($1::varchar[], $2::uuid[]) AS u(n, s)
), candidate AS (
    SELECT i.n, i.s, a.contact_number AS current,
           CASE WHEN a.contact_number IS NULL
                THEN EXISTS (SELECT 1 FROM accounts o WHERE o.contact_number = i.n)
                  OR EXISTS (SELECT 1 FROM accounts o WHERE o.origin_contact_number = i.n)
                ELSE false END AS taken
    FROM input i JOIN accounts a ON a.subject_id = i.s
    WHERE NOT $4 OR EXISTS (SELECT 1 FROM contacts c WHERE c.contact_number = i.n AND c.state = 'active')
), attached AS (
    UPDATE accounts a SET contact_number = c.n, origin_contact_number = c.n, updated_at = now()
    FROM candidate c
    WHERE a.subject_id = c.s AND a.contact_number IS NULL AND NOT c.taken
    RETURNING a.subject_id
), marked AS (
    INSERT INTO contact_creations AS cc (subject_id, state, attached_by, contact_number)
    SELECT c.s, 'attached', $3, c.n FROM candidate c JOIN attached x ON x.subject_id = c.s
    ON CONFLICT (subject_id) DO UPDATE SET state = 'attached', attached_by = EXCLUDED.attached_by,
        contact_number = EXCLUDED.contact_number, last_error = NULL, updated_at = now()
), refused AS (
    INSERT INTO contact_creations AS cc (subject_id, state, last_error)
    SELECT c.s, 'ambiguous', 'contact ' || c.n || ' is already the contact of another account'
    FROM candidate c WHERE c.current IS NULL AND c.taken
    ON CONFLICT (subject_id) DO UPDATE SET state = 'ambiguous', last_error = EXCLUDED.last_error,
        attached_by = NULL, contact_number = NULL, updated_at = now()
    WHERE cc.state <> 'attached'
      AND (cc.state, cc.last_error) IS DISTINCT FROM ('ambiguous', EXCLUDED.last_error)
    RETURNING cc.subject_id
)
SELECT c.n AS contact_number, c.s AS subject_id,
       CASE WHEN EXISTS (SELECT 1 FROM attached x WHERE x.subject_id = c.s) THEN 'attached'
            WHEN c.current = c.n THEN 'already'
            WHEN c.current IS NOT NULL THEN 'other'
            WHEN c.taken AND EXISTS (SELECT 1 FROM refused r WHERE r.subject_id = c.s) THEN 'ambiguous'
            WHEN c.taken THEN 'ambiguous_again'
            ELSE 'raced' END AS outcome
FROM candidate c";

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Varchar)]
    contact_number: String,
    #[diesel(sql_type = SqlUuid)]
    subject_id: Uuid,
    #[diesel(sql_type = Text)]
    outcome: String,
}

/// Attaches each subject's account to its contact (see the module documentation), in the
/// caller's transaction. `pairs` must name each contact and each subject at most once.
pub async fn attach(
    conn: &mut AsyncPgConnection,
    pairs: &[(&str, Uuid)],
    by: AttachedBy,
    require_active: bool,
) -> QueryResult<Vec<Outcome>> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Row> = diesel::sql_query(ATTACH)
        .bind::<Array<Varchar>, _>(pairs.iter().map(|(n, _)| *n).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(pairs.iter().map(|(_, s)| *s).collect::<Vec<_>>())
        .bind::<Text, _>(by.as_str())
        .bind::<Bool, _>(require_active)
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| Outcome {
            attachment: match row.outcome.as_str() {
                "attached" => Attachment::Attached,
                "already" => Attachment::Already,
                "other" => Attachment::HasOther,
                "ambiguous" => Attachment::Taken { recorded: true },
                "ambiguous_again" => Attachment::Taken { recorded: false },
                _ => Attachment::Raced,
            },
            contact_number: row.contact_number,
            subject_id: row.subject_id,
        })
        .collect())
}

/// The apply path: attaches the accounts named by the SSO links of active contacts, one
/// statement for all of them, none when no contact carries a link shaped like a subject id.
/// `links` are `(contact number, SSO id)`, one per contact.
pub async fn attach_sso_links(conn: &mut AsyncPgConnection, links: &[(&str, &str)]) -> QueryResult<SsoAttachments> {
    let mut pairs: Vec<(&str, Uuid)> = links
        .iter()
        .filter_map(|(number, sso_id)| Some((*number, Uuid::parse_str(sso_id).ok()?)))
        .collect();
    if pairs.is_empty() {
        return Ok(SsoAttachments::default());
    }
    // One contact per subject (S-360 links an SSO id to one contact; bad data must not make
    // the statement give one account two contacts): the smallest contact number wins.
    pairs.sort();
    let mut seen = std::collections::HashSet::new();
    pairs.retain(|(_, subject)| seen.insert(*subject));
    let outcomes = attach(conn, &pairs, AttachedBy::SsoLink, true).await?;
    let mut counts = SsoAttachments::default();
    for outcome in outcomes {
        match outcome.attachment {
            Attachment::Attached => {
                counts.attached += 1;
                tracing::info!(
                    contact_number = %outcome.contact_number,
                    subject_id = %outcome.subject_id,
                    "Account attached to the contact S-360 linked it to"
                );
            }
            Attachment::Taken { recorded: true } => {
                counts.ambiguous += 1;
                tracing::warn!(
                    contact_number = %outcome.contact_number,
                    subject_id = %outcome.subject_id,
                    "S-360 links a contact another account already holds to a sign-up account; left to an operator"
                );
            }
            _ => {}
        }
    }
    Ok(counts)
}
