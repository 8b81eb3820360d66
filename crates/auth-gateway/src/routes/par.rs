//! `POST /par`: pushed authorization requests (RFC 9126). An authenticated client posts the
//! parameters of an authorization request, which are checked exactly as `/authorize` checks
//! them and stored; the answer is a one-time `request_uri` the client sends the browser to
//! `/authorize` with, so the parameters never travel in the URL. A client registered with
//! `require_pushed_authorization_requests` can only start an authorization this way.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use store::auth::pushed_requests;

use crate::{
    routes::{
        authorize_request::{AuthorizeRequest, Refusal},
        oauth::{OAuthError, authenticate, form, unavailable},
    },
    state::GatewayState,
};

/// RFC 9126 §2.2: the URN namespace of request URIs.
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
/// How long a pushed request may wait for the browser (RFC 9126 suggests 5 to 600 seconds).
pub const LIFETIME_SECONDS: i64 = 90;

pub async fn push(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    match pushed(&req, &body, &state).await {
        Ok(response) => response,
        Err(error) => error.response(),
    }
}

async fn pushed(req: &HttpRequest, body: &[u8], state: &GatewayState) -> Result<HttpResponse, OAuthError> {
    let mut params = form(req, body)?;
    let client = authenticate(req, &params, state)?;
    // The client's credentials are not part of the authorization request.
    params.remove("client_secret");
    params.insert("client_id".into(), client.id.clone());
    match AuthorizeRequest::check(&params, &state.clients) {
        Ok(_) => {}
        Err(Refusal::Page(detail)) => return Err(OAuthError::new("invalid_request", detail)),
        Err(Refusal::Redirect { error, description, .. }) => return Err(OAuthError::new(error, description)),
    }
    let secret = crate::secrets::random_token().ok_or_else(unavailable)?;
    let request_uri = format!("{REQUEST_URI_PREFIX}{secret}");
    let mut conn = state.pool.get().await.map_err(|_| unavailable())?;
    let lifetime = chrono::Duration::seconds(LIFETIME_SECONDS);
    pushed_requests::insert(&mut conn, &request_uri, &client.id, &params, lifetime)
        .await
        .map_err(|_| unavailable())?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "request_uri": request_uri, "expires_in": LIFETIME_SECONDS })))
}
