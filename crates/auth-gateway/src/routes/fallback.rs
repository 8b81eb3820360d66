//! Answers the gateway gives when no handler runs: an unknown path (404), a known path with a
//! method it does not serve (405 with `Allow`, RFC 9110 §15.5.6), and the errors actix-web
//! raises by itself while reading a body (413 too large, 400 cut short), which it would
//! otherwise answer in plain text. All of them get a JSON body naming the problem; the OAuth
//! endpoints use RFC 6749's `error`/`error_description` shape, the rest the house shape
//! `error`/`message`.

use actix_web::{
    HttpResponse, Resource,
    body::MessageBody,
    dev::ServiceResponse,
    http::{StatusCode, header},
    middleware::{ErrorHandlerResponse, ErrorHandlers},
    web,
};
use serde_json::json;

/// Endpoints whose clients expect RFC 6749 error bodies.
const OAUTH_PATHS: [&str; 4] = ["/token", "/revoke", "/introspect", "/userinfo"];

/// A resource answering 405 with the methods it allows, for every method it has no route for.
pub fn resource(path: &'static str, allow: &'static str) -> Resource {
    web::resource(path).default_service(web::to(move || async move {
        let message = format!("this endpoint accepts {allow}");
        let mut response = error_body(StatusCode::METHOD_NOT_ALLOWED, path, "method_not_allowed", &message);
        response
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static(allow));
        response
    }))
}

/// 404 for paths the gateway does not serve.
pub async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(json!({ "error": "not_found", "message": "no such endpoint" }))
}

/// Rewrites actix-web's own plain-text body errors as JSON.
pub fn body_errors<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new()
        .handler(StatusCode::PAYLOAD_TOO_LARGE, rewrite_plain_text)
        .handler(StatusCode::BAD_REQUEST, rewrite_plain_text)
}

fn rewrite_plain_text<B: MessageBody + 'static>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/plain"));
    if !plain {
        return Ok(ErrorHandlerResponse::Response(response.map_into_left_body()));
    }
    let status = response.status();
    let (request, _) = response.into_parts();
    let (code, message) = if status == StatusCode::PAYLOAD_TOO_LARGE {
        (
            "payload_too_large",
            "the request body is larger than this endpoint accepts",
        )
    } else {
        (
            "invalid_request",
            "the request body could not be read: it was cut short or malformed",
        )
    };
    let body = error_body(status, request.path(), code, message);
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, body).map_into_right_body(),
    ))
}

fn error_body(status: StatusCode, path: &str, code: &str, message: &str) -> HttpResponse {
    let body = if OAUTH_PATHS.contains(&path) {
        json!({ "error": "invalid_request", "error_description": message })
    } else {
        json!({ "error": code, "message": message })
    };
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}
