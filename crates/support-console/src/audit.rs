//! Recording staff actions (`store::console::audit`). An action's entry is appended in the
//! same transaction as the action, so no change goes unrecorded; a refusal is appended alone.
//! The logs get the action, outcome and staff id only.

use diesel_async::AsyncPgConnection;
use store::console::audit::{self, Entry, Outcome};

use crate::{session::Staff, state::ConsoleState};

/// Appends one entry for `staff`, and counts it.
pub async fn append(
    conn: &mut AsyncPgConnection,
    state: &ConsoleState,
    staff: &Staff,
    action: &str,
    target: Option<&str>,
    outcome: Outcome,
    details: serde_json::Value,
) -> diesel::QueryResult<()> {
    let entry = Entry {
        staff_id: staff.session.staff_id,
        staff_email: &staff.session.email,
        action,
        target,
        outcome,
        details,
    };
    audit::append(conn, &entry).await?;
    state
        .metrics
        .actions
        .with_label_values(&[action, outcome.as_str()])
        .inc();
    tracing::info!(staff_id = %staff.session.staff_id, action, outcome = outcome.as_str(), "Staff action");
    Ok(())
}
