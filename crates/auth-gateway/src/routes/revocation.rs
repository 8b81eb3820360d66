//! `POST /revoke` (RFC 7009) and `POST /introspect` (RFC 7662). Revoking a refresh token ends
//! its whole grant, including the access tokens issued from it; revoking an access token ends
//! that token. Introspection requires a confidential client and reflects revocation at once.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use store::auth::refresh_tokens;

use crate::{
    clients::ClientKind,
    grants,
    routes::oauth::{OAuthError, authenticate, form},
    state::GatewayState,
};

pub async fn revoke(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let outcome = async {
        let form = form(&req, &body)?;
        let client = authenticate(&req, &form, &state)?;
        let token = form
            .get("token")
            .ok_or_else(|| OAuthError::new("invalid_request", "token is required"))?;
        let mut conn = state
            .pool
            .get()
            .await
            .map_err(|_| OAuthError::new("temporarily_unavailable", "try again"))?;
        let family = refresh_tokens::family_of(&mut conn, &refresh_tokens::hash(token))
            .await
            .unwrap_or(None);
        match family {
            Some((family, owner)) if owner == client.id => {
                let _ = refresh_tokens::revoke_family(&mut conn, family).await;
            }
            Some(_) => {}
            None => {
                if let Ok(claims) = state.tokens.verify_access_token(token)
                    && claims.client_id == client.id
                {
                    let _ = grants::revoke_access_token(&mut conn, &claims).await;
                }
            }
        }
        // This replica forgets at once; the others when the database's notification arrives.
        state.userinfo_cache.invalidate_all();
        Ok::<_, OAuthError>(())
    }
    .await;
    match outcome {
        // RFC 7009 §2.2: 200 also for unknown or foreign tokens.
        Ok(()) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
        Err(error) => error.response(),
    }
}

pub async fn introspect(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let outcome = async {
        let form = form(&req, &body)?;
        let client = authenticate(&req, &form, &state)?;
        if client.kind != ClientKind::Confidential {
            return Err(OAuthError::new("invalid_client", "introspection requires a confidential client"));
        }
        let token = form.get("token").ok_or_else(|| OAuthError::new("invalid_request", "token is required"))?;
        let mut conn = state.pool.get().await.map_err(|_| OAuthError::new("temporarily_unavailable", "try again"))?;
        let inactive = serde_json::json!({ "active": false });
        if let Ok(claims) = state.tokens.verify_access_token(token) {
            if !grants::is_active(&mut conn, &claims).await.unwrap_or(false) {
                return Ok(inactive);
            }
            return Ok(serde_json::json!({
                "active": true, "token_type": "Bearer", "scope": claims.scope, "client_id": claims.client_id,
                "sub": claims.sub, "exp": claims.exp, "iat": claims.iat, "iss": claims.iss, "aud": claims.aud, "jti": claims.jti,
            }));
        }
        let refresh = refresh_tokens::find_live(&mut conn, &refresh_tokens::hash(token))
            .await
            .unwrap_or(None);
        Ok(match refresh {
            Some(live) => serde_json::json!({
                "active": true, "token_type": "refresh_token", "client_id": live.client_id, "scope": live.scope,
                "exp": live.expires_at.timestamp(), "sub": live.subject_id.to_string(),
            }),
            None => inactive,
        })
    }
    .await;
    match outcome {
        Ok(body) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(body),
        Err(error) => error.response(),
    }
}
