//! Applying one event, or a batch in the caller's transaction.
//!
//! A batch keeps, per contact, only its greatest event (the others could not win anyway), then
//! writes all plain updates with one multi-row upsert and applies merges and anonymisations
//! one by one with their side effects.

use std::collections::HashMap;

use diesel::QueryResult;
use diesel_async::AsyncPgConnection;

use super::{Applied, ContactEvent, Lifecycle, lifecycle, row};

/// Writes the event if it outranks the stored contact, then runs the side effects of a merge
/// or an anonymisation.
pub async fn apply_event(conn: &mut AsyncPgConnection, event: &ContactEvent) -> QueryResult<Applied> {
    let applied = row::upsert(conn, event).await?;
    if applied == Applied::Written {
        side_effects(conn, event).await?;
    }
    Ok(applied)
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

    let plain: Vec<&ContactEvent> = updates.iter().map(|i| &events[*i]).collect();
    let written = row::upsert_many(conn, &plain).await?;
    for index in updates {
        if written.contains(events[index].contact.contact_number.as_str()) {
            results[index] = Applied::Written;
        }
    }
    for index in lifecycle_changes {
        results[index] = apply_event(conn, &events[index]).await?;
    }
    Ok(results)
}

fn rank(event: &ContactEvent) -> (i16, chrono::DateTime<chrono::Utc>, uuid::Uuid) {
    (event.lifecycle.rank(), event.version_time, event.event_id)
}
