//! `POST /token`: the authorization code and refresh token grants (RFC 6749 §4.1.3, §6; RFC
//! 7636 §4.6). Codes are single-use: a replayed code revokes the refresh tokens issued from
//! it. Refresh tokens rotate at every use: presenting a spent one revokes its whole family
//! (RFC 9700 §4.14.2), except when the client it was issued to presents it again within the
//! client's reuse grace (`refresh_reuse_grace_seconds`) and its successor is still unused:
//! then it gets that same successor again, as a phone does that lost the first response. How
//! the same successor is found again from stored hashes is in `store::auth::refresh_tokens`.
//!
//! The ID token carries `acr` and `amr` (how the session the code was issued in was opened,
//! carried by the code like `auth_time`), and of the claims about the fan those its scopes give
//! it (`email`, `email_verified` with `email`; the names, `locale` and `contact_number` with
//! `profile`: what the S-360 shop reads) plus any the `claims` request parameter asked for in it
//! (OIDC Core §5.5). Access tokens carry the claims that parameter asked userinfo for.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};
use diesel_async::AsyncPgConnection;
use store::auth::{
    accounts,
    codes::{self, RequestedClaims},
    method::AuthMethod,
    refresh_tokens::{self, NewRefreshToken},
};
use uuid::Uuid;

use crate::{
    clients::Client,
    routes::{
        oauth::{OAuthError, authenticate, form, invalid_grant, unavailable},
        userinfo,
    },
    state::GatewayState,
};

/// The claims about the fan that scopes put in the ID token too (OIDC Core §5.4 returns them from
/// userinfo; the S-360 shop reads these from the ID token). The others (`birthdate`,
/// `phone_number`, `address`, `opt_ins`) reach the ID token only through the `claims` parameter.
const ID_TOKEN_SCOPE_CLAIMS: [&str; 7] = [
    "email",
    "email_verified",
    "name",
    "given_name",
    "family_name",
    "locale",
    "contact_number",
];

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
        Some("authorization_code") if client.staff => {
            crate::routes::staff::code_grant(conn, &form, client, state).await
        }
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
        if stored.used_at.is_some() {
            // A used code in another client's hands has leaked: what it issued ends too.
            revoke_issued_from(conn, state, client, &code_hash).await?;
        }
        return Err(invalid_grant("the code was issued to another client"));
    }
    // Marking the code used is the single point of truth: of two concurrent redemptions only
    // one updates the row.
    let marked = codes::mark_used(conn, &code_hash).await.map_err(|_| unavailable())?;
    if !marked || stored.used_at.is_some() {
        // RFC 6749 §4.1.2: deny the request, and revoke what the code issued; however late the
        // replay comes (oidcc-codereuse-30seconds), a used code is never forgotten.
        revoke_issued_from(conn, state, client, &code_hash).await?;
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
            if !crate::routes::authorize_request::verifier_matches(verifier, challenge) {
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
        stored.method,
        family,
        Some(code_hash),
        stored.session_id.as_deref().map(store::auth::sessions::sid),
        &stored.claims.unwrap_or_default(),
    )
    .await
}

/// Revokes the refresh tokens issued from a code, and with them (their family) its access tokens.
async fn revoke_issued_from(
    conn: &mut AsyncPgConnection,
    state: &GatewayState,
    client: &Client,
    code_hash: &[u8],
) -> Result<(), OAuthError> {
    refresh_tokens::revoke_issued_from_code(conn, code_hash)
        .await
        .map_err(|_| unavailable())?;
    state.userinfo_cache.invalidate_all();
    tracing::warn!(client_id = %client.id, "Authorization code replayed; its tokens are revoked");
    Ok(())
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
        if stored.used_at.is_some() {
            // A spent token in another client's hands has leaked: the grace is only for the
            // client it was issued to.
            end_family(conn, state, client, stored.family_id).await?;
        }
        return Err(invalid_grant("the refresh token was issued to another client"));
    }
    if stored.revoked_at.is_some() {
        return Err(no_longer_valid());
    }
    if stored.used_at.is_none() {
        if stored.expires_at <= Utc::now() {
            return Err(no_longer_valid());
        }
        can_sign_in(conn, stored.subject_id).await?;
        let successor = crate::secrets::random_token().ok_or_else(unavailable)?;
        let sealed = (client.refresh_reuse_grace() > Duration::zero()).then(|| refresh_tokens::seal(token, &successor));
        let rotated = refresh_tokens::rotate(conn, &hash, &successor, sealed.as_deref(), client.refresh_lifetime())
            .await
            .map_err(|_| unavailable())?;
        if rotated {
            erase_stale_seals(conn).await;
            return refreshed(conn, state, client, &stored, successor).await;
        }
        // Another presentation of this token spent it first (or its family was revoked
        // meanwhile): from here on it is a spent token like any other.
    }
    match same_successor(conn, token, &hash, &stored, client).await? {
        Some(successor) => {
            can_sign_in(conn, stored.subject_id).await?;
            tracing::info!(client_id = %client.id, family = %stored.family_id, "Spent refresh token presented again within the reuse grace; same successor returned");
            refreshed(conn, state, client, &stored, successor).await
        }
        None => {
            // Reuse of a spent token: whoever holds the family may be an attacker; end it
            // (RFC 9700 §4.14.2).
            end_family(conn, state, client, stored.family_id).await?;
            Err(no_longer_valid())
        }
    }
}

/// The successor already issued for the spent token `token`, when this client presents it
/// within its reuse grace and that successor is still unused: a retry after a lost response
/// gets what the first attempt was given. A successor already spent shows that the client did
/// receive it, so a presentation of its predecessor is reuse, not a retry.
async fn same_successor(
    conn: &mut AsyncPgConnection,
    token: &str,
    hash: &[u8],
    stored: &refresh_tokens::StoredRefresh,
    client: &Client,
) -> Result<Option<String>, OAuthError> {
    let grace = client.refresh_reuse_grace();
    if grace <= Duration::zero() {
        return Ok(None);
    }
    let sealed = refresh_tokens::sealed_successor(conn, hash, grace)
        .await
        .map_err(|_| unavailable())?;
    let Some(successor) = sealed.and_then(|sealed| refresh_tokens::unseal(token, &sealed)) else {
        return Ok(None);
    };
    let row = refresh_tokens::find(conn, &refresh_tokens::hash(&successor))
        .await
        .map_err(|_| unavailable())?;
    let live = row.is_some_and(|row| {
        row.family_id == stored.family_id
            && row.client_id == client.id
            && row.used_at.is_none()
            && row.revoked_at.is_none()
            && row.expires_at > Utc::now()
    });
    Ok(live.then_some(successor))
}

/// The answer to a refresh: a fresh access token beside `refresh`, asking userinfo for what the
/// grant's first one did, and no ID token (OIDC Core §12.2 lets a refresh response omit it,
/// which spares an RS256 signature per refresh).
async fn refreshed(
    conn: &mut AsyncPgConnection,
    state: &GatewayState,
    client: &Client,
    stored: &refresh_tokens::StoredRefresh,
    refresh: String,
) -> Result<HttpResponse, OAuthError> {
    let userinfo_claims = refresh_tokens::userinfo_claims(conn, stored.family_id)
        .await
        .map_err(|_| unavailable())?;
    let (access_token, _) = state
        .tokens
        .access_token(
            &stored.subject_id.to_string(),
            &client.id,
            &stored.scope,
            stored.auth_time.timestamp(),
            &stored.family_id.to_string(),
            &userinfo_claims,
        )
        .map_err(|_| unavailable())?;
    Ok(respond(token_response(
        access_token,
        state.tokens.access_ttl.as_secs(),
        None,
        refresh,
        &stored.scope,
    )))
}

async fn can_sign_in(conn: &mut AsyncPgConnection, subject: Uuid) -> Result<(), OAuthError> {
    match accounts::can_sign_in(conn, subject).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(invalid_grant("the account can no longer sign in")),
        Err(_) => Err(unavailable()),
    }
}

/// Revokes a refresh-token family after a reuse, and with it the family's access tokens.
async fn end_family(
    conn: &mut AsyncPgConnection,
    state: &GatewayState,
    client: &Client,
    family: Uuid,
) -> Result<(), OAuthError> {
    refresh_tokens::revoke_family(conn, family)
        .await
        .map_err(|_| unavailable())?;
    state.userinfo_cache.invalidate_all();
    tracing::warn!(client_id = %client.id, %family, "Refresh token reused; its family is revoked");
    Ok(())
}

fn no_longer_valid() -> OAuthError {
    invalid_grant("the refresh token is no longer valid")
}

/// How long a seal is kept: the registry caps `refresh_reuse_grace_seconds` at 60, so no
/// client's grace, on any replica, outlasts this.
const SEAL_RETENTION: Duration = Duration::seconds(60);
/// How often this process erases stale seals, at most (after a rotation, so an idle gateway
/// does nothing).
const ERASE_EVERY_SECONDS: i64 = 10;
/// When this process last erased stale seals, in Unix seconds.
static LAST_ERASED: AtomicI64 = AtomicI64::new(0);

/// Erases the seals no grace can need any more, at most every [`ERASE_EVERY_SECONDS`] per
/// process: a seal read with an old token would yield that token's successor. A failure only
/// leaves them for the next pass.
async fn erase_stale_seals(conn: &mut AsyncPgConnection) {
    let now = Utc::now().timestamp();
    let last = LAST_ERASED.load(Ordering::Relaxed);
    if now - last < ERASE_EVERY_SECONDS
        || LAST_ERASED
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return;
    }
    if let Err(error) = refresh_tokens::erase_stale_seals(conn, SEAL_RETENTION, 1000).await {
        tracing::warn!(%error, "Stale refresh-token seals not erased; the next pass will");
    }
}

/// Issues an access token and a new refresh token, and an ID token for a code grant (OIDC Core
/// §12.2 lets a refresh response omit it, which spares an RS256 signature per refresh), if
/// the account can still sign in. `requested`: what the `claims` request parameter asked for.
#[allow(clippy::too_many_arguments)]
async fn issue(
    conn: &mut AsyncPgConnection,
    state: &GatewayState,
    client: &Client,
    subject: Uuid,
    scope: &str,
    nonce: Option<&str>,
    auth_time: DateTime<Utc>,
    method: AuthMethod,
    family: Uuid,
    code_hash: Option<Vec<u8>>,
    sid: Option<String>,
    requested: &RequestedClaims,
) -> Result<HttpResponse, OAuthError> {
    let subject_text = subject.to_string();
    let all = userinfo::claims_of(conn, subject, &subject_text)
        .await
        .map_err(|_| unavailable())?
        .ok_or_else(|| invalid_grant("the account can no longer sign in"))?;
    let (access_token, _) = state
        .tokens
        .access_token(
            &subject_text,
            &client.id,
            scope,
            auth_time.timestamp(),
            &family.to_string(),
            &requested.userinfo,
        )
        .map_err(|_| unavailable())?;
    let identity = userinfo::pick(&all, |name| {
        (ID_TOKEN_SCOPE_CLAIMS.contains(&name) && userinfo::scope_asks(scope, name))
            || requested.id_token.iter().any(|c| c == name)
    });
    let id_token = match code_hash {
        Some(_) => Some(
            state
                .tokens
                .id_token(
                    &subject_text,
                    &client.id,
                    nonce,
                    auth_time.timestamp(),
                    method.amr(),
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
    Ok(respond(token_response(
        access_token,
        state.tokens.access_ttl.as_secs(),
        id_token,
        refresh,
        scope,
    )))
}

/// A token response: never cached (RFC 6749 §5.1).
fn respond(body: serde_json::Value) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
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
