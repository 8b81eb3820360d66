//! The actions on a fan's dealings with S-360, each behind the guards of [`crate::guard`]
//! (support role, CSRF, fresh sign-in) and audited: retrying a failed task (a write-back, the
//! contact creation or the import's link: `store::console::tasks::retry`, which sync-worker then
//! does), resolving a write-back conflict either way (`store::console::tasks::resolve_conflict`)
//! and reconciling the contact now (a `ReconcileContact` command to sync-worker, which answers
//! on the fan's page as "last checked").

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use store::console::{
    Role,
    audit::Outcome,
    fan::{Account, FanKey},
    tasks::{self, Resolution, TaskRef},
};

use crate::{
    audit,
    guard::{Allowed, allow_on_fan, back_to_fan, form_field},
    pages::{self, Lang},
    session::Staff,
    state::ConsoleState,
};

/// `POST /fans/{key}/retry` with `task` (`writeback-<id>`, `creation` or `link`).
pub async fn retry(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<ConsoleState>,
) -> HttpResponse {
    let (allowed, key, account) = match allow_on_fan(&req, &path, &body, &state, "retry_task", Role::Support).await {
        Ok(allowed) => allowed,
        Err(response) => return response,
    };
    let Some(task) = TaskRef::parse(&form_field(&body, "task")) else {
        return bad_form(&allowed, &state);
    };
    let (subject, number) = fan_of(&key, account.as_ref());
    let change = Change::Retry { subject, number };
    apply(&state, allowed, &key, "retry_task", &task, "retried", change).await
}

/// `POST /fans/{key}/conflict` with `task` (`writeback-<id>`) and `keep` (`s360` or `fan`).
pub async fn resolve_conflict(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<ConsoleState>,
) -> HttpResponse {
    let action = "resolve_conflict";
    let (allowed, key, account) = match allow_on_fan(&req, &path, &body, &state, action, Role::Support).await {
        Ok(allowed) => allowed,
        Err(response) => return response,
    };
    let resolution = match form_field(&body, "keep").as_str() {
        "s360" => Resolution::KeepS360,
        "fan" => Resolution::PushFan,
        _ => return bad_form(&allowed, &state),
    };
    let (Some(task @ TaskRef::WriteBack(id)), (_, Some(number))) = (
        TaskRef::parse(&form_field(&body, "task")),
        fan_of(&key, account.as_ref()),
    ) else {
        return bad_form(&allowed, &state);
    };
    let done = match resolution {
        Resolution::KeepS360 => "kept_s360",
        Resolution::PushFan => "pushed_again",
    };
    let change = Change::Resolve { number, id, resolution };
    apply(&state, allowed, &key, action, &task, done, change).await
}

/// `POST /fans/{key}/reconcile`: asks sync-worker to reconcile the fan's contact now. Audited
/// once the broker holds the command (503 and `failed` when it cannot be reached).
pub async fn reconcile(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<ConsoleState>,
) -> HttpResponse {
    let action = "reconcile_contact";
    let (allowed, key, account) = match allow_on_fan(&req, &path, &body, &state, action, Role::Support).await {
        Ok(allowed) => allowed,
        Err(response) => return response,
    };
    let Allowed { staff, lang, mut conn } = allowed;
    let target = key.to_string();
    let (_, Some(number)) = fan_of(&key, account.as_ref()) else {
        return nothing_to_do(&staff, lang, &state);
    };
    let (outcome, details) = match crate::commands::reconcile(&state, &number).await {
        Ok(()) => (Outcome::Ok, serde_json::json!({})),
        Err(error) => {
            tracing::warn!(%error, "Reconciliation not requested");
            (Outcome::Failed, serde_json::json!({ "reason": "unavailable" }))
        }
    };
    let audited = audit::append(&mut conn, &state, &staff, action, Some(&target), outcome, details).await;
    if outcome != Outcome::Ok || audited.is_err() {
        return pages::unavailable(lang, state.gateway());
    }
    back_to_fan(&target, "reconcile")
}

/// The fan's subject id (when it has an account) and contact number (its account's, or the
/// key's).
fn fan_of(key: &FanKey, account: Option<&Account>) -> (Option<uuid::Uuid>, Option<String>) {
    let number = match key {
        FanKey::Contact(number) => Some(number.clone()),
        FanKey::Subject(_) => account.and_then(|a| a.contact_number.clone()),
    };
    (account.map(|a| a.subject_id), number)
}

/// A change to a task, with the fan it must belong to.
enum Change {
    Retry {
        subject: Option<uuid::Uuid>,
        number: Option<String>,
    },
    Resolve {
        number: String,
        id: i64,
        resolution: Resolution,
    },
}

/// Applies `change` to `task` and audits it in one transaction; a task not in the state the
/// action is for (retried or resolved already, another fan's) changes nothing and says so.
async fn apply(
    state: &ConsoleState,
    allowed: Allowed,
    key: &FanKey,
    action: &str,
    task: &TaskRef,
    done: &str,
    change: Change,
) -> HttpResponse {
    let Allowed { staff, lang, mut conn } = allowed;
    let target = key.to_string();
    let conn: &mut AsyncPgConnection = &mut conn;
    let changed = conn
        .transaction::<_, diesel::result::Error, _>(async |tx: &mut AsyncPgConnection| {
            let changed = match &change {
                Change::Retry { subject, number } => tasks::retry(tx, task, *subject, number.as_deref()).await?,
                Change::Resolve { number, id, resolution } => {
                    tasks::resolve_conflict(tx, number, *id, *resolution).await?
                }
            };
            if !changed {
                return Ok(false);
            }
            let details = serde_json::json!({ "task": task.to_string(), "done": done });
            audit::append(tx, state, &staff, action, Some(&target), Outcome::Ok, details).await?;
            Ok(true)
        })
        .await;
    match changed {
        Ok(true) => back_to_fan(&target, done),
        Ok(false) => nothing_to_do(&staff, lang, state),
        Err(_) => pages::unavailable(lang, state.gateway()),
    }
}

/// 409: the task is not (or no longer) in a state the action applies to.
fn nothing_to_do(staff: &Staff, lang: Lang, state: &ConsoleState) -> HttpResponse {
    let a = pages::action_texts::action_texts(lang);
    pages::message(
        StatusCode::CONFLICT,
        lang,
        state.gateway(),
        Some(staff),
        a.nothing_to_do_title,
        a.nothing_to_do,
    )
}

/// 400: the form names no task or resolution the console knows.
fn bad_form(allowed: &Allowed, state: &ConsoleState) -> HttpResponse {
    let a = pages::action_texts::action_texts(allowed.lang);
    pages::message(
        StatusCode::BAD_REQUEST,
        allowed.lang,
        state.gateway(),
        Some(&allowed.staff),
        a.bad_form_title,
        a.bad_form,
    )
}
