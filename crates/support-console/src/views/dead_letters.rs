//! The sync page's dead letters: the first [`LISTED`] of the dead-letter queue with their
//! reason code, reason, contact number and message id (headers only, never a payload), listed
//! by `infra::amqp::redrive::list` (nothing consumed), and `POST /sync/redrive`: an admin moves
//! the checked ones back to the worker through `infra::amqp::redrive::redrive`, the code of
//! `sync-worker redrive` (confirmed re-publish before each ack). Audited, CSRF protected, a
//! fresh sign-in required, as every action.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, http::header, web};
use infra::amqp::redrive::{self, Listing, Selection};
use store::console::{Role, audit::Outcome};

use super::signed_in;
use crate::{
    audit,
    guard::refusal,
    pages::{self, Lang, escape, sync_texts::SyncTexts, sync_texts::sync_texts},
    session::Staff,
    state::ConsoleState,
};

/// Dead letters listed on the page.
pub const LISTED: u32 = 100;
/// The audit's name of the action.
const ACTION: &str = "redrive_dead_letters";

/// The dead letters' section of the sync page.
pub async fn section(state: &ConsoleState, staff: &Staff, lang: Lang) -> String {
    let s = sync_texts(lang);
    let listing = tokio::time::timeout(
        crate::queues::TIMEOUT,
        redrive::list(&state.amqp_url, &state.topology, LISTED, "support-console"),
    )
    .await;
    let listing = match listing.unwrap_or_else(|_| Err(anyhow::anyhow!("timed out"))) {
        Ok(listing) => listing,
        Err(error) => {
            tracing::warn!(%error, "Dead letters not listed");
            return format!(
                "<h2>{}</h2><p class=\"error\" role=\"alert\">{}</p>",
                escape(s.dead_title),
                escape(s.broker_down)
            );
        }
    };
    format!(
        "<h2 id=\"dead-letters\">{}</h2>{}",
        escape(s.dead_title),
        table(s, staff, &listing)
    )
}

fn table(s: &SyncTexts, staff: &Staff, listing: &Listing) -> String {
    if listing.letters.is_empty() {
        return format!("<p class=\"muted\">{}</p>", escape(s.no_dead));
    }
    let admin = staff.session.role >= Role::Admin;
    let rows: String = listing
        .letters
        .iter()
        .map(|letter| {
            let id = letter.message_id.as_deref().unwrap_or("");
            let select = match (admin, letter.message_id.as_deref()) {
                (false, _) => String::new(),
                (true, Some(id)) => format!(
                    "<td><input type=\"checkbox\" name=\"id\" value=\"{id}\" aria-label=\"{label} {id}\"></td>",
                    id = escape(id),
                    label = escape(s.select)
                ),
                (true, None) => "<td></td>".to_owned(),
            };
            let cell = |v: &Option<String>| escape(v.as_deref().unwrap_or("–"));
            format!(
                "<tr>{select}<td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(id),
                cell(&letter.reason_code),
                cell(&letter.reason),
                cell(&letter.contact_number),
                cell(&letter.routing_key),
            )
        })
        .collect();
    let select_head = if admin {
        format!("<th scope=\"col\">{}</th>", escape(s.select))
    } else {
        String::new()
    };
    let table = format!(
        "<p>{waiting} {waiting_n}; {listed_n} {listed}</p><div class=\"table-wrap\"><table><thead><tr>{select_head}<th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>{rows}</tbody></table></div>",
        escape(s.message_id),
        escape(s.code),
        escape(s.reason),
        escape(s.contact),
        escape(s.routing_key),
        waiting_n = listing.waiting,
        waiting = escape(s.waiting),
        listed_n = listing.letters.len(),
        listed = escape(s.listed),
    );
    if !admin {
        return table;
    }
    format!(
        "<form class=\"redrive\" method=\"post\" action=\"/sync/redrive\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">{table}<p class=\"muted\">{hint}</p><button type=\"submit\">{button}</button></form>",
        csrf = escape(&staff.csrf),
        hint = escape(s.redrive_hint),
        button = escape(s.redrive),
    )
}

/// `POST /sync/redrive`: the checked dead letters (`id` fields, message ids) go back to the
/// worker; admin only.
pub async fn redrive(req: HttpRequest, body: web::Bytes, state: web::Data<ConsoleState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let s = sync_texts(lang);
    let gateway = state.gateway();
    let staff = match signed_in(&req, &state).await {
        Ok(staff) => staff,
        Err(response) => return response,
    };
    let Ok(mut conn) = state.pool.get().await else {
        return pages::unavailable(lang, gateway);
    };
    if let Some(refused) = refusal(
        &mut conn,
        &state,
        &staff,
        lang,
        &body,
        ACTION,
        Role::Admin,
        None,
        "/sync",
    )
    .await
    {
        return refused;
    }
    let message_ids: Vec<String> = url::form_urlencoded::parse(&body)
        .filter(|(k, v)| k == "id" && !v.is_empty())
        .map(|(_, v)| v.into_owned())
        .collect();
    if message_ids.is_empty() {
        let t = pages::translations::texts(lang);
        return pages::message(
            StatusCode::BAD_REQUEST,
            lang,
            gateway,
            Some(&staff),
            t.forbidden_title,
            s.none_selected,
        );
    }
    let selection = Selection {
        message_ids: message_ids.clone(),
        ..Selection::default()
    };
    let done = redrive::redrive(
        &state.amqp_url,
        &state.topology,
        &selection,
        false,
        model::bus::CONTACT_CHANGED_ROUTING_KEY,
        "support-console redrive",
    )
    .await;
    let (outcome, details) = match &done {
        Ok(report) => (
            Outcome::Ok,
            serde_json::json!({ "message_ids": message_ids, "redriven": report.redriven, "kept": report.kept }),
        ),
        Err(error) => {
            tracing::warn!(%error, "Dead letters not redriven");
            (
                Outcome::Failed,
                serde_json::json!({ "message_ids": message_ids, "reason": "unavailable" }),
            )
        }
    };
    let recorded = audit::append(&mut conn, &state, &staff, ACTION, None, outcome, details).await;
    match (done, recorded) {
        (Ok(report), Ok(())) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/sync?redriven={}", report.redriven)))
            .finish(),
        _ => pages::unavailable(lang, gateway),
    }
}
