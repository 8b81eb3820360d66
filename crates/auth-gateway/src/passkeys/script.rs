//! `GET /passkeys.js`: the pages' only script (`passkeys.js` beside this file), served by the
//! gateway itself so the pages' content security policy allows scripts from `'self'` only and
//! nothing inline. Revalidated by its `ETag` at each use, so a new release takes effect at once.

use actix_web::{HttpRequest, HttpResponse, http::header};
use sha2::{Digest, Sha256};

pub use crate::pages::passkey::SCRIPT as PATH;

const SOURCE: &str = include_str!("passkeys.js");

pub async fn serve(req: HttpRequest) -> HttpResponse {
    let digest = Sha256::digest(SOURCE.as_bytes());
    let etag = format!(
        "\"{}\"",
        digest[..8].iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
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
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::ETAG, etag))
        .insert_header(("X-Content-Type-Options", "nosniff"));
    if fresh {
        return response.finish();
    }
    response.content_type("text/javascript; charset=utf-8").body(SOURCE)
}
