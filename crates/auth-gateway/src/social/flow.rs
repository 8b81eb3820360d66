//! `/login/social/<id>` sends the fan to the provider; `/login/social/<id>/callback` takes the
//! answer (a GET, or Apple's `form_post` POST) and applies the linking rules (`super`).
//!
//! Every way a callback can fail ends on a page of ours that says what happened and leads back
//! to sign-in: the provider unreachable (503 with `Retry-After`), the fan cancelling upstream
//! or the provider refusing (400), a callback with no live request for this browser (expired,
//! replayed, another browser) or a wrong `state` (400), an ID token failing a check (401).

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, http::header, web};
use store::auth::federation::requests::{self, Pending, Stage, Stored};
use subtle::ConstantTimeEq;

use super::{page, words::words};
use crate::{
    federation::{
        binding,
        upstream::{UpstreamError, UpstreamIdentity},
    },
    pages::Lang,
    routes::{html::html, login, params},
    state::GatewayState,
};

/// `GET /login/social/<id>?return_to=…`: stores the request and redirects to the provider.
pub async fn start(req: HttpRequest, path: web::Path<String>, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let query = params::parse(req.query_string()).unwrap_or_default();
    let return_to = return_to(query.get("return_to"));
    let Some(upstream) = state.social.get(&path) else {
        return html(
            StatusCode::NOT_FOUND,
            crate::pages::error(lang, "Unknown sign-in service."),
            None,
        );
    };
    let name = upstream.config.name.clone();
    let redirect = crate::federation::redirect_uri(&state.tokens.issuer, &upstream.config.id);
    let started = match upstream.start(&redirect).await {
        Ok(started) => started,
        Err(error) => return failure(lang, &name, &error, &return_to),
    };
    let Some(value) = binding::new() else {
        return login::unavailable(lang);
    };
    let pending = Pending {
        provider_id: upstream.config.id.clone(),
        state: Some(started.state),
        nonce: Some(started.nonce),
        pkce_verifier: Some(started.pkce_verifier),
        return_to,
        ..Default::default()
    };
    let stored = Stored {
        binding: &value,
        stage: Stage::Upstream,
        pending: &pending,
    };
    let Ok(mut conn) = state.pool.get().await else {
        return login::unavailable(lang);
    };
    if requests::store(&mut conn, &stored).await.is_err() {
        return login::unavailable(lang);
    }
    HttpResponse::SeeOther()
        .cookie(binding::cookie(value))
        .insert_header((header::LOCATION, started.url.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// `GET /login/social/<id>/callback?code=…&state=…` (or `error=…`).
pub async fn callback_get(req: HttpRequest, path: web::Path<String>, state: web::Data<GatewayState>) -> HttpResponse {
    let answer = params::parse(req.query_string()).unwrap_or_default();
    callback(req, path.into_inner(), answer, state).await
}

/// `POST /login/social/<id>/callback`: Apple's `form_post` (with `user`, the name, the first
/// time only).
pub async fn callback_post(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<GatewayState>,
) -> HttpResponse {
    let answer = std::str::from_utf8(&body)
        .ok()
        .and_then(|text| params::parse(text).ok())
        .unwrap_or_default();
    callback(req, path.into_inner(), answer, state).await
}

async fn callback(
    req: HttpRequest,
    provider_id: String,
    answer: HashMap<String, String>,
    state: web::Data<GatewayState>,
) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let w = words(lang);
    let Some(upstream) = state.social.get(&provider_id).cloned() else {
        return html(
            StatusCode::NOT_FOUND,
            crate::pages::error(lang, "Unknown sign-in service."),
            None,
        );
    };
    let name = upstream.config.name.as_str();
    let refuse = |status: StatusCode, message: &str, return_to: &str| {
        let mut response = html(status, page::problem(lang, name, message, return_to), None);
        let _ = response.add_cookie(&binding::removal());
        response
    };
    let Ok(mut conn) = state.pool.get().await else {
        return login::unavailable(lang);
    };
    // Spent here whatever follows: one callback per request, so a replay finds nothing.
    let pending = match binding::of_request(&req) {
        Some(value) => match requests::take(&mut conn, &value, Stage::Upstream).await {
            Ok(pending) => pending,
            Err(_) => return login::unavailable(lang),
        },
        None => None,
    };
    let Some(pending) = pending.filter(|p| p.provider_id == provider_id) else {
        tracing::info!(provider = %provider_id, "Social callback refused: no live request for this browser");
        return refuse(StatusCode::BAD_REQUEST, w.expired, "/");
    };
    let return_to = pending.return_to.clone();
    let expected = pending.state.clone().unwrap_or_default();
    let given = answer.get("state").map(String::as_str).unwrap_or_default();
    if expected.is_empty() || !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
        tracing::info!(provider = %provider_id, "Social callback refused: wrong state");
        return refuse(StatusCode::BAD_REQUEST, w.expired, &return_to);
    }
    // RFC 9207: a provider that names itself in the answer must name itself (mix-up defence).
    if let Some(iss) = answer.get("iss")
        && iss.trim_end_matches('/') != upstream.config.issuer.trim_end_matches('/')
        && !upstream.config.microsoft_shared_tenant()
    {
        tracing::info!(provider = %provider_id, "Social callback refused: another issuer answered");
        return refuse(StatusCode::BAD_REQUEST, w.failed, &return_to);
    }
    if let Some(error) = answer.get("error") {
        tracing::info!(provider = %provider_id, error = %error.chars().take(64).collect::<String>(), "Social sign-in ended upstream");
        return match error.as_str() {
            "temporarily_unavailable" => failure(lang, name, &UpstreamError::Unavailable(error.clone()), &return_to),
            "access_denied" => refuse(StatusCode::BAD_REQUEST, w.cancelled, &return_to),
            _ => refuse(StatusCode::BAD_REQUEST, w.failed, &return_to),
        };
    }
    let Some(code) = answer.get("code").filter(|c| !c.is_empty()) else {
        return refuse(StatusCode::BAD_REQUEST, w.failed, &return_to);
    };
    drop(conn);
    let redirect = crate::federation::redirect_uri(&state.tokens.issuer, &provider_id);
    let identity = upstream
        .finish(
            &redirect,
            code,
            pending.pkce_verifier.as_deref().unwrap_or_default(),
            pending.nonce.as_deref().unwrap_or_default(),
        )
        .await;
    let mut identity = match identity {
        Ok(identity) => identity,
        Err(error) => {
            let mut response = failure(lang, name, &error, &return_to);
            let _ = response.add_cookie(&binding::removal());
            return response;
        }
    };
    if identity.given_name.is_none() && identity.family_name.is_none() {
        apple_name(&answer, &mut identity);
    }
    super::rules::decide(
        &req,
        &state,
        lang,
        &provider_id,
        name,
        upstream.config.trust_email,
        identity,
        return_to,
    )
    .await
}

/// The page of a provider that failed: 503 with `Retry-After` when unreachable, 401 when its
/// answer was refused.
pub(super) fn failure(lang: Lang, name: &str, error: &UpstreamError, return_to: &str) -> HttpResponse {
    let w = words(lang);
    match error {
        UpstreamError::Unavailable(reason) => {
            tracing::warn!(provider = %name, %reason, "Upstream provider unavailable");
            let mut response = html(
                StatusCode::SERVICE_UNAVAILABLE,
                page::problem(lang, name, w.unavailable, return_to),
                None,
            );
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(infra::http::RETRY_AFTER_SECONDS),
            );
            response
        }
        UpstreamError::Refused(reason) => {
            tracing::warn!(provider = %name, %reason, "Upstream answer refused");
            html(
                StatusCode::UNAUTHORIZED,
                page::problem(lang, name, w.failed, return_to),
                None,
            )
        }
    }
}

/// Apple sends the name once, beside the ID token, in the `user` field of its first answer.
fn apple_name(answer: &HashMap<String, String>, identity: &mut UpstreamIdentity) {
    let Some(user) = answer
        .get("user")
        .and_then(|u| serde_json::from_str::<serde_json::Value>(u).ok())
    else {
        return;
    };
    let part = |key: &str| {
        user["name"][key]
            .as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    identity.given_name = part("firstName");
    identity.family_name = part("lastName");
}

/// `return_to` when it is one of our own pages, else `/`.
pub fn return_to(value: Option<&String>) -> String {
    value
        .filter(|r| login::safe_return(r))
        .cloned()
        .unwrap_or_else(|| "/".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apples_first_answer_names_the_fan() {
        let mut identity = UpstreamIdentity::default();
        let answer = HashMap::from([(
            "user".to_owned(),
            r#"{"name":{"firstName":"Anna","lastName":" Muster "},"email":"x@privaterelay.appleid.com"}"#.to_owned(),
        )]);
        apple_name(&answer, &mut identity);
        assert_eq!(identity.given_name.as_deref(), Some("Anna"));
        assert_eq!(identity.family_name.as_deref(), Some("Muster"));
        assert_eq!(identity.email, None, "the address comes from the ID token only");
        assert_eq!(return_to(Some(&"https://evil.example/".to_owned())), "/");
    }
}
