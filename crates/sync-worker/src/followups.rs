//! What an import owes the accounts it created, expanded by the running worker: each
//! `import_followups` row (one per committed chunk) becomes, for the accounts still waiting
//! for them, first-password tokens with their set-your-password mails in `mail_outbox`, and
//! `addLink` calls in `import_links`. A row is expanded only when the queue it feeds holds
//! fewer than [`LOW_WATER`] entries, so a million imported accounts never crowd out a
//! forgotten-password mail, and each link's lifetime starts when its mail is queued for
//! sending. An account that has set a password meanwhile gets no mail; a contact merged or
//! anonymised meanwhile gets neither (its account moved to the head, or is gone).

use diesel::{
    prelude::*,
    sql_types::{Array, BigInt, Bytea, Double, Text, Uuid as SqlUuid, Varchar},
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use store::{PgPool, password_link};

/// Entries a queue may hold before the next follow-up row is expanded into it.
pub const LOW_WATER: i64 = 1000;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Followup {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Array<SqlUuid>)]
    subject_ids: Vec<uuid::Uuid>,
    #[diesel(sql_type = Text)]
    link_base: String,
    #[diesel(sql_type = Double)]
    link_lifetime: f64,
}

#[derive(QueryableByName)]
struct Recipient {
    #[diesel(sql_type = SqlUuid)]
    subject_id: uuid::Uuid,
    #[diesel(sql_type = Varchar)]
    contact_number: String,
    #[diesel(sql_type = Text)]
    login_email: String,
    #[diesel(sql_type = Text)]
    locale: String,
}

/// Which queue a follow-up feeds.
#[derive(Debug, Clone, Copy)]
enum Queue {
    Mails,
    Links,
}

impl Queue {
    fn flag(self) -> &'static str {
        match self {
            Self::Mails => "mails_pending",
            Self::Links => "links_pending",
        }
    }

    fn backlog(self) -> &'static str {
        match self {
            Self::Mails => "SELECT count(*) AS n FROM (SELECT 1 FROM mail_outbox WHERE sent_at IS NULL LIMIT $1) q",
            Self::Links => "SELECT count(*) AS n FROM (SELECT 1 FROM import_links WHERE state = 'pending' LIMIT $1) q",
        }
    }
}

/// Expands the oldest follow-up's mails when fewer than [`LOW_WATER`] mails wait; returns how
/// many mails it queued (0 when nothing was due).
pub async fn expand_mails(pool: &PgPool) -> anyhow::Result<usize> {
    expand(pool, Queue::Mails).await
}

/// Expands the oldest follow-up's `addLink` calls when fewer than [`LOW_WATER`] links wait;
/// returns how many links it queued (0 when nothing was due).
pub async fn expand_links(pool: &PgPool) -> anyhow::Result<usize> {
    expand(pool, Queue::Links).await
}

/// Accounts whose mails or links are owed but not yet expanded (for the import's report).
pub async fn owed(conn: &mut AsyncPgConnection) -> anyhow::Result<(i64, i64)> {
    #[derive(QueryableByName)]
    struct Owed {
        #[diesel(sql_type = BigInt)]
        mails: i64,
        #[diesel(sql_type = BigInt)]
        links: i64,
    }
    let owed: Owed = diesel::sql_query(
        "SELECT coalesce(sum(cardinality(subject_ids)) FILTER (WHERE mails_pending), 0)::bigint AS mails, \
                coalesce(sum(cardinality(subject_ids)) FILTER (WHERE links_pending), 0)::bigint AS links \
         FROM import_followups",
    )
    .get_result(conn)
    .await?;
    Ok((owed.mails, owed.links))
}

async fn expand(pool: &PgPool, queue: Queue) -> anyhow::Result<usize> {
    let mut pooled = pool.get().await?;
    let conn: &mut AsyncPgConnection = &mut pooled;
    let backlog: Count = diesel::sql_query(queue.backlog())
        .bind::<BigInt, _>(LOW_WATER)
        .get_result(conn)
        .await?;
    if backlog.n >= LOW_WATER {
        return Ok(0);
    }
    conn.transaction::<_, anyhow::Error, _>(async |tx: &mut AsyncPgConnection| {
        let flag = queue.flag();
        let Some(followup) = diesel::sql_query(format!(
            "SELECT id, subject_ids, link_base, extract(epoch FROM link_lifetime)::float8 AS link_lifetime \
             FROM import_followups WHERE {flag} ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
        ))
        .get_result::<Followup>(tx)
        .await
        .optional()?
        else {
            return Ok(0);
        };
        let queued = match queue {
            Queue::Mails => queue_mails(tx, &followup).await?,
            Queue::Links => queue_links(tx, &followup).await?,
        };
        diesel::sql_query(format!("UPDATE import_followups SET {flag} = false WHERE id = $1"))
            .bind::<BigInt, _>(followup.id)
            .execute(tx)
            .await?;
        diesel::sql_query("DELETE FROM import_followups WHERE id = $1 AND NOT mails_pending AND NOT links_pending")
            .bind::<BigInt, _>(followup.id)
            .execute(tx)
            .await?;
        tracing::info!(followup = followup.id, ?queue, queued, "Import follow-up expanded");
        Ok(queued)
    })
    .await
}

/// A first-password token and a set-your-password mail for each account of the follow-up that
/// still has no password and an active contact.
async fn queue_mails(tx: &mut AsyncPgConnection, followup: &Followup) -> anyhow::Result<usize> {
    let recipients: Vec<Recipient> = diesel::sql_query(
        "SELECT a.subject_id, a.contact_number, a.login_email, coalesce(c.language, 'en') AS locale \
         FROM accounts a JOIN contacts c ON c.contact_number = a.contact_number AND c.state = 'active' \
         WHERE a.subject_id = ANY($1) AND a.password_hash IS NULL",
    )
    .bind::<Array<SqlUuid>, _>(&followup.subject_ids)
    .load(tx)
    .await?;
    if recipients.is_empty() {
        return Ok(0);
    }
    let mut hashes = Vec::with_capacity(recipients.len());
    let mut links = Vec::with_capacity(recipients.len());
    for _ in &recipients {
        let token = password_link::new_token().ok_or_else(|| anyhow::anyhow!("no system randomness"))?;
        links.push(password_link::link(&followup.link_base, &token.token));
        hashes.push(token.hash);
    }
    let column = |f: fn(&Recipient) -> &str| recipients.iter().map(f).collect::<Vec<_>>();
    diesel::sql_query(
        "WITH input AS (
             SELECT * FROM UNNEST($1::uuid[], $2::bytea[], $3::varchar[], $4::text[], $5::text[], $6::text[])
                 AS u(subject_id, hash, n, email, link, locale)
         ), tokens AS (
             INSERT INTO password_tokens (token_hash, subject_id, purpose, expires_at)
             SELECT hash, subject_id, 'first', now() + make_interval(secs => $7) FROM input
         )
         INSERT INTO mail_outbox (contact_number, recipient, template, payload)
         SELECT n, email, 'set-password', jsonb_build_object('link', link, 'locale', locale) FROM input",
    )
    .bind::<Array<SqlUuid>, _>(recipients.iter().map(|r| r.subject_id).collect::<Vec<_>>())
    .bind::<Array<Bytea>, _>(&hashes)
    .bind::<Array<Varchar>, _>(column(|r| &r.contact_number))
    .bind::<Array<Text>, _>(column(|r| &r.login_email))
    .bind::<Array<Text>, _>(&links)
    .bind::<Array<Text>, _>(column(|r| &r.locale))
    .bind::<Double, _>(followup.link_lifetime)
    .execute(tx)
    .await?;
    Ok(recipients.len())
}

/// An `addLink` call for each account of the follow-up whose contact is active, for the
/// contact the account signs in as now.
async fn queue_links(tx: &mut AsyncPgConnection, followup: &Followup) -> anyhow::Result<usize> {
    Ok(diesel::sql_query(
        "INSERT INTO import_links (contact_number, subject_id) \
         SELECT a.contact_number, a.subject_id \
         FROM accounts a JOIN contacts c ON c.contact_number = a.contact_number AND c.state = 'active' \
         WHERE a.subject_id = ANY($1) \
         ON CONFLICT (contact_number) DO NOTHING",
    )
    .bind::<Array<SqlUuid>, _>(&followup.subject_ids)
    .execute(tx)
    .await?)
}
