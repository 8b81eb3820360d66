//! The data-protection page: fans' open erasure requests (`store::console::erasures`), which
//! the gateway records when a fan deletes their account, and what each leaves to do in the
//! S-360 back office (anonymising the contact, removing the SSO link: S-360's contact API
//! offers neither, see `store::auth::erasure::pending`). Every role reads the list (itself
//! recorded in the audit: it names fans); an admin marks a request completed once that is done,
//! which records who and when, behind the guards of [`crate::guard`].

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, http::header, web};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use store::console::{Role, audit::Outcome, erasures};

use crate::{
    audit,
    guard::{Allowed, allow},
    pages::{self, Lang, action_texts::action_texts, escape, time, translations::texts},
    state::ConsoleState,
    views::signed_in,
};

/// `GET /erasures`: the open requests, oldest first.
pub async fn page(req: HttpRequest, state: web::Data<ConsoleState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let staff = match signed_in(&req, &state).await {
        Ok(staff) => staff,
        Err(response) => return response,
    };
    let Ok(mut conn) = state.pool.get().await else {
        return pages::unavailable(lang, state.gateway());
    };
    let Ok(open) = erasures::open(&mut conn).await else {
        return pages::unavailable(lang, state.gateway());
    };
    let details = serde_json::json!({ "open": open.len() });
    if audit::append(&mut conn, &state, &staff, "view_erasures", None, Outcome::Ok, details)
        .await
        .is_err()
    {
        return pages::unavailable(lang, state.gateway());
    }
    let (t, a) = (texts(lang), action_texts(lang));
    let admin = staff.session.role >= Role::Admin;
    let rows: String = open
        .iter()
        .map(|request| {
            let contact = match &request.contact_number {
                Some(number) => format!("<a href=\"/fans/{0}\">{0}</a>", escape(number)),
                None => String::new(),
            };
            let left: Vec<&str> = request
                .pending
                .as_object()
                .map(|items| {
                    items
                        .keys()
                        .map(|item| match item.as_str() {
                            "s360_contact" => a.erasure_contact,
                            "sso_link" => a.erasure_link,
                            _ => a.erasure_other,
                        })
                        .collect()
                })
                .unwrap_or_default();
            let form = if admin {
                format!(
                    "<form method=\"post\" action=\"/erasures/{id}/complete\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                     <button type=\"submit\">{label}</button></form>",
                    id = request.id,
                    csrf = escape(&staff.csrf),
                    label = escape(a.erasure_complete),
                )
            } else {
                String::new()
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{contact}</td><td>{}</td><td>{form}</td></tr>",
                request.id,
                escape(&time(request.requested_at)),
                escape(&request.subject_id.to_string()),
                escape(&left.join("; ")),
            )
        })
        .collect();
    let notice = match url::form_urlencoded::parse(req.query_string().as_bytes()).find(|(k, _)| k == "done") {
        Some(_) => format!("<p class=\"notice\" role=\"status\">{}</p>", escape(a.erasure_done)),
        None => String::new(),
    };
    let table = if open.is_empty() {
        format!("<p class=\"muted\">{}</p>", escape(a.erasures_none))
    } else {
        format!(
            "<div class=\"table-wrap\"><table><thead><tr><th scope=\"col\">{id}</th><th scope=\"col\">{when}</th>\
             <th scope=\"col\">{subject}</th><th scope=\"col\">{contact}</th><th scope=\"col\">{left}</th><th scope=\"col\">{action}</th></tr></thead>\
             <tbody>{rows}</tbody></table></div>",
            id = escape(a.erasure_id),
            when = escape(a.erasure_requested),
            subject = escape(t.col_subject),
            contact = escape(t.col_contact),
            left = escape(a.erasure_left),
            action = escape(t.action),
        )
    };
    let body = format!(
        "<h1>{}</h1>{notice}<p class=\"muted\">{}</p>{table}",
        escape(a.erasures),
        escape(a.erasures_intro)
    );
    pages::html(
        StatusCode::OK,
        state.gateway(),
        pages::layout(lang, state.gateway(), a.erasures, Some(&staff), &body),
    )
}

/// `POST /erasures/{id}/complete` (admin): the request is done in S-360's back office.
pub async fn complete(
    req: HttpRequest,
    path: web::Path<i64>,
    body: web::Bytes,
    state: web::Data<ConsoleState>,
) -> HttpResponse {
    let action = "complete_erasure";
    let id = path.into_inner();
    let target = format!("erasure-{id}");
    let allowed = match allow(&req, &body, &state, action, Role::Admin, Some(&target), "/erasures").await {
        Ok(allowed) => allowed,
        Err(response) => return response,
    };
    let Allowed { staff, lang, mut conn } = allowed;
    let conn: &mut AsyncPgConnection = &mut conn;
    let staff_id = staff.session.staff_id;
    let completed = conn
        .transaction::<_, diesel::result::Error, _>(async |tx: &mut AsyncPgConnection| {
            if !erasures::complete(tx, id, staff_id).await? {
                return Ok(false);
            }
            let details = serde_json::json!({});
            audit::append(tx, &state, &staff, action, Some(&target), Outcome::Ok, details).await?;
            Ok(true)
        })
        .await;
    match completed {
        Ok(true) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/erasures?done=1"))
            .finish(),
        Ok(false) => {
            let a = action_texts(lang);
            pages::message(
                StatusCode::CONFLICT,
                lang,
                state.gateway(),
                Some(&staff),
                a.nothing_to_do_title,
                a.erasure_not_open,
            )
        }
        Err(_) => pages::unavailable(lang, state.gateway()),
    }
}
