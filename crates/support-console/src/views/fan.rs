//! `GET /fans/{key}`: a fan's page (`store::console::fan`), by subject id or contact number.
//! Viewing it is recorded in the audit: it shows personal data. The actions' forms are shown
//! to the roles allowed to use them; the S-360 tasks and the last reconciliation are drawn by
//! [`super::fan_tasks`].

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use store::console::{
    Role,
    audit::Outcome,
    fan::{Fan, FanKey, load},
};

use super::{fan_tasks, signed_in};
use crate::{
    audit,
    pages::{
        self, Lang, Texts,
        action_texts::{ActionTexts, action_texts},
        escape, time,
        translations::texts,
    },
    session::Staff,
    state::ConsoleState,
};

pub async fn page(req: HttpRequest, path: web::Path<String>, state: web::Data<ConsoleState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let staff = match signed_in(&req, &state).await {
        Ok(staff) => staff,
        Err(response) => return response,
    };
    let t = texts(lang);
    let not_found = || {
        pages::message(
            StatusCode::NOT_FOUND,
            lang,
            state.gateway(),
            Some(&staff),
            t.not_found_title,
            t.not_found,
        )
    };
    let Some(key) = FanKey::parse(&path) else {
        return not_found();
    };
    let Ok(mut conn) = state.pool.get().await else {
        return pages::unavailable(lang, state.gateway());
    };
    let Ok(fan) = load(&mut conn, &key).await else {
        return pages::unavailable(lang, state.gateway());
    };
    let Some(fan) = fan else { return not_found() };
    let target = key.to_string();
    if audit::append(
        &mut conn,
        &state,
        &staff,
        "view_fan",
        Some(&target),
        Outcome::Ok,
        serde_json::json!({}),
    )
    .await
    .is_err()
    {
        return pages::unavailable(lang, state.gateway());
    }
    let done = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "done")
        .map(|(_, v)| v.into_owned());
    let a = action_texts(lang);
    let notice = match done.as_deref() {
        Some("unlock") => Some(t.done_unlock),
        Some("revoke") => Some(t.done_revoke),
        Some("resent") => Some(t.done_resend),
        Some("limited") => Some(t.resend_limited),
        // The actions on S-360 tasks, the verification mail and the reconciliation.
        Some("verification") => Some(a.done_verification),
        Some("already_verified") => Some(a.already_verified),
        Some("retried") => Some(a.done_retried),
        Some("kept_s360") => Some(a.done_kept_s360),
        Some("pushed_again") => Some(a.done_pushed_again),
        Some("reconcile") => Some(a.done_reconcile),
        _ => None,
    }
    .map(|n| format!("<p class=\"notice\" role=\"status\">{}</p>", escape(n)))
    .unwrap_or_default();
    let body = format!(
        "<h1>{title} {target}</h1>{notice}{contact}{account}{actions}{ways_in}{tasks}{lists}",
        title = escape(t.fan_title),
        target = escape(&target),
        contact = contact(t, a, &fan),
        account = account(t, &fan),
        actions = actions(t, a, &staff, &target, &fan),
        ways_in = ways_in(t, a, &fan),
        tasks = fan_tasks::tasks(t, a, &staff, &target, &fan),
        lists = lists(t, &fan),
    );
    pages::html(
        StatusCode::OK,
        state.gateway(),
        pages::layout(lang, state.gateway(), t.fan_title, Some(&staff), &body),
    )
}

fn yes_no(t: &Texts, value: bool) -> &'static str {
    if value { t.yes } else { t.no }
}

fn contact(t: &Texts, a: &ActionTexts, fan: &Fan) -> String {
    let Some(c) = &fan.contact else {
        return format!("<h2>{}</h2><p>{}</p>", escape(t.contact_section), escape(t.no_contact));
    };
    let state = match &c.head_contact_number {
        Some(head) if c.state == "merged" => format!("merged ({} {})", t.merged_into, head),
        _ => c.state.clone(),
    };
    let name = format!(
        "{} {}",
        c.first_name.as_deref().unwrap_or(""),
        c.last_name.as_deref().unwrap_or("")
    );
    let rows = [
        (t.col_contact, c.contact_number.clone()),
        (t.col_state, state),
        (t.col_name, name.trim().to_owned()),
        (t.col_email, c.email.clone().unwrap_or_default()),
        (t.phone, c.phone.clone().unwrap_or_default()),
        (t.language, c.language.clone().unwrap_or_default()),
        (t.version, time(c.version_time)),
        (t.source, c.source.clone()),
        fan_tasks::last_checked(a, fan),
    ];
    format!("<h2>{}</h2>{}", escape(t.contact_section), definitions(&rows))
}

fn account(t: &Texts, fan: &Fan) -> String {
    let Some(a) = &fan.account else {
        return format!("<h2>{}</h2><p>{}</p>", escape(t.account_section), escape(t.no_account));
    };
    let lock = match fan.locked_until {
        Some(until) => format!("{} {}", t.locked_until, time(until)),
        None => t.not_locked.to_owned(),
    };
    let rows = [
        (t.col_subject, a.subject_id.to_string()),
        (t.col_email, a.login_email.clone()),
        (t.verified, yes_no(t, a.email_verified).to_owned()),
        (t.password_set, yes_no(t, a.password_set).to_owned()),
        (t.origin, a.origin.clone()),
        (t.created, time(a.created_at)),
        (t.lock, lock),
    ];
    format!("<h2>{}</h2>{}", escape(t.account_section), definitions(&rows))
}

fn definitions(rows: &[(&str, String)]) -> String {
    let items: String = rows
        .iter()
        .map(|(term, value)| format!("<dt>{}</dt><dd>{}</dd>", escape(term), escape(value)))
        .collect();
    format!("<dl>{items}</dl>")
}

/// The forms of the actions this staff member's role allows.
fn actions(t: &Texts, a: &ActionTexts, staff: &Staff, target: &str, fan: &Fan) -> String {
    if staff.session.role < Role::Support {
        return String::new();
    }
    let reconcile = match &fan.contact {
        Some(_) => fan_tasks::form(staff, target, "reconcile", &[], a.reconcile),
        None => String::new(),
    };
    let Some(account) = &fan.account else {
        if reconcile.is_empty() {
            return String::new();
        }
        return format!("<h2>{}</h2>{reconcile}", escape(t.actions_section));
    };
    let verification = if account.email_verified {
        String::new()
    } else {
        fan_tasks::form(staff, target, "resend-verification", &[], a.resend_verification)
    };
    let form = |action: &str, label: &str| {
        format!(
            "<form method=\"post\" action=\"/fans/{target}/{action}\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <button type=\"submit\">{label}</button></form>",
            target = escape(target),
            csrf = escape(&staff.csrf),
            label = escape(label),
        )
    };
    format!(
        "<h2>{}</h2><p class=\"muted\">{}</p>{}{}{}{verification}{reconcile}",
        escape(t.actions_section),
        escape(t.actions_hint),
        form("resend-mail", t.resend_mail),
        form("unlock", t.lift_lock),
        form("revoke-sessions", t.revoke_sessions)
    )
}

/// The account's passkeys and linked sign-in providers (no credential or upstream id shown).
fn ways_in(t: &Texts, a: &ActionTexts, fan: &Fan) -> String {
    if fan.account.is_none() {
        return String::new();
    }
    let used = |at: Option<chrono::DateTime<chrono::Utc>>| at.map(time).unwrap_or_else(|| a.never.to_owned());
    let passkeys = fan
        .passkeys
        .iter()
        .map(|p| vec![p.name.clone(), time(p.created_at), used(p.last_used_at)])
        .collect();
    let providers = fan
        .providers
        .iter()
        .map(|p| vec![p.provider_id.clone(), time(p.linked_at), used(p.last_used_at)])
        .collect();
    [
        table(
            a.passkeys_section,
            t,
            &[a.passkey_name, t.created, a.last_used],
            passkeys,
        ),
        table(
            a.providers_section,
            t,
            &[a.provider, a.linked_at, a.last_used],
            providers,
        ),
    ]
    .concat()
}

/// A table with a caption-like heading, or "nothing recorded".
fn table(title: &str, t: &Texts, headers: &[&str], rows: Vec<Vec<String>>) -> String {
    if rows.is_empty() {
        return format!("<h2>{}</h2><p class=\"muted\">{}</p>", escape(title), escape(t.nothing));
    }
    let head: String = headers
        .iter()
        .map(|h| format!("<th scope=\"col\">{}</th>", escape(h)))
        .collect();
    let body: String = rows
        .iter()
        .map(|row| {
            format!(
                "<tr>{}</tr>",
                row.iter()
                    .map(|c| format!("<td>{}</td>", escape(c)))
                    .collect::<String>()
            )
        })
        .collect();
    format!(
        "<h2>{}</h2><div class=\"table-wrap\"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>",
        escape(title)
    )
}

fn lists(t: &Texts, fan: &Fan) -> String {
    let sessions = fan
        .sessions
        .iter()
        .map(|s| vec![time(s.created_at), time(s.last_seen_at)])
        .collect();
    let families = fan
        .families
        .iter()
        .map(|f| vec![f.client_id.clone(), time(f.created_at), yes_no(t, f.live).to_owned()])
        .collect();
    let sign_ins = fan
        .sign_ins
        .iter()
        .map(|(at, outcome)| vec![time(*at), outcome.clone()])
        .collect();
    let mails = fan
        .mails
        .iter()
        .map(|m| {
            vec![
                m.template.clone(),
                time(m.created_at),
                m.sent_at.map(time).unwrap_or_else(|| t.pending.to_owned()),
            ]
        })
        .collect();
    let timeline = fan
        .timeline
        .iter()
        .map(|(at, action)| vec![time(*at), action.clone()])
        .collect();
    [
        table(t.sessions_section, t, &[t.created, t.last_seen], sessions),
        table(t.families_section, t, &[t.client, t.created, t.live], families),
        table(t.sign_ins_section, t, &[t.when, t.outcome], sign_ins),
        table(t.mails_section, t, &[t.template, t.created, t.sent], mails),
        table(t.timeline_section, t, &[t.when, t.action], timeline),
    ]
    .concat()
}
