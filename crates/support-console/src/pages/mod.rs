//! The console's HTML: server-rendered, no JavaScript, every value escaped, in English, French
//! or German ([`texts`]). Pages wear the club's theme: the gateway's own style sheet and logo
//! (`/theme/style.css`, `/theme/logo`, allowed by the policy), plus the console's few rules for
//! wide tables (`/console.css`).

pub mod action_texts;
pub mod replay_texts;
pub mod sync_texts;
pub mod texts;
pub mod translations;

use actix_web::{HttpResponse, http::StatusCode, http::header};

pub use texts::{Lang, Texts};
pub use translations::texts;

use crate::session::Staff;

/// The console's own style rules: wider pages, tables, inline forms.
pub const CONSOLE_CSS: &str = include_str!("console.css");

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            other => out.push(other),
        }
    }
    out
}

/// A whole page: the club's header, the console's navigation when signed in, `body`.
pub fn layout(lang: Lang, gateway: &str, title: &str, staff: Option<&Staff>, body: &str) -> String {
    let t = translations::texts(lang);
    let nav = match staff {
        Some(staff) => format!(
            "<nav class=\"console-nav\" aria-label=\"{label}\"><a href=\"/\">{search}</a><a href=\"/sync\">{sync}</a><a href=\"/audit\">{audit}</a><a href=\"/erasures\">{erasures}</a>\
             <span class=\"muted\">{name} · {role}</span>\
             <form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\" class=\"link\">{sign_out}</button></form></nav>",
            label = escape(t.nav_label),
            search = escape(t.search),
            sync = escape(t.sync),
            audit = escape(t.audit),
            erasures = escape(action_texts::action_texts(lang).erasures),
            name = escape(&staff.session.name),
            role = escape(t.role(staff.session.role)),
            csrf = escape(&staff.csrf),
            sign_out = escape(t.sign_out),
        ),
        None => String::new(),
    };
    let gateway = escape(gateway);
    format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · {console}</title><link rel=\"stylesheet\" href=\"{gateway}/theme/style.css\"><link rel=\"stylesheet\" href=\"/console.css\"></head>\
         <body class=\"console\"><header class=\"brand\"><img src=\"{gateway}/theme/logo\" alt=\"\" width=\"48\" height=\"48\"><span>{console}</span></header>\
         {nav}<main><div class=\"card\">{body}</div></main></body></html>",
        lang = lang.code(),
        title = escape(title),
        console = escape(t.console),
    )
}

/// The content security policy of every page: nothing but our own style sheets, images and
/// script (`/console.js`, which fetches only from here) and the gateway's theme; no inline
/// script; forms post only here.
pub fn policy(gateway: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' {gateway}; \
         img-src 'self' {gateway}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// An HTML answer that is never cached, framed or sent as a referrer.
pub fn html(status: StatusCode, gateway: &str, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, policy(gateway)))
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// A page with a heading and one message (errors, refusals).
pub fn message(
    status: StatusCode,
    lang: Lang,
    gateway: &str,
    staff: Option<&Staff>,
    title: &str,
    text: &str,
) -> HttpResponse {
    let body = format!(
        "<h1>{}</h1><p>{}</p><p><a href=\"/\">{}</a></p>",
        escape(title),
        escape(text),
        escape(translations::texts(lang).back)
    );
    html(status, gateway, layout(lang, gateway, title, staff, &body))
}

/// 503 with `Retry-After`: the database cannot be reached.
pub fn unavailable(lang: Lang, gateway: &str) -> HttpResponse {
    let t = translations::texts(lang);
    let mut response = message(
        StatusCode::SERVICE_UNAVAILABLE,
        lang,
        gateway,
        None,
        t.unavailable_title,
        t.unavailable,
    );
    response.headers_mut().insert(
        header::RETRY_AFTER,
        header::HeaderValue::from(infra::http::RETRY_AFTER_SECONDS),
    );
    response
}

/// A time as staff read it (UTC, to the second).
pub fn time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}
