//! The sync page's reconciliations: the newest drift reports `sync-worker reconcile` (by hand
//! or scheduled) recorded (`store::reconcile_reports`), the same report its command line
//! prints: how many contacts were checked and in step, and the contact numbers found updated,
//! merged, anonymised or deleted.

use store::reconcile_reports::Recorded;

use crate::pages::{Lang, escape, sync_texts::sync_texts, time};

/// Reports listed, newest first.
pub const LISTED: i64 = 10;

pub fn section(lang: Lang, reports: &[Recorded]) -> String {
    let s = sync_texts(lang);
    if reports.is_empty() {
        return format!(
            "<h2>{}</h2><p class=\"muted\">{}</p>",
            escape(s.reconcile_title),
            escape(s.no_reconcile)
        );
    }
    let rows: String = reports.iter().map(|r| row(lang, r)).collect();
    format!(
        "<h2>{}</h2><div class=\"table-wrap\"><table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>{rows}</tbody></table></div>",
        escape(s.reconcile_title),
        escape(s.when),
        escape(s.checked),
        escape(s.drift),
    )
}

fn row(lang: Lang, recorded: &Recorded) -> String {
    let s = sync_texts(lang);
    let report = &recorded.report;
    let number = |key: &str| report[key].as_u64().unwrap_or(0);
    let drift: Vec<String> = [
        ("updated", s.updated),
        ("merged", s.merged),
        ("anonymised", s.anonymised),
        ("deleted", s.deleted),
    ]
    .iter()
    .filter_map(|(key, label)| {
        let numbers: Vec<&str> = report[*key].as_array()?.iter().filter_map(|n| n.as_str()).collect();
        (!numbers.is_empty()).then(|| format!("{label} ({}): {}", numbers.len(), numbers.join(", ")))
    })
    .collect();
    let drift = if drift.is_empty() {
        "–".to_owned()
    } else {
        drift.join("; ")
    };
    format!(
        "<tr><td>{finished}<br><span class=\"muted\">{how}</span></td><td>{checked}, {in_step} {in_step_label}, {errors} {errors_label}</td><td>{drift}</td></tr>",
        finished = escape(&time(recorded.finished_at)),
        how = escape(if recorded.scheduled { s.scheduled } else { s.by_hand }),
        checked = number("checked"),
        in_step = number("in_step"),
        in_step_label = escape(s.in_step),
        errors = number("errors"),
        errors_label = escape(s.errors),
        drift = escape(&drift),
    )
}
