//! The S-360 part of a fan's page: the tasks owed to S-360 (write-backs, the contact creation,
//! the import's link) with, for staff allowed to act, a retry on a failed one and both
//! resolutions of a write-back conflict; and the contact's last reconciliation with the button
//! that asks for one now ([`crate::tasks`]).

use store::console::{
    Role,
    fan::{Fan, Task},
};

use crate::{
    pages::{Texts, action_texts::ActionTexts, escape, time},
    session::Staff,
};

/// A one-button form posting `fields` to the fan's `action`.
pub fn form(staff: &Staff, target: &str, action: &str, fields: &[(&str, &str)], label: &str) -> String {
    let hidden: String = fields
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(name),
                escape(value)
            )
        })
        .collect();
    format!(
        "<form method=\"post\" action=\"/fans/{target}/{action}\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         {hidden}<button type=\"submit\">{label}</button></form>",
        target = escape(target),
        action = escape(action),
        csrf = escape(&staff.csrf),
        label = escape(label),
    )
}

/// What staff may do with a task in its state.
fn task_actions(a: &ActionTexts, staff: &Staff, target: &str, task: &Task) -> String {
    if staff.session.role < Role::Support {
        return String::new();
    }
    let name = task.task.to_string();
    match (task.state.as_str(), task.kind) {
        ("failed", _) | ("ambiguous", "contact creation") => form(staff, target, "retry", &[("task", &name)], a.retry),
        ("conflict", _) => [
            form(
                staff,
                target,
                "conflict",
                &[("task", &name), ("keep", "s360")],
                a.keep_s360,
            ),
            form(
                staff,
                target,
                "conflict",
                &[("task", &name), ("keep", "fan")],
                a.push_fan,
            ),
        ]
        .concat(),
        _ => String::new(),
    }
}

/// The tasks table, with the actions staff may take on each.
pub fn tasks(t: &Texts, a: &ActionTexts, staff: &Staff, target: &str, fan: &Fan) -> String {
    if fan.tasks.is_empty() {
        return format!(
            "<h2>{}</h2><p class=\"muted\">{}</p>",
            escape(t.tasks_section),
            escape(t.nothing)
        );
    }
    let head: String = [t.kind, t.col_state, t.attempts, t.last_error, t.created, t.action]
        .iter()
        .map(|h| format!("<th scope=\"col\">{}</th>", escape(h)))
        .collect();
    let rows: String = fan
        .tasks
        .iter()
        .map(|task| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(task.kind),
                escape(&task.state),
                task.attempts,
                escape(task.last_error.as_deref().unwrap_or("")),
                escape(&time(task.created_at)),
                task_actions(a, staff, target, task),
            )
        })
        .collect();
    format!(
        "<h2>{}</h2><div class=\"table-wrap\"><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>",
        escape(t.tasks_section)
    )
}

/// The contact's last reconciliation with S-360: when, and what it found.
pub fn last_checked(a: &ActionTexts, fan: &Fan) -> (&'static str, String) {
    let value = match &fan.checked {
        Some((at, outcome)) => format!("{} ({} {outcome})", time(*at), a.check_found),
        None => a.never_checked.to_owned(),
    };
    (a.last_checked, value)
}
