//! Asking the worker for a replay (admins only, CSRF protected, a fresh sign-in, audited):
//! `POST /sync/replays` (field `from`: a stream offset, `first` or an RFC 3339 time) records a
//! dry run as `requested` in `replay_runs` and publishes a `ReplayRequest` on the commands
//! queue; `POST /sync/replays/{id}/run` asks for the same replay for real once its dry run
//! finished. The worker runs it with `sync-worker replay`'s code (`sync_worker::replay`).

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, http::header, web};
use chrono::Utc;
use prost::Message;
use store::{
    console::{Role, audit::Outcome},
    replay_runs::Start,
};

use super::signed_in;
use crate::{
    audit,
    guard::refusal,
    pages::{self, Lang, replay_texts::replay_texts, translations::texts},
    session::Staff,
    state::ConsoleState,
};

/// The audit's name of the action.
const ACTION: &str = "request_replay";

/// `POST /sync/replays`: a dry run from `from`.
pub async fn request(req: HttpRequest, body: web::Bytes, state: web::Data<ConsoleState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let staff = match signed_in(&req, &state).await {
        Ok(staff) => staff,
        Err(response) => return response,
    };
    let from = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "from")
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    ask(&req, &state, &staff, lang, &body, parse_from(&from), true, None).await
}

/// `POST /sync/replays/{id}/run`: the replay of a finished dry run, for real.
pub async fn run(
    req: HttpRequest,
    path: web::Path<i64>,
    body: web::Bytes,
    state: web::Data<ConsoleState>,
) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let staff = match signed_in(&req, &state).await {
        Ok(staff) => staff,
        Err(response) => return response,
    };
    let Ok(mut conn) = state.pool.get().await else {
        return pages::unavailable(lang, state.gateway());
    };
    let dry = match store::replay_runs::find(&mut conn, path.into_inner()).await {
        Ok(Some(run)) => run,
        Ok(None) => return HttpResponse::NotFound().finish(),
        Err(_) => return pages::unavailable(lang, state.gateway()),
    };
    drop(conn);
    let start = (dry.dry_run && dry.state == "finished").then(|| dry.start());
    ask(&req, &state, &staff, lang, &body, start, false, Some(dry.id)).await
}

/// Checks the action, records the run as requested and asks the worker; redirects to the run.
#[allow(clippy::too_many_arguments)]
async fn ask(
    req: &HttpRequest,
    state: &ConsoleState,
    staff: &Staff,
    lang: Lang,
    body: &[u8],
    start: Option<Start>,
    dry_run: bool,
    after: Option<i64>,
) -> HttpResponse {
    let gateway = state.gateway();
    let Ok(mut conn) = state.pool.get().await else {
        return pages::unavailable(lang, gateway);
    };
    let next = req.path().to_owned();
    if let Some(refused) = refusal(&mut conn, state, staff, lang, body, ACTION, Role::Admin, None, &next).await {
        return refused;
    }
    let Some(start) = start else {
        let r = replay_texts(lang);
        let text = if dry_run { r.bad_from } else { r.not_a_dry_run };
        return pages::message(
            StatusCode::BAD_REQUEST,
            lang,
            gateway,
            Some(staff),
            texts(lang).forbidden_title,
            text,
        );
    };
    let Ok(run_id) = store::replay_runs::request(&mut conn, &staff.session.email, start, dry_run).await else {
        return pages::unavailable(lang, gateway);
    };
    let command = model::bus::ReplayRequest { run_id };
    let message = infra::amqp::OutgoingMessage {
        exchange: state.topology.commands_exchange(),
        routing_key: model::bus::REPLAY_REQUEST_ROUTING_KEY.to_owned(),
        payload: command.encode_to_vec(),
        message_id: format!("replay-{run_id}"),
        timestamp: Utc::now().timestamp().max(0) as u64,
        content_type: model::bus::REPLAY_REQUEST_CONTENT_TYPE,
        headers: infra::amqp::propagation::inject_current(),
    };
    let published = state.publisher.publish_all(vec![message]).await;
    let details = serde_json::json!({
        "run_id": run_id, "dry_run": dry_run, "after_dry_run": after,
        "from_offset": start.from_offset, "since": start.since,
    });
    let (outcome, details) = match &published {
        Ok(_) => (Outcome::Ok, details),
        Err(error) => {
            tracing::warn!(%error, run_id, "Replay request not handed to the worker");
            let totals = serde_json::json!({ "error": "the worker could not be asked" });
            let _ = store::replay_runs::finish(&mut conn, run_id, "failed", &totals, None).await;
            (Outcome::Failed, details)
        }
    };
    let recorded = audit::append(&mut conn, state, staff, ACTION, None, outcome, details).await;
    match (published, recorded) {
        (Ok(_), Ok(())) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/sync/replays/{run_id}")))
            .finish(),
        _ => pages::unavailable(lang, gateway),
    }
}

/// `first`, a non-negative offset, or an RFC 3339 time.
fn parse_from(value: &str) -> Option<Start> {
    let start = |from_offset, since| Some(Start { from_offset, since });
    if value == "first" {
        return start(None, None);
    }
    if let Ok(offset) = value.parse::<i64>() {
        return (offset >= 0).then_some(Start {
            from_offset: Some(offset),
            since: None,
        });
    }
    let since = chrono::DateTime::parse_from_rfc3339(value).ok()?.with_timezone(&Utc);
    start(None, Some(since))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_first_an_offset_or_a_time() {
        assert_eq!(parse_from("first").map(|s| s.from_offset), Some(None));
        assert_eq!(parse_from("42").and_then(|s| s.from_offset), Some(42));
        assert!(parse_from("-1").is_none());
        assert!(parse_from("2026-12-07T08:00:00Z").and_then(|s| s.since).is_some());
        assert!(parse_from("yesterday").is_none());
    }
}
