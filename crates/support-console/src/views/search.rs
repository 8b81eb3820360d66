//! `GET /?q=&page=`: find a fan by e-mail, name, contact number or subject id
//! (`store::console::search`), 25 a page. Each search is audited by its kind and result count,
//! never by the searched text.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use store::console::{
    audit::Outcome,
    search::{Query, search},
};

use super::signed_in;
use crate::{
    audit,
    pages::{self, Lang, escape, translations::texts},
    state::ConsoleState,
};

const PER_PAGE: i64 = 25;

pub async fn page(req: HttpRequest, state: web::Data<ConsoleState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let staff = match signed_in(&req, &state).await {
        Ok(staff) => staff,
        Err(response) => return response,
    };
    let t = texts(lang);
    let params: std::collections::HashMap<String, String> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect();
    let text = params.get("q").map(|q| q.trim().to_owned()).unwrap_or_default();
    let page_number = params
        .get("page")
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(0)
        .clamp(0, 1000);
    let mut results = String::new();
    if !text.is_empty() {
        results = match Query::parse(&text) {
            None => format!("<p class=\"error\" role=\"alert\">{}</p>", escape(t.too_short)),
            Some(query) => {
                let Ok(mut conn) = state.pool.get().await else {
                    return pages::unavailable(lang, state.gateway());
                };
                let Ok((hits, more)) = search(&mut conn, &query, page_number, PER_PAGE).await else {
                    return pages::unavailable(lang, state.gateway());
                };
                let details = serde_json::json!({ "kind": query.kind(), "page": page_number, "results": hits.len() });
                if audit::append(&mut conn, &state, &staff, "search", None, Outcome::Ok, details)
                    .await
                    .is_err()
                {
                    return pages::unavailable(lang, state.gateway());
                }
                table(lang, &text, &hits, page_number, more)
            }
        };
    }
    let body = format!(
        "<h1>{title}</h1><form method=\"get\" action=\"/\" class=\"search\" role=\"search\"><div>\
         <label for=\"q\">{label}</label><input id=\"q\" name=\"q\" type=\"search\" value=\"{value}\" aria-describedby=\"q-hint\" autocomplete=\"off\">\
         </div><button type=\"submit\">{button}</button></form><p id=\"q-hint\" class=\"muted\">{hint}</p>{results}",
        title = escape(t.search),
        label = escape(t.search_label),
        value = escape(&text),
        button = escape(t.search_button),
        hint = escape(t.search_hint),
    );
    pages::html(
        StatusCode::OK,
        state.gateway(),
        pages::layout(lang, state.gateway(), t.search, Some(&staff), &body),
    )
}

fn table(lang: Lang, text: &str, hits: &[store::console::search::Hit], page: i64, more: bool) -> String {
    let t = texts(lang);
    if hits.is_empty() {
        return format!("<p>{}</p>", escape(t.no_results));
    }
    let rows: String = hits
        .iter()
        .map(|hit| {
            let key = hit
                .subject_id
                .map(|s| s.to_string())
                .or_else(|| hit.contact_number.clone())
                .unwrap_or_default();
            let name = hit.name.clone().unwrap_or_else(|| "—".into());
            format!(
                "<tr><td><a href=\"/fans/{key}\">{name}</a></td><td>{email}</td><td>{number}</td><td>{state}</td></tr>",
                key = escape(&key),
                name = escape(&name),
                email = escape(hit.email.as_deref().unwrap_or("")),
                number = escape(hit.contact_number.as_deref().unwrap_or("—")),
                state = escape(hit.state.as_deref().unwrap_or("—")),
            )
        })
        .collect();
    let link = |page: i64, label: &str| {
        let q = url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
        format!("<a href=\"/?q={q}&amp;page={page}\">{}</a>", escape(label))
    };
    let previous = if page > 0 {
        link(page - 1, t.previous_page)
    } else {
        String::new()
    };
    let next = if more {
        link(page + 1, t.next_page)
    } else {
        String::new()
    };
    format!(
        "<h2>{results}</h2><div class=\"table-wrap\"><table><thead><tr><th scope=\"col\">{name}</th><th scope=\"col\">{email}</th>\
         <th scope=\"col\">{contact}</th><th scope=\"col\">{state}</th></tr></thead><tbody>{rows}</tbody></table></div>\
         <p class=\"pager\"><span>{previous}</span><span>{next}</span></p>",
        results = escape(t.results),
        name = escape(t.col_name),
        email = escape(t.col_email),
        contact = escape(t.col_contact),
        state = escape(t.col_state),
    )
}
