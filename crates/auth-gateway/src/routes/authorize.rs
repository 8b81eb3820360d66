//! `GET/POST /authorize`: the authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636, OIDC Core
//! §3.1.2). Errors about the client or the redirect URI are shown on a page, never redirected
//! (an unregistered URI receives nothing); every other error is redirected to the client with
//! `error`, `state` and `iss` (RFC 9207). `prompt`, `max_age`, `id_token_hint` and a `sub`
//! asked for with a value in the `claims` parameter decide whether the fan's session answers or
//! the sign-in page is shown; what `claims` asks for is kept with the code. A request pushed to
//! `/par` (RFC 9126) is found by its `request_uri`.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::Utc;

use store::auth::{codes, pushed_requests, sessions};

use crate::{
    pages::{self, Lang},
    routes::{
        authorize_request::{AuthorizeRequest, Prompt, Refusal},
        login, par, params,
    },
    session_cookie,
    state::GatewayState,
};

/// How long an authorization code stays valid (the checklist recommends 60 s at most).
pub const CODE_LIFETIME_SECONDS: i64 = 60;

/// `GET /authorize`: the parameters in the query.
pub async fn authorize(req: HttpRequest, state: web::Data<GatewayState>) -> HttpResponse {
    let query = req.query_string().to_owned();
    respond(&req, &query, &state).await
}

/// `POST /authorize` (OIDC Core §3.1.2.1 requires both methods): the parameters in a
/// form-encoded body.
pub async fn authorize_post(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let Some(encoded) = std::str::from_utf8(&body).ok().filter(|_| form) else {
        return error_page(
            lang,
            "The authorization request must be a form (application/x-www-form-urlencoded).",
        );
    };
    respond(&req, encoded, &state).await
}

async fn respond(req: &HttpRequest, encoded: &str, state: &GatewayState) -> HttpResponse {
    let lang = Lang::of_request(req);
    let outer = match params::parse(encoded) {
        Ok(params) => params,
        Err(name) => return error_page(lang, &format!("The parameter {name} is repeated.")),
    };
    let mut conn = match state.pool.get().await {
        Ok(conn) => conn,
        Err(_) => return login::unavailable(lang),
    };
    // RFC 9126 §4: with a pushed request, only its parameters count.
    let pushed_uri = outer
        .get("request_uri")
        .filter(|uri| uri.starts_with(par::REQUEST_URI_PREFIX))
        .cloned();
    let params = match &pushed_uri {
        Some(uri) => {
            let client_id = outer.get("client_id").map(String::as_str).unwrap_or_default();
            match pushed_requests::find(&mut conn, uri, client_id).await {
                Ok(Some(pushed)) => pushed,
                Ok(None) => return error_page(lang, "This sign-in request expired. Go back and try again."),
                Err(_) => return login::unavailable(lang),
            }
        }
        None => outer.clone(),
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
    if request.client.require_pushed_authorization_requests && pushed_uri.is_none() {
        return reply.error(
            "invalid_request",
            "this client must push its authorization requests to /par",
        );
    }
    // Staff sign in on a page of their own, against staff accounts, without a session here.
    if request.client.staff {
        return crate::routes::staff::authorize(req, &params, &request, state).await;
    }
    let hinted_subject = match request.id_token_hint {
        None => None,
        Some(hint) => match state.tokens.verify_id_token_hint(hint) {
            Ok((subject, audience)) if audience == request.client.id => Some(subject),
            _ => {
                return reply.error(
                    "invalid_request",
                    "id_token_hint is not an ID token issued to this client",
                );
            }
        },
    };

    let session = match req.cookie(session_cookie::NAME) {
        Some(cookie) => sessions::find(&mut conn, cookie.value()).await.unwrap_or(None),
        None => None,
    };
    let login_after = outer.get(LOGIN_AFTER).and_then(|t| t.parse::<i64>().ok());
    // OIDC Core §5.5.1: with `sub` asked for with a value, as with a hint, only that fan is
    // answered; another one signs in again.
    let wanted_subjects: Vec<&str> = hinted_subject
        .iter()
        .map(String::as_str)
        .chain(request.claims.subject.as_deref())
        .collect();
    let session = session
        .filter(|s| fresh_enough(&request, s, login_after, Utc::now()))
        .filter(|s| {
            let subject = s.subject.to_string();
            wanted_subjects.iter().all(|wanted| *wanted == subject)
        });
    let Some(session) = session else {
        if request.prompt == Prompt::None {
            return reply.error("login_required", "the user must sign in");
        }
        // Back here after the sign-in, with the time the page was shown: a session opened
        // since then answers prompt=login and max_age.
        let mut back = match &pushed_uri {
            Some(uri) => [("client_id", request.client.id.as_str()), ("request_uri", uri.as_str())]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            None => params.clone(),
        };
        back.insert(LOGIN_AFTER.to_owned(), Utc::now().timestamp_millis().to_string());
        let mut sorted: Vec<_> = back.iter().collect();
        sorted.sort();
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(sorted)
            .finish();
        let hint = request.login_hint.unwrap_or_default();
        return login::form_or_busy(state, lang, &format!("/authorize?{query}"), hint);
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
        method: session.method,
        lifetime: chrono::Duration::seconds(CODE_LIFETIME_SECONDS),
        claims: &request.claims.names,
    };
    if codes::insert(&mut conn, &code, &new).await.is_err() {
        return login::unavailable(lang);
    }
    if let Some(uri) = &pushed_uri {
        // Single use (RFC 9126 §4); a failure only leaves it to expire.
        let _ = pushed_requests::delete(&mut conn, uri).await;
    }
    reply.success(&code)
}

/// The query parameter carrying when the sign-in page was shown (Unix milliseconds).
const LOGIN_AFTER: &str = "login_after";

/// Whether a session answers the request without a new sign-in: `prompt=login` (or
/// `select_account`, or `max_age=0`) wants a sign-in made after the page was shown; `max_age`
/// wants one made at most that many seconds ago.
fn fresh_enough(
    request: &AuthorizeRequest<'_>,
    session: &sessions::Session,
    login_after: Option<i64>,
    now: chrono::DateTime<Utc>,
) -> bool {
    let signed_in_since_page = login_after.is_some_and(|t| session.auth_time.timestamp_millis() >= t);
    match (request.prompt, request.max_age) {
        (Prompt::Login, _) => signed_in_since_page,
        (_, Some(max_age)) => signed_in_since_page || (now - session.auth_time).num_seconds() <= max_age,
        _ => true,
    }
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
