//! `GET /authorize`: the authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636, OIDC Core
//! §3.1.2). Errors about the client or the redirect URI are shown on a page, never redirected
//! (an unregistered URI receives nothing); every other error is redirected to the client with
//! `error`, `state` and `iss` (RFC 9207).

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use sha2::{Digest, Sha256};
use sync_worker::db::schema::authorization_codes;

use crate::{
    clients::ClientKind,
    pages::{self, Lang},
    routes::{login, params},
    sessions,
    state::GatewayState,
};

/// How long an authorization code stays valid (the checklist recommends 60 s at most).
pub const CODE_LIFETIME_SECONDS: i64 = 60;

pub async fn authorize(req: HttpRequest, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let params = match params::parse(req.query_string()) {
        Ok(params) => params,
        Err(name) => return error_page(lang, &format!("The parameter {name} is repeated.")),
    };
    let lang = params.get("ui_locales").map(|l| Lang::negotiate(l)).unwrap_or(lang);
    let Some(client) = params.get("client_id").and_then(|id| state.clients.get(id)) else {
        return error_page(lang, "Unknown client.");
    };
    let Some(redirect_uri) = params.get("redirect_uri").filter(|uri| client.allows_redirect(uri)) else {
        return error_page(lang, "The redirect URI is not registered for this client.");
    };
    let reply = Reply {
        redirect_uri,
        state: params.get("state").map(String::as_str),
        issuer: &state.tokens.issuer,
    };

    if params.get("response_type").map(String::as_str) != Some("code") {
        return reply.error("unsupported_response_type", "only response_type=code is supported");
    }
    let scope = params.get("scope").map(String::as_str).unwrap_or_default();
    if !scope.split(' ').any(|s| s == "openid") {
        return reply.error("invalid_scope", "the openid scope is required");
    }
    let challenge = params.get("code_challenge");
    match (params.get("code_challenge_method").map(String::as_str), challenge) {
        (Some("S256"), Some(c)) if valid_challenge(c) => {}
        (None, None) if client.kind == ClientKind::Confidential => {}
        (None, None) => return reply.error("invalid_request", "PKCE with S256 is required for public clients"),
        (Some("S256") | None, _) => {
            return reply.error(
                "invalid_request",
                "code_challenge must be 43 to 128 base64url characters with S256",
            );
        }
        (Some(_), _) => return reply.error("invalid_request", "only the S256 code challenge method is supported"),
    }
    let prompt = params.get("prompt").map(String::as_str).unwrap_or_default();
    if prompt
        .split(' ')
        .any(|p| !matches!(p, "" | "none" | "login" | "consent"))
        || (prompt.contains("none") && prompt != "none")
    {
        return reply.error("invalid_request", "unsupported prompt value");
    }

    let mut conn = match state.pool.get().await {
        Ok(conn) => conn,
        Err(_) => return login::unavailable(lang),
    };
    let session = match req.cookie(sessions::COOKIE) {
        Some(cookie) => sessions::find(&mut conn, cookie.value()).await.unwrap_or(None),
        None => None,
    };
    // prompt=login asks for a fresh sign-in: only a session opened in the last minute counts.
    let session = session.filter(|s| prompt != "login" || Utc::now() - s.auth_time < chrono::Duration::seconds(60));
    let Some(session) = session else {
        if prompt == "none" {
            return reply.error("login_required", "the user is not signed in");
        }
        let return_to = format!("/authorize?{}", req.query_string());
        let hint = params.get("login_hint").map(String::as_str).unwrap_or_default();
        return login::form(lang, &return_to, hint, None);
    };

    let Some(code) = crate::secrets::random_token() else {
        return login::unavailable(lang);
    };
    let now = Utc::now();
    let inserted = diesel::insert_into(authorization_codes::table)
        .values((
            authorization_codes::code_hash.eq(Sha256::digest(code.as_bytes()).to_vec()),
            authorization_codes::client_id.eq(&client.id),
            authorization_codes::subject_id.eq(session.subject),
            authorization_codes::session_id.eq(&session.id),
            authorization_codes::redirect_uri.eq(redirect_uri),
            authorization_codes::scope.eq(scope),
            authorization_codes::nonce.eq(params.get("nonce")),
            authorization_codes::code_challenge.eq(challenge),
            authorization_codes::auth_time.eq(session.auth_time),
            authorization_codes::expires_at.eq(now + chrono::Duration::seconds(CODE_LIFETIME_SECONDS)),
        ))
        .execute(&mut conn)
        .await;
    if inserted.is_err() {
        return login::unavailable(lang);
    }
    reply.success(&code)
}

/// Where and how to answer the client.
struct Reply<'a> {
    redirect_uri: &'a str,
    state: Option<&'a str>,
    issuer: &'a str,
}

impl Reply<'_> {
    fn redirect(&self, pairs: &[(&str, &str)]) -> HttpResponse {
        let mut url = match url::Url::parse(self.redirect_uri) {
            Ok(url) => url,
            Err(_) => return HttpResponse::BadRequest().finish(),
        };
        {
            let mut query = url.query_pairs_mut();
            for (key, value) in pairs {
                query.append_pair(key, value);
            }
            if let Some(state) = self.state {
                query.append_pair("state", state);
            }
            query.append_pair("iss", self.issuer);
        }
        HttpResponse::Found()
            .insert_header((header::LOCATION, url.to_string()))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish()
    }

    fn error(&self, error: &str, description: &str) -> HttpResponse {
        self.redirect(&[("error", error), ("error_description", description)])
    }

    fn success(&self, code: &str) -> HttpResponse {
        self.redirect(&[("code", code)])
    }
}

/// RFC 7636 §4.2: 43 to 128 characters of the unreserved set (an S256 challenge is 43).
fn valid_challenge(challenge: &str) -> bool {
    (43..=128).contains(&challenge.len())
        && challenge
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
}

fn error_page(lang: Lang, detail: &str) -> HttpResponse {
    HttpResponse::BadRequest()
        .content_type("text/html; charset=utf-8")
        .body(pages::error(lang, detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_follow_rfc_7636() {
        assert!(valid_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert!(!valid_challenge("short"));
        assert!(!valid_challenge(&"a".repeat(129)));
        assert!(!valid_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"));
    }
}
