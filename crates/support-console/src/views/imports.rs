//! The sync page's import runs (`store::console::imports`): where each run is in its file,
//! its counts, and the set-password mails and S-360 links it still owes.

use store::console::imports::ImportRun;

use crate::pages::{Lang, escape, sync_texts::sync_texts, time};

/// Runs listed, newest first.
pub const LISTED: i64 = 10;

pub fn section(lang: Lang, runs: &[ImportRun]) -> String {
    let s = sync_texts(lang);
    if runs.is_empty() {
        return format!(
            "<h2>{}</h2><p class=\"muted\">{}</p>",
            escape(s.imports_title),
            escape(s.no_imports)
        );
    }
    let rows: String = runs
        .iter()
        .map(|run| {
            let state = match run.finished_at {
                Some(at) => format!("{} {}", s.finished, time(at)),
                None => s.running.to_owned(),
            };
            let counts = match run.counts.as_object() {
                Some(counts) => counts
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                None => String::new(),
            };
            format!(
                "<tr><td>#{id} {format}<br><span class=\"muted\">{source}</span><br>{started}</td><td>{position} / {total}<br>{state}</td><td>{counts}</td><td>{mails} {mails_label}, {links} {links_label}</td></tr>",
                id = run.id,
                format = escape(&run.format),
                source = escape(&run.source_key),
                started = escape(&time(run.started_at)),
                position = run.position,
                total = run.total,
                state = escape(&state),
                counts = escape(&counts),
                mails = run.mails_owed,
                mails_label = escape(s.mails),
                links = run.links_owed,
                links_label = escape(s.links),
            )
        })
        .collect();
    format!(
        "<h2>{}</h2><div class=\"table-wrap\"><table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>{rows}</tbody></table></div>",
        escape(s.imports_title),
        escape(s.run),
        escape(s.progress),
        escape(s.counts),
        escape(s.owed),
    )
}
