//! The shop's HTML pages: minimal, escaped, enough for a person or a test to see what happened.

use actix_web::{HttpResponse, http::StatusCode};

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub fn page(status: StatusCode, id: &str, title: &str, body: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Content-Security-Policy", "default-src 'none'; form-action 'self'"))
        .body(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} – Ticket shop</title></head>\
             <body><main id=\"{id}\"><h1>{title}</h1>{body}</main></body></html>",
            title = escape(title),
        ))
}

/// Who is signed in.
pub fn signed_in(contact_number: &str, first: &str, last: &str, path: &str) -> HttpResponse {
    page(
        StatusCode::OK,
        "signed-in",
        "Ticket shop",
        &format!(
            "<p>Signed in as <span id=\"name\">{} {}</span>, contact number \
             <span id=\"contact-number\" data-contact-number=\"{n}\">{n}</span>.</p><p>Page: {}</p>\
             <form method=\"post\" action=\"/shop/logout\"><button>Sign out</button></form>",
            escape(first),
            escape(last),
            escape(path),
            n = escape(contact_number),
        ),
    )
}

pub fn signed_out() -> HttpResponse {
    page(
        StatusCode::OK,
        "signed-out",
        "Ticket shop",
        "<p>You are not signed in.</p><p><a href=\"/shop/login\">Sign in</a></p>",
    )
}

pub fn link_account(contact_number: &str) -> HttpResponse {
    page(
        StatusCode::OK,
        "link-account",
        "Link account",
        &format!(
            "<p>An account with this e-mail already exists (contact {}). Enter its ticket shop \
             password to link it to your sign-in.</p><p>No ticket shop password? In Exclusive mode \
             there is no way forward here: ask the box office.</p>",
            escape(contact_number)
        ),
    )
}

pub fn email_mismatch() -> HttpResponse {
    page(
        StatusCode::CONFLICT,
        "email-mismatch",
        "Account conflict",
        "<p>Your sign-in is linked to a ticket shop account with another e-mail address. Ask the \
         box office to correct it.</p>",
    )
}

pub fn failed(status: StatusCode, reason: &str) -> HttpResponse {
    page(
        status,
        "sign-in-failed",
        "Sign-in failed",
        &format!("<p>{}</p><p><a href=\"/shop/login\">Try again</a></p>", escape(reason)),
    )
}

/// 503 with `Retry-After`: the identity provider is unreachable, or the shop is saturated.
pub fn unavailable(reason: &str) -> HttpResponse {
    let mut response = failed(StatusCode::SERVICE_UNAVAILABLE, reason);
    response.headers_mut().insert(
        actix_web::http::header::RETRY_AFTER,
        actix_web::http::header::HeaderValue::from(infra::http::RETRY_AFTER_SECONDS),
    );
    response
}
