//! Passkeys (WebAuthn, with the `webauthn-rs` library): a fan enrols passkeys from the profile
//! page (several, each named, each removable) and signs in with one from the sign-in page,
//! without typing an address: the "Sign in with a passkey" button, or the browser's autofill
//! on the e-mail field (conditional mediation). Pages work without JavaScript through the
//! password path; with it, `passkeys.js` (served by [`script`]) runs the ceremonies against the
//! JSON endpoints here.
//!
//! - **Relying party** from configuration ([`settings`]); passkeys are off when none can be
//!   derived (an issuer on an IP address), and the pages then offer none.
//! - **Challenges** travel sealed in the browser's `__Host-passkey-challenge` cookie
//!   ([`ceremony`]: AES-256-GCM under the key manifest's sealing key, which every replica
//!   holds), so the browser that started a ceremony is the one that can answer it; an
//!   enrolment is also bound to its session. Single-use (spent at the first answer, right or
//!   wrong: `store::auth::passkey_ceremonies`) and good for 5 minutes.
//! - **User verification** is required at enrolment and sign-in (webauthn-rs's passkey
//!   ceremonies); so the ID token's `amr` is `["hwk","user"]` for a device-bound passkey, or
//!   `["swk","user"]` for a synced (backup-eligible) one (`store::auth::method`).
//! - **Counters and backup flags** are stored with each passkey; at each sign-in the
//!   assertion's counter must be above the stored one (or both 0): a counter going backwards
//!   is a cloned authenticator, refused. The counter and backup state are written back in the
//!   statement that opens the session, only if the counter did not move meanwhile
//!   (`store::auth::passkey_sign_in`).
//! - **Recovery**: a fan who lost every passkey signs in with the password, the forgotten
//!   password mail or an e-mail code, and removes the lost ones from the profile.
//!
//! The JSON endpoints answer problems as `{"error","message"}` (400 malformed, 401 refused,
//! 403 no session or CSRF, 404 passkeys off, 503 with `Retry-After` when the database is
//! unreachable).

mod ceremony;
mod enrol;
pub mod page;
pub mod script;
pub mod settings;
mod sign_in;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, http::header};
use store::auth::sessions::{self, Session};

pub use enrol::{enrol_finish, enrol_options, manage, remove};
pub use sign_in::{sign_in_finish, sign_in_options};

use crate::{session_cookie, state::GatewayState};

/// A JSON problem (`{"error","message"}`), never cached.
fn problem(status: StatusCode, error: &str, message: &str) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.insert_header((header::RETRY_AFTER, infra::http::RETRY_AFTER_SECONDS.to_string()));
    }
    response.json(serde_json::json!({ "error": error, "message": message }))
}

fn unavailable() -> HttpResponse {
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "The service is temporarily unavailable.",
    )
}

/// The relying party, or the 404 answer when passkeys are off.
fn relying_party(state: &GatewayState) -> Result<&webauthn_rs::Webauthn, Box<HttpResponse>> {
    state.passkeys.as_ref().ok_or_else(|| {
        Box::new(problem(
            StatusCode::NOT_FOUND,
            "passkeys_off",
            "Passkeys are not enabled.",
        ))
    })
}

/// The request's JSON body, or the 400 answer.
fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Box<HttpResponse>> {
    serde_json::from_slice(body).map_err(|_| {
        Box::new(problem(
            StatusCode::BAD_REQUEST,
            "malformed",
            "The request is malformed.",
        ))
    })
}

/// The request's live session; `Ok(None)` without one.
async fn session_of(
    req: &HttpRequest,
    conn: &mut diesel_async::AsyncPgConnection,
) -> diesel::QueryResult<Option<Session>> {
    match req.cookie(session_cookie::NAME) {
        Some(cookie) => sessions::find(conn, cookie.value()).await,
        None => Ok(None),
    }
}
