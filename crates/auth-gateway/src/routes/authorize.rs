//! `GET /authorize`: the authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636, OIDC Core
//! §3.1.2). Errors about the client or the redirect URI are shown on a page, never redirected
//! (an unregistered URI receives nothing); every other error is redirected to the client with
//! `error`, `state` and `iss` (RFC 9207).

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::Utc;

use store::auth::{codes, sessions};

use crate::{
    pages::{self, Lang},
    routes::{
        authorize_request::{AuthorizeRequest, Prompt, Refusal},
        login, params,
    },
    session_cookie,
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
    let request = match AuthorizeRequest::check(&params, &state.clients) {
        Ok(request) => request,
        Err(Refusal::Page(detail)) => return error_page(lang, detail),
        Err(Refusal::Redirect {
            redirect_uri,
            state: client_state,
            error,
            description,
        }) => {
            let reply = Reply {
                redirect_uri,
                state: client_state,
                issuer: &state.tokens.issuer,
            };
            return reply.error(error, description);
        }
    };
    let reply = Reply {
        redirect_uri: request.redirect_uri,
        state: request.state,
        issuer: &state.tokens.issuer,
    };

    let mut conn = match state.pool.get().await {
        Ok(conn) => conn,
        Err(_) => return login::unavailable(lang),
    };
    let session = match req.cookie(session_cookie::NAME) {
        Some(cookie) => sessions::find(&mut conn, cookie.value()).await.unwrap_or(None),
        None => None,
    };
    // prompt=login asks for a fresh sign-in: only a session opened in the last minute counts.
    let session =
        session.filter(|s| request.prompt != Prompt::Login || Utc::now() - s.auth_time < chrono::Duration::seconds(60));
    let Some(session) = session else {
        if request.prompt == Prompt::None {
            return reply.error("login_required", "the user is not signed in");
        }
        let return_to = format!("/authorize?{}", req.query_string());
        let hint = request.login_hint.unwrap_or_default();
        return login::form(lang, &return_to, hint, None);
    };

    let Some(code) = crate::secrets::random_token() else {
        return login::unavailable(lang);
    };
    let new = codes::NewCode {
        client_id: &request.client.id,
        subject: session.subject,
        session_id: &session.id,
        redirect_uri: request.redirect_uri,
        scope: request.scope,
        nonce: request.nonce,
        code_challenge: request.code_challenge,
        auth_time: session.auth_time,
        lifetime: chrono::Duration::seconds(CODE_LIFETIME_SECONDS),
    };
    let inserted = codes::insert(&mut conn, &code, &new).await;
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

fn error_page(lang: Lang, detail: &str) -> HttpResponse {
    HttpResponse::BadRequest()
        .content_type("text/html; charset=utf-8")
        .body(pages::error(lang, detail))
}
