//! The HTML answers shared by the gateway's pages: a page that is never cached, framed or
//! sent as a referrer, the 429 page with `Retry-After`, and a posted form read with its CSRF
//! token checked.

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

/// The posted form's fields once its CSRF token is checked (`crate::csrf`), or the page to
/// answer instead: 400 for a malformed body, 403 for a missing or wrong token.
pub fn checked_form(
    req: &actix_web::HttpRequest,
    body: &[u8],
    lang: Lang,
) -> Result<std::collections::HashMap<String, String>, Box<HttpResponse>> {
    let fields = std::str::from_utf8(body)
        .map_err(drop)
        .and_then(|t| super::params::parse(t).map_err(drop))
        .map_err(|()| {
            html(
                actix_web::http::StatusCode::BAD_REQUEST,
                pages::error(lang, "The form is malformed."),
                None,
            )
        })?;
    if !crate::csrf::check(req, fields.get("csrf").map(String::as_str).unwrap_or_default()) {
        return Err(Box::new(html(
            actix_web::http::StatusCode::FORBIDDEN,
            pages::error(lang, "The form expired; please try again."),
            None,
        )));
    }
    Ok(fields)
}
