//! The contact stage's fast path: a chunk's contacts that the mirror does not hold yet are
//! streamed in with binary `COPY`, on a connection of its own, instead of the versioned upsert,
//! which would only insert them too. The check and the copy share one transaction; if another
//! writer (the webhook path) inserts one of them in between, the copy fails on the primary key,
//! rolls back whole, and every contact of the chunk takes the upsert, which decides by version.

use std::collections::{HashMap, HashSet};

use bytes::{BufMut, BytesMut};
use futures::{SinkExt, pin_mut};
use secrecy::ExposeSecret;
use tokio_postgres::{
    Client, NoTls,
    error::SqlState,
    types::{IsNull, Json, ToSql, Type},
};

use crate::apply::{ContactEvent, Lifecycle};

/// The columns the copy writes (the others take their defaults), with their types.
const COLUMNS: &str = "contact_number, state, title, first_name, last_name, birth_date, language, email, \
    phone, role, has_login, addresses, authorizations, raw, version_time, version_event_id, source";
const TYPES: [Type; 17] = [
    Type::VARCHAR,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::DATE,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::BOOL,
    Type::JSONB,
    Type::JSONB,
    Type::JSONB,
    Type::TIMESTAMPTZ,
    Type::UUID,
    Type::TEXT,
];

/// A connection for the copy, opened from the import's database settings.
pub async fn connect(args: &infra::config::DatabaseArgs) -> anyhow::Result<Client> {
    let (client, connection) = tokio_postgres::connect(args.database_url.expose_secret(), NoTls)
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL for the import's copy: {e}"))?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::warn!(%error, "The import's copy connection ended");
        }
    });
    Ok(client)
}

/// Copies the contacts of `events` (all of them plain updates) that the mirror does not hold
/// and that appear once in the chunk, each with its JSON text from `texts` when there is one;
/// returns how many it copied and the events left for the upsert, with their texts.
pub async fn copy_new(
    client: &mut Client,
    events: Vec<ContactEvent>,
    texts: Vec<Option<String>>,
) -> anyhow::Result<(u64, Vec<(ContactEvent, Option<String>)>)> {
    debug_assert!(events.iter().all(|e| e.lifecycle == Lifecycle::Active));
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(events.len());
    for event in &events {
        *seen.entry(event.contact.contact_number.as_str()).or_default() += 1;
    }
    let numbers: Vec<&str> = seen.keys().copied().collect();
    let transaction = client.transaction().await?;
    // See `batch::apply_accounts`: the run's last commit makes every chunk durable.
    transaction.batch_execute("SET LOCAL synchronous_commit = off").await?;
    let held: HashSet<String> = transaction
        .query(
            "SELECT contact_number FROM contacts WHERE contact_number = ANY($1::varchar[])",
            &[&numbers],
        )
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let is_new: Vec<bool> = events
        .iter()
        .map(|e| {
            let number = e.contact.contact_number.as_str();
            seen[number] == 1 && !held.contains(number)
        })
        .collect();
    let (new, rest): (Vec<_>, Vec<_>) = events
        .into_iter()
        .zip(texts)
        .zip(is_new)
        .partition(|(_, is_new)| *is_new);
    let new: Vec<(ContactEvent, Option<String>)> = new.into_iter().map(|(pair, _)| pair).collect();
    let rest: Vec<(ContactEvent, Option<String>)> = rest.into_iter().map(|(pair, _)| pair).collect();
    if new.is_empty() {
        return Ok((0, rest));
    }
    match write(&transaction, &new).await {
        Ok(()) => {
            transaction.commit().await?;
            Ok((new.len() as u64, rest))
        }
        Err(error)
            if error
                .downcast_ref::<tokio_postgres::Error>()
                .and_then(tokio_postgres::Error::code)
                == Some(&SqlState::UNIQUE_VIOLATION) =>
        {
            tracing::info!("A contact of the chunk arrived meanwhile; the chunk takes the versioned upsert");
            drop(transaction);
            let mut all = new;
            all.extend(rest);
            Ok((0, all))
        }
        Err(error) => Err(error),
    }
}

/// Bytes of encoded rows sent to PostgreSQL at a time: a few messages per chunk, where one per
/// row or per 4 KiB would wake the connection's task thousands of times.
const SEND_BYTES: usize = 1 << 20;

/// Streams `events` as one binary `COPY` (PostgreSQL's binary format: a header, then per row
/// the field count and each field's length and bytes, then a trailer).
async fn write(
    transaction: &tokio_postgres::Transaction<'_>,
    events: &[(ContactEvent, Option<String>)],
) -> anyhow::Result<()> {
    let sink = transaction
        .copy_in::<_, bytes::Bytes>(&format!("COPY contacts ({COLUMNS}) FROM STDIN (FORMAT binary)"))
        .await?;
    pin_mut!(sink);
    let mut buf = BytesMut::with_capacity(SEND_BYTES + (64 << 10));
    buf.put_slice(b"PGCOPY\n\xff\r\n\0");
    buf.put_i32(0); // flags
    buf.put_i32(0); // header extension
    for (event, text) in events {
        let c = &event.contact;
        let raw: &(dyn ToSql + Sync) = match text {
            Some(text) => &JsonText(text.as_str()),
            None => &Json(&c.raw),
        };
        let email = c.email.as_ref().map(model::Email::as_str);
        let row: [&(dyn ToSql + Sync); 17] = [
            &c.contact_number.as_str(),
            &"active",
            &c.title,
            &c.first_name,
            &c.last_name,
            &c.birth_date,
            &c.language,
            &email,
            &c.phone,
            &c.role,
            &c.has_login,
            &Json(&c.addresses),
            &Json(&c.authorizations),
            raw,
            &event.version_time,
            &event.event_id,
            &event.source,
        ];
        buf.put_i16(row.len() as i16);
        for (value, ty) in row.iter().zip(&TYPES) {
            let at = buf.len();
            buf.put_i32(0);
            let length = match value
                .to_sql_checked(ty, &mut buf)
                .map_err(|e| anyhow::anyhow!("contact {}: {e}", c.contact_number.as_str()))?
            {
                IsNull::Yes => -1,
                IsNull::No => i32::try_from(buf.len() - at - 4)?,
            };
            buf[at..at + 4].copy_from_slice(&length.to_be_bytes());
        }
        if buf.len() >= SEND_BYTES {
            sink.send(buf.split().freeze()).await?;
        }
    }
    buf.put_i16(-1); // trailer
    sink.send(buf.split().freeze()).await?;
    sink.as_mut().finish().await?;
    Ok(())
}

/// JSON text already known to be valid, sent as `jsonb` without being parsed and written again.
#[derive(Debug)]
struct JsonText<'a>(&'a str);

impl ToSql for JsonText<'_> {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        // The jsonb binary format: version 1, then the text.
        out.extend_from_slice(&[1]);
        out.extend_from_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSONB
    }

    tokio_postgres::types::to_sql_checked!();
}
