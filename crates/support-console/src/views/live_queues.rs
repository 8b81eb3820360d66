//! Live queue depths: `GET /sync/queues.json` answers the sync page's queue table as JSON (any
//! signed-in staff member; names and counts only), and `/console.js`, the console's only script
//! (`script-src 'self'`), asks for it every [`REFRESH_SECONDS`] and writes the counts into the
//! table the page was served with. Without JavaScript the page is the same table, current when
//! loaded: reload it.

use actix_web::{HttpRequest, HttpResponse, http::header, web};

use super::signed_in;
use crate::state::ConsoleState;

/// How often the script asks (the page's text says so).
pub const REFRESH_SECONDS: u32 = 5;

/// The script (`/console.js`).
const SCRIPT: &str = include_str!("live_queues.js");

/// `GET /sync/queues.json`: `{"queues":[{"name", "messages", "consumers"} or {"name",
/// "absent": true}]}`; 503 with `Retry-After` when the broker cannot be reached.
pub async fn depths(req: HttpRequest, state: web::Data<ConsoleState>) -> HttpResponse {
    if let Err(response) = signed_in(&req, &state).await {
        return response;
    }
    match crate::queues::depths(&state.amqp_url, &state.topology).await {
        Ok(queues) => {
            let queues: Vec<serde_json::Value> = queues
                .iter()
                .map(|q| match q.depth {
                    Some((messages, consumers)) => {
                        serde_json::json!({ "name": q.name, "messages": messages, "consumers": consumers })
                    }
                    None => serde_json::json!({ "name": q.name, "absent": true }),
                })
                .collect();
            HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(serde_json::json!({ "queues": queues }))
        }
        Err(reason) => {
            tracing::warn!(%reason, "Queue depths unavailable");
            HttpResponse::ServiceUnavailable()
                .insert_header((header::RETRY_AFTER, REFRESH_SECONDS.to_string()))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(serde_json::json!({ "error": "broker_unavailable", "message": "RabbitMQ cannot be reached" }))
        }
    }
}

/// `GET /console.js`.
pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .content_type("text/javascript; charset=utf-8")
        .body(SCRIPT)
}
