//! The sync page's replays (`store::replay_runs`, recorded by `sync-worker replay`, from its
//! command line or asked for here): the newest [`LISTED`] with their totals, the form that asks
//! the worker for a dry run (admins; see [`super::replay_requests`]), and `GET
//! /sync/replays/{id}`: a run's diff, the same the command line prints, contact by contact.
//! The diff holds contact data: admins see the values, viewers the field names only.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde_json::Value;
use store::{console::Role, replay_runs::ReplayRun};

use super::signed_in;
use crate::{
    pages::{self, Lang, escape, replay_texts::replay_texts, time},
    session::Staff,
    state::ConsoleState,
};

/// Runs listed, newest first.
pub const LISTED: i64 = 10;

/// The replays' section of the sync page.
pub fn section(lang: Lang, staff: &Staff, runs: &[ReplayRun]) -> String {
    let r = replay_texts(lang);
    let form = format!(
        "<form method=\"post\" action=\"/sync/replays\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><label for=\"replay-from\">{label}</label> <input id=\"replay-from\" name=\"from\" required value=\"first\" aria-describedby=\"replay-from-hint\"> <button type=\"submit\">{button}</button><p id=\"replay-from-hint\" class=\"muted\">{hint}</p></form>",
        csrf = escape(&staff.csrf),
        label = escape(r.from_label),
        button = escape(r.dry_run_button),
        hint = escape(r.from_hint),
    );
    if runs.is_empty() {
        return format!(
            "<h2>{}</h2><p class=\"muted\">{}</p>{form}",
            escape(r.title),
            escape(r.none)
        );
    }
    let rows: String = runs.iter().map(|run| row(lang, run)).collect();
    format!(
        "<h2>{title}</h2><div class=\"table-wrap\"><table><thead><tr><th scope=\"col\">{when}</th><th scope=\"col\">{from}</th><th scope=\"col\">{kind}</th><th scope=\"col\">{state}</th><th scope=\"col\">{totals}</th></tr></thead><tbody>{rows}</tbody></table></div>{form}",
        title = escape(r.title),
        when = escape(crate::pages::sync_texts::sync_texts(lang).when),
        from = escape(r.from),
        kind = escape(r.kind),
        state = escape(r.state),
        totals = escape(r.totals),
    )
}

fn row(lang: Lang, run: &ReplayRun) -> String {
    let r = replay_texts(lang);
    format!(
        "<tr><td><a href=\"/sync/replays/{id}\">{created}</a><br><span class=\"muted\">{by}</span></td><td>{from}</td><td>{kind}</td><td>{state}</td><td>{totals}</td></tr>",
        id = run.id,
        created = escape(&time(run.created_at)),
        by = escape(&run.requested_by),
        from = escape(&from(run)),
        kind = escape(if run.dry_run { r.dry } else { r.real }),
        state = escape(&run.state),
        totals = escape(&totals(run)),
    )
}

/// Where a run starts, as the form takes it.
fn from(run: &ReplayRun) -> String {
    match (run.from_offset, run.since) {
        (Some(offset), _) => offset.to_string(),
        (None, Some(since)) => since.to_rfc3339(),
        (None, None) => "first".to_owned(),
    }
}

/// `read 35, written 1, …` and, for a dry run, the diff's totals by kind.
fn totals(run: &ReplayRun) -> String {
    let mut parts: Vec<String> = ["read", "written", "stale", "invalid", "refused"]
        .iter()
        .filter_map(|key| Some(format!("{key} {}", run.totals.as_ref()?.get(key)?.as_u64()?)))
        .collect();
    if let Some(kinds) = run.diff.as_ref().and_then(|d| d["totals"].as_object()) {
        parts.extend(kinds.iter().map(|(kind, n)| format!("{n} {kind}")));
    }
    if let Some(error) = run.totals.as_ref().and_then(|t| t["error"].as_str()) {
        parts.push(error.to_owned());
    }
    parts.join(", ")
}

/// `GET /sync/replays/{id}`: one run and its diff.
pub async fn page(req: HttpRequest, path: web::Path<i64>, state: web::Data<ConsoleState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let r = replay_texts(lang);
    let staff = match signed_in(&req, &state).await {
        Ok(staff) => staff,
        Err(response) => return response,
    };
    let Ok(mut conn) = state.pool.get().await else {
        return pages::unavailable(lang, state.gateway());
    };
    let run = match store::replay_runs::find(&mut conn, path.into_inner()).await {
        Ok(Some(run)) => run,
        Ok(None) => return HttpResponse::NotFound().finish(),
        Err(_) => return pages::unavailable(lang, state.gateway()),
    };
    drop(conn);
    let admin = staff.session.role >= Role::Admin;
    let diff = run
        .diff
        .as_ref()
        .map(|d| diff_table(lang, d, admin))
        .unwrap_or_default();
    let run_button = if run.dry_run && run.state == "finished" && admin {
        format!(
            "<form method=\"post\" action=\"/sync/replays/{id}/run\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\">{button}</button></form>",
            id = run.id,
            csrf = escape(&staff.csrf),
            button = escape(r.run_button),
        )
    } else {
        String::new()
    };
    let body = format!(
        "<h1>{title} {id}</h1><dl><dt>{by_label}</dt><dd>{by}</dd><dt>{from_label}</dt><dd>{from}</dd><dt>{kind_label}</dt><dd>{kind}</dd><dt>{state_label}</dt><dd>{state}</dd><dt>{totals_label}</dt><dd>{totals}</dd></dl>{diff}{run_button}<p><a href=\"/sync\">{back}</a></p>",
        title = escape(r.run_title),
        id = run.id,
        by_label = escape(r.requested_by),
        by = escape(&run.requested_by),
        from_label = escape(r.from),
        from = escape(&from(&run)),
        kind_label = escape(r.kind),
        kind = escape(if run.dry_run { r.dry } else { r.real }),
        state_label = escape(r.state),
        state = escape(&run.state),
        totals_label = escape(r.totals),
        totals = escape(&totals(&run)),
        back = escape(r.back),
    );
    pages::html(
        StatusCode::OK,
        state.gateway(),
        pages::layout(lang, state.gateway(), r.run_title, Some(&staff), &body),
    )
}

/// The diff's contacts: with `values`, each field `old → new`; else the field names only.
fn diff_table(lang: Lang, diff: &Value, values: bool) -> String {
    let r = replay_texts(lang);
    let empty = Vec::new();
    let rows: String = diff["rows"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(|row| {
            let fields: Vec<String> = row["fields"]
                .as_array()
                .unwrap_or(&empty)
                .iter()
                .map(|f| {
                    let field = f["field"].as_str().unwrap_or_default();
                    if values {
                        format!("{field}: {} → {}", f["old"], f["new"])
                    } else {
                        field.to_owned()
                    }
                })
                .collect();
            format!(
                "<tr><td>{number}</td><td>{kind}</td><td>{fields}</td></tr>",
                number = escape(row["contact_number"].as_str().unwrap_or_default()),
                kind = escape(row["kind"].as_str().unwrap_or_default()),
                fields = escape(&fields.join(", ")),
            )
        })
        .collect();
    let more = diff["not_listed"]
        .as_u64()
        .filter(|n| *n > 0)
        .map_or(String::new(), |n| format!("<p>{n} {}</p>", escape(r.not_listed)));
    let hidden = if values {
        String::new()
    } else {
        format!("<p class=\"muted\">{}</p>", escape(r.values_hidden))
    };
    format!(
        "<div class=\"table-wrap\"><table><thead><tr><th scope=\"col\">{contact}</th><th scope=\"col\">{change}</th><th scope=\"col\">{fields}</th></tr></thead><tbody>{rows}</tbody></table></div>{more}{hidden}",
        contact = escape(r.contact),
        change = escape(r.change),
        fields = escape(r.fields),
    )
}
