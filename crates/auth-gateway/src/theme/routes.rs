//! `/theme/style.css` and `/theme/logo`: stable paths, cached for a day (pages link them with
//! `?v=<version>`, so a new theme is fetched at once), with an `ETag` for revalidation.

use actix_web::{HttpRequest, HttpResponse, http::header};

/// How long browsers and proxies may keep the theme's files.
const MAX_AGE: &str = "public, max-age=86400";

pub async fn style(req: HttpRequest) -> HttpResponse {
    let theme = super::current();
    answer(&req, "text/css; charset=utf-8", theme.css.clone().into_bytes())
}

pub async fn logo(req: HttpRequest) -> HttpResponse {
    let theme = super::current();
    answer(&req, theme.logo.1, theme.logo.0.clone())
}

fn answer(req: &HttpRequest, content_type: &str, body: Vec<u8>) -> HttpResponse {
    let etag = format!("\"{}\"", super::current().version);
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, MAX_AGE))
        .insert_header((header::ETAG, etag))
        .insert_header(("X-Content-Type-Options", "nosniff"));
    if fresh {
        return response.finish();
    }
    // An SVG logo is an image only: no script in it runs, even if opened directly.
    response
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'",
        ))
        .content_type(content_type)
        .body(body)
}
