//! The audit pages: the log of staff actions, newest first, and its export as JSON lines
//! (`/audit.jsonl`), itself recorded.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use store::console::audit::{self, Outcome};

use super::signed_in;
use crate::{
    audit::append,
    pages::{self, Lang, escape, translations::texts},
    state::ConsoleState,
};

/// Entries per page of the log.
const PAGE: i64 = 50;

/// `GET /audit?before=`: the log, a page at a time.
pub async fn page(req: HttpRequest, state: web::Data<ConsoleState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let staff = match signed_in(&req, &state).await {
        Ok(staff) => staff,
        Err(response) => return response,
    };
    let before = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "before")
        .and_then(|(_, v)| v.parse::<i64>().ok());
    let Ok(mut conn) = state.pool.get().await else {
        return pages::unavailable(lang, state.gateway());
    };
    let Ok(entries) = audit::page(&mut conn, before, PAGE).await else {
        return pages::unavailable(lang, state.gateway());
    };
    let t = texts(lang);
    let rows: String = entries
        .iter()
        .map(|e| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&pages::time(e.at)),
                escape(&e.staff_email),
                escape(&e.action),
                escape(e.target.as_deref().unwrap_or("")),
                escape(&e.outcome)
            )
        })
        .collect();
    let more = match entries.last() {
        Some(last) if entries.len() as i64 == PAGE => {
            format!(
                "<p class=\"pager\"><a href=\"/audit?before={}\">{}</a></p>",
                last.id,
                escape(t.next_page)
            )
        }
        _ => String::new(),
    };
    let body = format!(
        "<h1>{title}</h1><p class=\"muted\">{intro}</p><p><a href=\"/audit.jsonl\">{export}</a></p>\
         <div class=\"table-wrap\"><table><thead><tr><th scope=\"col\">{when}</th><th scope=\"col\">{who}</th>\
         <th scope=\"col\">{action}</th><th scope=\"col\">{target}</th><th scope=\"col\">{outcome}</th></tr></thead><tbody>{rows}</tbody></table></div>{more}",
        title = escape(t.audit),
        intro = escape(t.audit_intro),
        export = escape(t.export),
        when = escape(t.when),
        who = escape(t.who),
        action = escape(t.action),
        target = escape(t.target),
        outcome = escape(t.outcome),
    );
    pages::html(
        StatusCode::OK,
        state.gateway(),
        pages::layout(lang, state.gateway(), t.audit, Some(&staff), &body),
    )
}

/// `GET /audit.jsonl`: the whole log, newest first, one JSON object a line; the export is
/// itself recorded.
pub async fn export(req: HttpRequest, state: web::Data<ConsoleState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let staff = match signed_in(&req, &state).await {
        Ok(staff) => staff,
        Err(response) => return response,
    };
    let Ok(mut conn) = state.pool.get().await else {
        return pages::unavailable(lang, state.gateway());
    };
    if append(
        &mut conn,
        &state,
        &staff,
        "export_audit",
        None,
        Outcome::Ok,
        serde_json::json!({}),
    )
    .await
    .is_err()
    {
        return pages::unavailable(lang, state.gateway());
    }
    let mut body = String::new();
    let mut before = None;
    loop {
        let Ok(entries) = audit::page(&mut conn, before, 1000).await else {
            return pages::unavailable(lang, state.gateway());
        };
        for entry in &entries {
            body.push_str(&serde_json::to_string(entry).unwrap_or_default());
            body.push('\n');
        }
        match entries.last() {
            Some(last) if entries.len() == 1000 => before = Some(last.id),
            _ => break,
        }
    }
    HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .insert_header(("Content-Disposition", "attachment; filename=\"staff-audit.jsonl\""))
        .content_type("application/x-ndjson")
        .body(body)
}
