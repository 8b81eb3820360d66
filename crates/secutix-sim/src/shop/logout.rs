//! The shop's side of the provider's logouts, as a relying party of OIDC Back-Channel Logout 1.0
//! and Front-Channel Logout 1.0:
//!
//! | Route | Does |
//! |---|---|
//! | `POST /shop/backchannel-logout` | a `logout_token` (form) from the provider: verified (§2.6), then every shop session of its `sid` (else of its `sub`) ends; 200, or 400 `{"error": "invalid_request", "message"}` |
//! | `GET /shop/frontchannel-logout?iss=&sid=` | loaded in an iframe of the provider's signed-out page: the sessions of that `sid` end |
//!
//! Register `<SIM_PUBLIC_URL>/shop/backchannel-logout` and `/shop/frontchannel-logout` at the
//! provider as the shop's `backchannel_logout_uri` and `frontchannel_logout_uri`.

use std::{collections::HashMap, time::Instant};

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    Shop, configured, lock,
    oidc::{OidcError, audience_contains, unix_now},
    pages,
};
use crate::{error::ApiError, state::SimState, stats};

/// The event a logout token carries (Back-Channel Logout §2.4).
const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// The `typ` header the provider sets on logout tokens (§2.4).
const LOGOUT_TOKEN_TYPE: &str = "logout+jwt";
/// How far in the past a token's `iat` may be: the provider retries deliveries for longer, but
/// each retry signs a fresh token.
const MAX_TOKEN_AGE_SECONDS: i64 = 300;
/// Token ids remembered against replay, for at least the accepted age of a token.
const MAX_REMEMBERED: usize = 100_000;

/// Whose sessions a verified logout token ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutOf {
    pub sub: Option<String>,
    pub sid: Option<String>,
    pub jti: Option<String>,
}

/// Back-Channel Logout §2.6, after the signature: the issuer, the audience, a recent `iat`, an
/// unexpired `exp` when present, the event, a `sub` or `sid`, and no `nonce`.
pub fn check_logout_claims(claims: &Value, issuer: &str, client_id: &str, now: i64) -> Result<LogoutOf, OidcError> {
    if claims["iss"].as_str() != Some(issuer) {
        return Err(OidcError::Claim("iss"));
    }
    if !audience_contains(claims, client_id) {
        return Err(OidcError::Claim("aud"));
    }
    match claims["iat"].as_i64() {
        Some(iat) if iat <= now + 60 && now - iat <= MAX_TOKEN_AGE_SECONDS => {}
        _ => return Err(OidcError::Claim("iat")),
    }
    if let Some(exp) = claims.get("exp") {
        match exp.as_i64() {
            Some(exp) if exp > now => {}
            Some(_) => return Err(OidcError::Expired),
            None => return Err(OidcError::Claim("exp")),
        }
    }
    if !claims["events"][BACKCHANNEL_EVENT].is_object() {
        return Err(OidcError::Claim("events"));
    }
    if claims.get("nonce").is_some() {
        return Err(OidcError::Claim("nonce"));
    }
    let text = |key: &str| claims[key].as_str().filter(|v| !v.is_empty()).map(str::to_owned);
    let (sub, sid) = (text("sub"), text("sid"));
    if sub.is_none() && sid.is_none() {
        return Err(OidcError::Claim("sub"));
    }
    Ok(LogoutOf {
        sub,
        sid,
        jti: text("jti"),
    })
}

/// Ends the sessions a logout names: those of its `sid` (and `sub`, when both are given), or
/// every session of its `sub`. Returns how many ended.
fn end_sessions(shop: &Shop, of: &LogoutOf) -> usize {
    let mut sessions = lock(&shop.sessions);
    let before = sessions.len();
    sessions.retain(|_, s| {
        let sid_matches = of.sid.as_ref().is_none_or(|sid| s.sid.as_ref() == Some(sid));
        let sub_matches = of.sub.as_ref().is_none_or(|sub| &s.sub == sub);
        !(sid_matches && sub_matches)
    });
    before - sessions.len()
}

/// Remembers a token id; false if it was seen before (a replay).
fn first_use(shop: &Shop, jti: &str) -> bool {
    let mut seen = lock(&shop.logout_tokens_seen);
    if seen.contains_key(jti) {
        return false;
    }
    if seen.len() >= MAX_REMEMBERED {
        let horizon = std::time::Duration::from_secs(MAX_TOKEN_AGE_SECONDS as u64 * 2);
        seen.retain(|_, at: &mut Instant| at.elapsed() < horizon);
    }
    seen.insert(jti.to_owned(), Instant::now());
    true
}

/// The remembered token ids, built empty.
pub fn seen_tokens() -> std::sync::Mutex<HashMap<String, Instant>> {
    std::sync::Mutex::new(HashMap::new())
}

#[derive(Deserialize)]
pub struct BackchannelForm {
    logout_token: Option<String>,
}

fn refused(message: String) -> HttpResponse {
    HttpResponse::BadRequest()
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({ "error": "invalid_request", "message": message }))
}

pub async fn backchannel(
    state: web::Data<SimState>,
    shop: web::Data<Option<Shop>>,
    form: web::Form<BackchannelForm>,
) -> Result<HttpResponse, ApiError> {
    let shop = configured(&shop)?;
    let Some(token) = form.logout_token.as_deref().filter(|t| !t.is_empty()) else {
        stats::bump(&state.stats.shop_logouts_refused);
        return Ok(refused("the form must carry a logout_token".into()));
    };
    let provider = match shop.rp.provider().await {
        Ok(provider) => provider,
        Err(error) => return Ok(pages::unavailable(&error.to_string())),
    };
    let verified = match shop.rp.verified_claims(&provider, token, Some(LOGOUT_TOKEN_TYPE)).await {
        Ok(claims) => check_logout_claims(&claims, &provider.issuer, &shop.rp.client_id, unix_now()),
        Err(error) => Err(error),
    };
    let of = match verified {
        Ok(of) => of,
        Err(error) => {
            stats::bump(&state.stats.shop_logouts_refused);
            tracing::info!(%error, "Shop refused a back-channel logout token");
            return Ok(refused(format!("logout_token refused: {error}")));
        }
    };
    if let Some(jti) = &of.jti
        && !first_use(shop, jti)
    {
        stats::bump(&state.stats.shop_logouts_refused);
        return Ok(refused("logout_token refused: its jti was already used".into()));
    }
    let ended = end_sessions(shop, &of);
    stats::bump(&state.stats.shop_backchannel_logouts);
    tracing::info!(ended, "Shop back-channel logout");
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).finish())
}

#[derive(Deserialize)]
pub struct FrontchannelQuery {
    iss: Option<String>,
    sid: Option<String>,
}

pub async fn frontchannel(
    state: web::Data<SimState>,
    shop: web::Data<Option<Shop>>,
    query: web::Query<FrontchannelQuery>,
) -> Result<HttpResponse, ApiError> {
    let shop = configured(&shop)?;
    let issuer = shop.rp.provider().await.ok().map(|p| p.issuer);
    let (Some(iss), Some(sid)) = (query.iss.as_deref(), query.sid.as_deref()) else {
        return Ok(pages::failed(
            actix_web::http::StatusCode::BAD_REQUEST,
            "a front-channel logout names the issuer and the session (iss and sid)",
        ));
    };
    if issuer.as_deref() != Some(iss) {
        return Ok(pages::failed(
            actix_web::http::StatusCode::BAD_REQUEST,
            "this front-channel logout names another issuer",
        ));
    }
    let of = LogoutOf {
        sub: None,
        sid: Some(sid.to_owned()),
        jti: None,
    };
    let ended = end_sessions(shop, &of);
    stats::bump(&state.stats.shop_frontchannel_logouts);
    tracing::info!(ended, "Shop front-channel logout");
    Ok(pages::page(
        actix_web::http::StatusCode::OK,
        "signed-out",
        "Signed out",
        "<p>You are signed out of the ticket shop.</p>",
    ))
}

#[cfg(test)]
#[path = "logout_tests.rs"]
mod tests;
