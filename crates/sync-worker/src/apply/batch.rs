//! Applying one event, or a batch in the caller's transaction.

use diesel::QueryResult;
use diesel_async::AsyncPgConnection;

use super::{Applied, ContactEvent, Lifecycle, lifecycle, store};

/// Writes the event if it outranks the stored contact, then runs the side effects of a merge
/// or an anonymisation.
pub async fn apply_event(
    conn: &mut AsyncPgConnection,
    event: &ContactEvent,
) -> QueryResult<Applied> {
    let applied = store::upsert(conn, event).await?;
    if applied == Applied::Written {
        let number = event.contact.contact_number.as_str();
        match &event.lifecycle {
            Lifecycle::Active => {}
            Lifecycle::Merged { head } => {
                lifecycle::merged(conn, number, head.as_str(), event.event_id).await?;
            }
            Lifecycle::Anonymised => lifecycle::anonymised(conn, number, event.event_id).await?,
        }
    }
    Ok(applied)
}

/// Applies events in contact-number order (a stable order, so concurrent workers lock rows
/// in the same sequence and rarely deadlock); results are returned in the input's order.
pub async fn apply_batch(
    conn: &mut AsyncPgConnection,
    events: &[ContactEvent],
) -> QueryResult<Vec<Applied>> {
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by(|a, b| {
        events[*a]
            .contact
            .contact_number
            .cmp(&events[*b].contact.contact_number)
    });
    let mut results = vec![Applied::Stale; events.len()];
    for index in order {
        results[index] = apply_event(conn, &events[index]).await?;
    }
    Ok(results)
}
