//! The HTML answers shared by the gateway's pages: a page that is never cached, framed or
//! sent as a referrer, and the 429 page with `Retry-After`.

use actix_web::{HttpResponse, http::header};

use crate::pages::{self, Lang};

/// An HTML page that is never cached, framed or sent as a referrer.
pub fn html(
    status: actix_web::http::StatusCode,
    body: String,
    cookie: Option<actix_web::cookie::Cookie<'static>>,
) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    if let Some(cookie) = cookie {
        response.cookie(cookie);
    }
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header(("X-Frame-Options", "DENY"))
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// 429 with `Retry-After` (at least a second): the page titled `heading` says to wait.
pub fn locked_page(lang: Lang, heading: &str, retry_after: i64) -> HttpResponse {
    let mut response = html(
        actix_web::http::StatusCode::TOO_MANY_REQUESTS,
        pages::notice(lang, heading, pages::texts(lang).locked),
        None,
    );
    response.headers_mut().insert(
        header::RETRY_AFTER,
        header::HeaderValue::from(retry_after.max(1) as u64),
    );
    response
}

/// How long the busy page waits before it tries again.
pub const BUSY_RETRY_SECONDS: u64 = 3;

/// 503 with `Retry-After`: the sign-in queue is full; the page goes back to `retry` by itself.
pub fn busy_page(lang: Lang, retry: &str) -> HttpResponse {
    let mut response = html(
        actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
        pages::busy(lang, retry, BUSY_RETRY_SECONDS),
        None,
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(BUSY_RETRY_SECONDS));
    response
}
