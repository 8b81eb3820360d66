//! `GET /callback`: the gateway's answer to a staff sign-in. The pending sign-in's `state`
//! and the issuer (`iss`, RFC 9207) must match; the code is redeemed with the client secret
//! and the PKCE verifier; the ID token is validated strictly, and a console session opened.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use super::{LOGIN_COOKIE, Pending, cleared_login_cookie, id_token};
use crate::{
    pages::{self, Lang, escape, translations::texts},
    session,
    state::ConsoleState,
};

pub async fn callback(req: HttpRequest, state: web::Data<ConsoleState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let query: std::collections::HashMap<String, String> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect();
    let pending = req.cookie(LOGIN_COOKIE).and_then(|c| Pending::decode(c.value()));
    let outcome = match pending {
        None => Err("no sign-in in progress"),
        Some(pending) => complete(&state, &query, &pending)
            .await
            .map(|value| (value, pending.next)),
    };
    let (value, next) = match outcome {
        Ok(done) => done,
        Err(reason) => {
            state.metrics.sign_ins.with_label_values(&[reason]).inc();
            tracing::info!(reason, "Staff sign-in refused at the callback");
            let t = texts(lang);
            let mut response = pages::message(
                StatusCode::UNAUTHORIZED,
                lang,
                state.gateway(),
                None,
                t.sign_in_title,
                t.sign_in_failed,
            );
            let _ = response.add_cookie(&cleared_login_cookie());
            return response;
        }
    };
    state.metrics.sign_ins.with_label_values(&["ok"]).inc();
    // A page rather than a redirect: the session cookie is SameSite=Strict, and a redirect
    // chain that began at the gateway would not carry it to the next page.
    let t = texts(lang);
    let body = format!(
        "<h1>{}</h1><p><a href=\"{next}\">{}</a></p>",
        escape(t.sign_in_title),
        escape(t.search),
        next = escape(&next)
    );
    let mut response = pages::html(
        StatusCode::OK,
        state.gateway(),
        pages::layout(lang, state.gateway(), t.sign_in_title, None, &body),
    );
    response.headers_mut().insert(
        actix_web::http::header::REFRESH,
        actix_web::http::header::HeaderValue::from_str(&format!("0; url={next}"))
            .unwrap_or(actix_web::http::header::HeaderValue::from_static("0; url=/")),
    );
    let _ = response.add_cookie(&cleared_login_cookie());
    let _ = response.add_cookie(&session::cookie(value));
    response
}

/// The new session's cookie value, or why the sign-in is refused.
async fn complete(
    state: &ConsoleState,
    query: &std::collections::HashMap<String, String>,
    pending: &Pending,
) -> Result<String, &'static str> {
    let oidc = &state.oidc;
    if query.contains_key("error") {
        return Err("gateway_error");
    }
    let state_ok = query
        .get("state")
        .is_some_and(|s| bool::from(s.as_bytes().ct_eq(pending.state.as_bytes())));
    if !state_ok {
        return Err("state");
    }
    if query.get("iss") != Some(&oidc.issuer) {
        return Err("issuer");
    }
    let code = query.get("code").ok_or("no_code")?;
    let response = oidc
        .http
        .post(format!("{}/token", oidc.gateway_base))
        .basic_auth(&oidc.client_id, Some(oidc.client_secret.expose_secret()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &oidc.redirect_uri),
            ("code_verifier", &pending.verifier),
        ])
        .send()
        .await
        .map_err(|_| "gateway_unreachable")?;
    if !response.status().is_success() {
        return Err("token_refused");
    }
    let tokens: serde_json::Value = response.json().await.map_err(|_| "token_response")?;
    let id_token = tokens["id_token"].as_str().ok_or("no_id_token")?;
    let keys: jsonwebtoken::jwk::JwkSet = oidc
        .http
        .get(format!("{}/jwks.json", oidc.gateway_base))
        .send()
        .await
        .map_err(|_| "gateway_unreachable")?
        .json()
        .await
        .map_err(|_| "jwks")?;
    let identity =
        id_token::verify(id_token, &keys, &oidc.issuer, &oidc.client_id, &pending.nonce).map_err(|refused| {
            tracing::warn!(reason = refused.0, "ID token refused");
            "id_token"
        })?;
    // A sign-in made before this flow began is not the one asked for (clock skew aside).
    if identity.auth_time + 5 < pending.started {
        return Err("stale_sign_in");
    }
    let auth_time = chrono::DateTime::from_timestamp(identity.auth_time, 0).ok_or("auth_time")?;
    let mut conn = state.pool.get().await.map_err(|_| "database")?;
    let value = store::console::sessions::create(&mut conn, identity.staff_id, identity.role, auth_time)
        .await
        .map_err(|_| "database")?;
    let entry = store::console::audit::Entry {
        staff_id: identity.staff_id,
        staff_email: &identity.email,
        action: "sign_in",
        target: None,
        outcome: store::console::audit::Outcome::Ok,
        details: serde_json::json!({ "role": identity.role.as_str() }),
    };
    store::console::audit::append(&mut conn, &entry)
        .await
        .map_err(|_| "database")?;
    tracing::info!(staff_id = %identity.staff_id, role = identity.role.as_str(), "Staff signed in to the console");
    Ok(value)
}
