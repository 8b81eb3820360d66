//! The token endpoint's authorization code grant for staff clients: the code is spent once,
//! checked against the client, its redirect URI and PKCE verifier, and answered with an ID
//! token naming the staff account (`sub` is its staff id, never a fan's subject) with its
//! `staff_role`, `email` and `name`, and `amr` `["pwd", "otp"]`. No refresh token: the
//! console's sessions are short, and it signs in again rather than refreshes.

use actix_web::{HttpResponse, http::header};
use diesel_async::AsyncPgConnection;
use std::collections::HashMap;
use store::auth::staff;

use crate::{
    clients::Client,
    routes::{
        authorize_request::verifier_matches,
        oauth::{OAuthError, invalid_grant, unavailable},
    },
    state::GatewayState,
};

/// What a staff sign-in proved: the password and a TOTP code (RFC 8176).
pub const STAFF_AMR: [&str; 2] = ["pwd", "otp"];

pub async fn code_grant(
    conn: &mut AsyncPgConnection,
    form: &HashMap<String, String>,
    client: &Client,
    state: &GatewayState,
) -> Result<HttpResponse, OAuthError> {
    let code = form
        .get("code")
        .ok_or_else(|| OAuthError::new("invalid_request", "code is required"))?;
    let redeemed = staff::redeem_code(conn, code)
        .await
        .map_err(|_| unavailable())?
        .ok_or_else(|| invalid_grant("unknown, expired or already used authorization code"))?;
    if redeemed.client_id != client.id {
        return Err(invalid_grant("the code was issued to another client"));
    }
    if form.get("redirect_uri") != Some(&redeemed.redirect_uri) {
        return Err(invalid_grant("redirect_uri differs from the authorization request"));
    }
    let verifier = form
        .get("code_verifier")
        .ok_or_else(|| invalid_grant("code_verifier is required"))?;
    if !verifier_matches(verifier, &redeemed.code_challenge) {
        return Err(invalid_grant("code_verifier does not match the code challenge"));
    }
    let subject = redeemed.staff_id.to_string();
    let auth_time = redeemed.auth_time.timestamp();
    let mut identity = serde_json::Map::new();
    identity.insert("email".into(), redeemed.email.into());
    identity.insert("name".into(), redeemed.name.into());
    identity.insert("staff_role".into(), redeemed.role.into());
    let id_token = state
        .tokens
        .id_token(
            &subject,
            &client.id,
            redeemed.nonce.as_deref(),
            auth_time,
            &STAFF_AMR,
            None,
            &identity,
        )
        .map_err(|_| unavailable())?;
    // RFC 6749 §5.1 wants an access token; it names no refresh-token family, so no fan API
    // answers it with anything.
    let grant = uuid::Uuid::new_v4().to_string();
    let (access_token, _) = state
        .tokens
        .access_token(&subject, &client.id, "openid", auth_time, &grant, &[])
        .map_err(|_| unavailable())?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(serde_json::json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": state.tokens.access_ttl.as_secs(),
            "id_token": id_token,
            "scope": "openid",
        })))
}
