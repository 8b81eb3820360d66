//! `GET /sync`: the sync at a glance: the worker's queues (messages waiting, consumers, by a
//! passive declare: `crate::queues`) and the S-360 budget in use (`store::budget::in_use`).
//! the dead letters ([`super::dead_letters`], with their redrive) and the import runs
//! ([`super::imports`]), the reconciliations' drift reports ([`super::reconcile`]) and the
//! replays ([`super::replays`]). A broker that cannot be reached is said on the page, which
//! still shows the rest. Payloads are never shown.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};

use super::signed_in;
use crate::{
    pages::{
        self, Lang, Texts, escape,
        sync_texts::{SyncTexts, sync_texts},
        translations::texts,
    },
    state::ConsoleState,
};

pub async fn page(req: HttpRequest, state: web::Data<ConsoleState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let staff = match signed_in(&req, &state).await {
        Ok(staff) => staff,
        Err(response) => return response,
    };
    let t = texts(lang);
    let Ok(mut conn) = state.pool.get().await else {
        return pages::unavailable(lang, state.gateway());
    };
    let Ok(budgets) = store::budget::in_use(&mut conn).await else {
        return pages::unavailable(lang, state.gateway());
    };
    let Ok(runs) = store::console::imports::recent(&mut conn, super::imports::LISTED).await else {
        return pages::unavailable(lang, state.gateway());
    };
    let Ok(reports) = store::reconcile_reports::recent(&mut conn, super::reconcile::LISTED).await else {
        return pages::unavailable(lang, state.gateway());
    };
    let Ok(replays) = store::replay_runs::recent(&mut conn, super::replays::LISTED).await else {
        return pages::unavailable(lang, state.gateway());
    };
    drop(conn);
    let dead_letters = super::dead_letters::section(&state, &staff, lang).await;
    let imports = super::imports::section(lang, &runs);
    let reconciliations = super::reconcile::section(lang, &reports);
    let replays = super::replays::section(lang, &staff, &replays);
    let redriven = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "redriven")
        .and_then(|(_, v)| v.parse::<u64>().ok())
        .map(|n| {
            format!(
                "<p class=\"notice\" role=\"status\">{} {n}</p>",
                escape(sync_texts(lang).redriven)
            )
        })
        .unwrap_or_default();
    let queues = match crate::queues::depths(&state.amqp_url, &state.topology).await {
        Ok(queues) => queues_table(t, sync_texts(lang), &queues),
        Err(reason) => {
            tracing::warn!(%reason, "Queue depths unavailable");
            format!("<p class=\"error\" role=\"alert\">{}</p>", escape(t.broker_down))
        }
    };
    let budget_rows: String = budgets
        .iter()
        .map(|b| {
            format!(
                "<tr><td>{}</td><td>{:.1}</td></tr>",
                escape(&b.name),
                b.reserved_seconds
            )
        })
        .collect();
    let budget = if budgets.is_empty() {
        format!("<p class=\"muted\">{}</p>", escape(t.nothing))
    } else {
        format!(
            "<div class=\"table-wrap\"><table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>{budget_rows}</tbody></table></div>",
            escape(t.budget),
            escape(t.reserved)
        )
    };
    let body = format!(
        "<h1>{title}</h1>{redriven}<h2>{queues_title}</h2>{queues}{dead_letters}<h2>{budget_title}</h2>{budget}{imports}{reconciliations}{replays}",
        title = escape(t.sync),
        queues_title = escape(t.queues_title),
        budget_title = escape(t.budget_title),
    );
    pages::html(
        StatusCode::OK,
        state.gateway(),
        pages::layout(lang, state.gateway(), t.sync, Some(&staff), &body),
    )
}

/// The queue table, which `/console.js` refreshes (`super::live_queues`), and its status line.
fn queues_table(t: &Texts, s: &SyncTexts, queues: &[crate::queues::QueueState]) -> String {
    let rows: String = queues
        .iter()
        .map(|q| match q.depth {
            Some((messages, consumers)) => format!(
                "<tr><td>{name}</td><td data-queue=\"{name}\" data-field=\"messages\">{messages}</td>\
                 <td data-queue=\"{name}\" data-field=\"consumers\">{consumers}</td></tr>",
                name = escape(&q.name)
            ),
            None => format!(
                "<tr><td>{}</td><td colspan=\"2\">{}</td></tr>",
                escape(&q.name),
                escape(t.absent)
            ),
        })
        .collect();
    format!(
        "<div class=\"table-wrap\"><table data-live-queues=\"{every}\"><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>{rows}</tbody></table></div>\
         <p class=\"muted\" role=\"status\" data-live-status data-updated=\"{updated}\" data-failed=\"{failed}\">{loaded}</p>\
         <script src=\"/console.js\" defer></script>",
        escape(t.queue),
        escape(t.messages),
        escape(t.consumers),
        every = super::live_queues::REFRESH_SECONDS,
        updated = escape(s.live_updated),
        failed = escape(s.live_failed),
        loaded = escape(s.live_loaded),
    )
}
