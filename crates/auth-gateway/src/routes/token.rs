//! `POST /token`: the authorization code and refresh token grants (RFC 6749 §4.1.3, §6; RFC
//! 7636 §4.6). Codes are single-use: a replayed code revokes the refresh tokens issued from
//! it. Refresh tokens rotate at every use: presenting a spent one revokes its whole family.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use sha2::{Digest, Sha256};
use store::auth::{
    accounts, codes,
    refresh_tokens::{self, NewRefreshToken},
};
use uuid::Uuid;

use crate::{
    clients::Client,
    routes::oauth::{OAuthError, authenticate, form, invalid_grant, unavailable},
    state::GatewayState,
    tokens::IdentityClaims,
};

pub async fn token(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    match grant(&req, &body, &state).await {
        Ok(response) => response,
        Err(error) => error.response(),
    }
}

async fn grant(req: &HttpRequest, body: &[u8], state: &GatewayState) -> Result<HttpResponse, OAuthError> {
    let form = form(req, body)?;
    let client = authenticate(req, &form, state)?;
    let mut pooled = state.pool.get().await.map_err(|_| unavailable())?;
    let conn: &mut AsyncPgConnection = &mut pooled;
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => code_grant(conn, &form, client, state).await,
        Some("refresh_token") => refresh_grant(conn, &form, client, state).await,
        Some(_) => Err(OAuthError::new(
            "unsupported_grant_type",
            "only authorization_code and refresh_token",
        )),
        None => Err(OAuthError::new("invalid_request", "grant_type is required")),
    }
}

async fn code_grant(
    conn: &mut AsyncPgConnection,
    form: &std::collections::HashMap<String, String>,
    client: &Client,
    state: &GatewayState,
) -> Result<HttpResponse, OAuthError> {
    let code = form
        .get("code")
        .ok_or_else(|| OAuthError::new("invalid_request", "code is required"))?;
    let code_hash = codes::hash(code);
    let stored = codes::find(conn, &code_hash).await.map_err(|_| unavailable())?;
    let stored = stored.ok_or_else(|| invalid_grant("unknown authorization code"))?;
    if stored.client_id != client.id {
        return Err(invalid_grant("the code was issued to another client"));
    }
    // Marking the code used is the single point of truth: of two concurrent redemptions only
    // one updates the row.
    let marked = codes::mark_used(conn, &code_hash).await.map_err(|_| unavailable())?;
    if !marked || stored.used_at.is_some() {
        refresh_tokens::revoke_issued_from_code(conn, &code_hash)
            .await
            .map_err(|_| unavailable())?;
        state.userinfo_cache.invalidate_all();
        tracing::warn!(client_id = %client.id, "Authorization code replayed; its tokens are revoked");
        return Err(invalid_grant("the authorization code was already used"));
    }
    if stored.expires_at <= Utc::now() {
        return Err(invalid_grant("the authorization code expired"));
    }
    if form.get("redirect_uri") != Some(&stored.redirect_uri) {
        return Err(invalid_grant("redirect_uri differs from the authorization request"));
    }
    match (&stored.code_challenge, form.get("code_verifier")) {
        (Some(challenge), Some(verifier)) => {
            let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if !(43..=128).contains(&verifier.len())
                || !bool::from(subtle::ConstantTimeEq::ct_eq(computed.as_bytes(), challenge.as_bytes()))
            {
                return Err(invalid_grant("code_verifier does not match the code challenge"));
            }
        }
        (Some(_), None) => return Err(invalid_grant("code_verifier is required")),
        (None, Some(_)) => {
            return Err(invalid_grant(
                "no code challenge was sent with the authorization request",
            ));
        }
        (None, None) => {}
    }
    let family = Uuid::new_v4();
    issue(
        conn,
        state,
        client,
        stored.subject_id,
        &stored.scope,
        stored.nonce.as_deref(),
        stored.auth_time,
        family,
        Some(code_hash),
        stored.session_id.as_deref().map(store::auth::sessions::sid),
    )
    .await
}

async fn refresh_grant(
    conn: &mut AsyncPgConnection,
    form: &std::collections::HashMap<String, String>,
    client: &Client,
    state: &GatewayState,
) -> Result<HttpResponse, OAuthError> {
    let token = form
        .get("refresh_token")
        .ok_or_else(|| OAuthError::new("invalid_request", "refresh_token is required"))?;
    let hash = refresh_tokens::hash(token);
    let stored = refresh_tokens::find(conn, &hash).await.map_err(|_| unavailable())?;
    let stored = stored.ok_or_else(|| invalid_grant("unknown refresh token"))?;
    if stored.client_id != client.id {
        return Err(invalid_grant("the refresh token was issued to another client"));
    }
    let marked = refresh_tokens::mark_used(conn, &hash)
        .await
        .map_err(|_| unavailable())?;
    if !marked {
        if stored.used_at.is_some() {
            // Reuse of a spent token: whoever holds the family may be an attacker; end it.
            refresh_tokens::revoke_family(conn, stored.family_id)
                .await
                .map_err(|_| unavailable())?;
            state.userinfo_cache.invalidate_all();
            tracing::warn!(client_id = %client.id, family = %stored.family_id, "Refresh token reused; its family is revoked");
        }
        return Err(invalid_grant("the refresh token is no longer valid"));
    }
    if stored.revoked_at.is_some() || stored.expires_at <= Utc::now() {
        return Err(invalid_grant("the refresh token is no longer valid"));
    }
    issue(
        conn,
        state,
        client,
        stored.subject_id,
        &stored.scope,
        None,
        stored.auth_time,
        stored.family_id,
        None,
        None,
    )
    .await
}

/// Issues an access token and a new refresh token, and an ID token for a code grant (OIDC Core
/// §12.2 lets a refresh response omit it, which spares an RS256 signature per refresh), if
/// the account can still sign in.
#[allow(clippy::too_many_arguments)]
async fn issue(
    conn: &mut AsyncPgConnection,
    state: &GatewayState,
    client: &Client,
    subject: Uuid,
    scope: &str,
    nonce: Option<&str>,
    auth_time: DateTime<Utc>,
    family: Uuid,
    code_hash: Option<Vec<u8>>,
    sid: Option<String>,
) -> Result<HttpResponse, OAuthError> {
    let identity = identity(conn, subject).await.map_err(|_| unavailable())?;
    let identity = identity.ok_or_else(|| invalid_grant("the account can no longer sign in"))?;
    let subject_text = subject.to_string();
    let (access_token, _) = state
        .tokens
        .access_token(
            &subject_text,
            &client.id,
            scope,
            auth_time.timestamp(),
            &family.to_string(),
        )
        .map_err(|_| unavailable())?;
    let id_token = match code_hash {
        Some(_) => Some(
            state
                .tokens
                .id_token(
                    &subject_text,
                    &client.id,
                    nonce,
                    auth_time.timestamp(),
                    sid.as_deref(),
                    &identity,
                )
                .map_err(|_| unavailable())?,
        ),
        None => None,
    };
    let refresh = crate::secrets::random_token().ok_or_else(unavailable)?;
    let new = NewRefreshToken {
        family,
        subject,
        client_id: &client.id,
        scope,
        auth_time,
        code_hash: code_hash.as_deref(),
        lifetime: client.refresh_lifetime(),
    };
    refresh_tokens::insert(conn, &refresh, &new)
        .await
        .map_err(|_| unavailable())?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(token_response(
            access_token,
            state.tokens.access_ttl.as_secs(),
            id_token,
            refresh,
            scope,
        )))
}

fn token_response(
    access: String,
    expires_in: u64,
    id_token: Option<String>,
    refresh: String,
    scope: &str,
) -> serde_json::Value {
    let mut body = serde_json::json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "refresh_token": refresh,
        "scope": scope,
    });
    if let Some(id_token) = id_token {
        body["id_token"] = id_token.into();
    }
    body
}

/// The ID-token claims of an account whose contact may sign in; `None` otherwise.
pub async fn identity(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<Option<IdentityClaims>> {
    let identity = accounts::identity(conn, subject).await?;
    Ok(identity.map(|identity| {
        let name = match (&identity.given_name, &identity.family_name) {
            (Some(g), Some(f)) => Some(format!("{g} {f}")),
            (g, f) => g.clone().or(f.clone()),
        };
        IdentityClaims {
            email: Some(identity.login_email),
            email_verified: identity.email_verified,
            given_name: identity.given_name,
            family_name: identity.family_name,
            name,
            locale: identity.language,
            contact_number: Some(identity.contact_number),
        }
    }))
}
