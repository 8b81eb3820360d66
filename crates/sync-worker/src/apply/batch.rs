//! Applying one event, or a batch in the caller's transaction.
//!
//! A batch keeps, per contact, only its greatest event (the others could not win anyway), then
//! writes all plain updates with one multi-row upsert and applies merges and anonymisations
//! one by one with their side effects. Then one statement attaches the sign-up accounts that
//! active contacts' SSO links name (`attach`), only when some contact carries a link, and one
//! makes login e-mails follow the addresses S-360 gave the written contacts (`email_follow`).

use std::collections::HashMap;

use diesel::QueryResult;
use diesel_async::AsyncPgConnection;

use super::{
    Applied, ContactEvent, Lifecycle,
    attach::{SsoAttachments, attach_sso_links},
    email_follow, lifecycle, row,
};

/// Writes the event if it outranks the stored contact, then runs the side effects of a merge
/// or an anonymisation, or attaches the sign-up account an active contact's SSO link names.
pub async fn apply_event(conn: &mut AsyncPgConnection, event: &ContactEvent) -> QueryResult<Applied> {
    let applied = row::upsert(conn, event).await?;
    if applied == Applied::Written {
        side_effects(conn, event).await?;
    }
    if let Some(link) = sso_link(event) {
        attach_sso_links(conn, &[link]).await?;
    }
    if applied == Applied::Written && event.lifecycle == Lifecycle::Active {
        email_follow::follow(conn, &[event.contact.contact_number.as_str()]).await?;
    }
    Ok(applied)
}

/// `(contact number, SSO id)` of an active contact that carries an SSO link. Stale events count
/// too: the statement checks the mirror's state, and attaching is idempotent, so any order of
/// deliveries ends with the account attached.
fn sso_link(event: &ContactEvent) -> Option<(&str, &str)> {
    match (&event.lifecycle, &event.contact.sso_id) {
        (Lifecycle::Active, Some(sso_id)) => Some((event.contact.contact_number.as_str(), sso_id.as_str())),
        _ => None,
    }
}

async fn side_effects(conn: &mut AsyncPgConnection, event: &ContactEvent) -> QueryResult<()> {
    let number = event.contact.contact_number.as_str();
    match &event.lifecycle {
        Lifecycle::Active => Ok(()),
        Lifecycle::Merged { head } => lifecycle::merged(conn, number, head.as_str(), event.event_id).await,
        Lifecycle::Anonymised => lifecycle::anonymised(conn, number, event.event_id).await,
    }
}

/// Applies a batch; results are returned in the input's order.
pub async fn apply_batch(conn: &mut AsyncPgConnection, events: &[ContactEvent]) -> QueryResult<Vec<Applied>> {
    Ok(apply_batch_counted(conn, events).await?.0)
}

/// [`apply_batch`], also saying how many sign-up accounts SSO links attached (for metrics).
pub async fn apply_batch_counted(
    conn: &mut AsyncPgConnection,
    events: &[ContactEvent],
) -> QueryResult<(Vec<Applied>, SsoAttachments)> {
    let mut results = vec![Applied::Stale; events.len()];
    // The winning event of each contact; every other event of that contact is stale.
    let mut winners: HashMap<&str, usize> = HashMap::new();
    for (index, event) in events.iter().enumerate() {
        let number = event.contact.contact_number.as_str();
        let best = winners.entry(number).or_insert(index);
        if rank(event) > rank(&events[*best]) {
            *best = index;
        }
    }
    let mut chosen: Vec<usize> = winners.into_values().collect();
    // A stable order, so concurrent workers lock rows in the same sequence.
    chosen.sort_by(|a, b| {
        events[*a]
            .contact
            .contact_number
            .cmp(&events[*b].contact.contact_number)
    });
    let (updates, lifecycle_changes): (Vec<usize>, Vec<usize>) = chosen
        .into_iter()
        .partition(|i| events[*i].lifecycle == Lifecycle::Active);

    let links: Vec<(&str, &str)> = updates.iter().filter_map(|i| sso_link(&events[*i])).collect();
    let plain: Vec<&ContactEvent> = updates.iter().map(|i| &events[*i]).collect();
    let written = row::upsert_many(conn, &plain).await?;
    let written_numbers: Vec<&str> = written.iter().map(String::as_str).collect();
    email_follow::follow(conn, &written_numbers).await?;
    for index in updates {
        if written.contains(events[index].contact.contact_number.as_str()) {
            results[index] = Applied::Written;
        }
    }
    for index in lifecycle_changes {
        results[index] = apply_event(conn, &events[index]).await?;
    }
    let attached = attach_sso_links(conn, &links).await?;
    Ok((results, attached))
}

fn rank(event: &ContactEvent) -> (i16, chrono::DateTime<chrono::Utc>, uuid::Uuid) {
    (event.lifecycle.rank(), event.version_time, event.event_id)
}
