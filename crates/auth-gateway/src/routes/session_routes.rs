//! Endpoints built on the browser session: RP-initiated logout (`/logout`), forward-auth for
//! reverse proxies protecting the organisation's app (`/auth/verify`), and "grant access" to
//! the ticket shop (`/ticketshop`).

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, http::header, web};

use store::auth::{accounts, codes, sessions};

use crate::{
    pages::{self, Lang},
    routes::params,
    session_cookie,
    state::GatewayState,
};

/// `GET /logout` (OpenID Connect RP-Initiated Logout 1.0): the parameters in the query.
pub async fn logout(req: HttpRequest, state: web::Data<GatewayState>) -> HttpResponse {
    let query = params::parse(req.query_string()).unwrap_or_default();
    sign_out(&req, &query, &state).await
}

/// `POST /logout`: the same, from a form (RP-Initiated Logout §2 requires both methods).
pub async fn logout_post(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let form = std::str::from_utf8(&body)
        .ok()
        .and_then(|text| params::parse(text).ok())
        .unwrap_or_default();
    sign_out(&req, &form, &state).await
}

/// Ends the session on the server and clears the cookie, whatever the parameters say; the
/// back-channel logouts of its clients are queued with it (`crate::backchannel`) and the
/// front-channel ones are loaded in iframes of the signed-out page. Redirects only to a
/// `post_logout_redirect_uri` registered, exactly, for the client named by a valid
/// `id_token_hint` of ours or by `client_id` (both, when given, must agree); an invalid hint
/// means no redirect at all.
async fn sign_out(req: &HttpRequest, query: &HashMap<String, String>, state: &GatewayState) -> HttpResponse {
    let lang = query
        .get("ui_locales")
        .map(|l| Lang::negotiate(l))
        .unwrap_or_else(|| Lang::of_request(req));
    let mut front_channel = Vec::new();
    if let (Some(cookie), Ok(mut conn)) = (req.cookie(session_cookie::NAME), state.pool.get().await)
        && let Ok(Some(session)) = sessions::find(&mut conn, cookie.value()).await
    {
        let clients = codes::clients_of_session(&mut conn, &session.id)
            .await
            .unwrap_or_default();
        let _ = sessions::revoke(&mut conn, &session.id).await;
        state.userinfo_cache.invalidate_subject(session.subject);
        let sid = sessions::sid(&session.id);
        front_channel = clients
            .iter()
            .filter_map(|id| state.clients.get(id))
            .filter_map(|client| front_channel_url(client, &state.tokens.issuer, &sid))
            .collect();
    }
    let client = match (query.get("id_token_hint"), query.get("client_id")) {
        (Some(hint), named) => match state.tokens.verify_id_token_hint(hint) {
            Ok((_, audience)) if named.is_none_or(|id| *id == audience) => state.clients.get(&audience),
            _ => None,
        },
        (None, Some(id)) => state.clients.get(id),
        (None, None) => None,
    };
    let target = query
        .get("post_logout_redirect_uri")
        .filter(|uri| client.is_some_and(|c| c.allows_post_logout_redirect(uri)))
        .and_then(|uri| url::Url::parse(uri).ok())
        .map(|mut url| {
            if let Some(state_param) = query.get("state") {
                url.query_pairs_mut().append_pair("state", state_param);
            }
            url.to_string()
        });
    let mut response = match (&target, front_channel.is_empty()) {
        (Some(target), true) => HttpResponse::Found()
            .insert_header((header::LOCATION, target.clone()))
            .finish(),
        _ => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header(("Referrer-Policy", "no-referrer"))
            .body(pages::signed_out(lang, &front_channel, target.as_deref())),
    };
    let _ = response.add_cookie(&session_cookie::removal());
    response
}

/// The client's front-channel logout page (Front-Channel Logout 1.0 §2), with `iss` and `sid`
/// when the client asked for them.
fn front_channel_url(client: &crate::clients::Client, issuer: &str, sid: &str) -> Option<String> {
    let mut url = url::Url::parse(client.frontchannel_logout_uri.as_deref()?).ok()?;
    if client.frontchannel_logout_session_required {
        url.query_pairs_mut().append_pair("iss", issuer).append_pair("sid", sid);
    }
    Some(url.to_string())
}

/// `GET /auth/verify`: 200 with the user's identity in headers when the request carries a live
/// session cookie, else 401 — for nginx `auth_request`, Traefik `forwardAuth` or ingress-nginx
/// `auth-url` in front of the organisation's app.
pub async fn verify(req: HttpRequest, state: web::Data<GatewayState>) -> HttpResponse {
    let Some(cookie) = req.cookie(session_cookie::NAME) else {
        return HttpResponse::Unauthorized().finish();
    };
    let Ok(mut conn) = state.pool.get().await else {
        return HttpResponse::ServiceUnavailable()
            .insert_header((header::RETRY_AFTER, "5"))
            .finish();
    };
    let Ok(Some(session)) = sessions::find(&mut conn, cookie.value()).await else {
        return HttpResponse::Unauthorized().finish();
    };
    let identity = accounts::identity(&mut conn, session.subject).await.ok().flatten();
    let Some(identity) = identity else {
        return HttpResponse::Unauthorized().finish();
    };
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    response.insert_header(("X-Auth-Subject", session.subject.to_string()));
    response.insert_header(("X-Auth-Email", identity.login_email));
    if let Some(number) = identity.contact_number {
        response.insert_header(("X-Auth-Contact-Number", number));
    }
    response.finish()
}

/// `GET /ticketshop?target=URL`: sends the user to a page of the S-360 ticket shop, only under
/// a configured base URL (never an open redirect). The shop's own OIDC request then signs the
/// user in silently with the gateway session.
pub async fn ticketshop(req: HttpRequest, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let query = params::parse(req.query_string()).unwrap_or_default();
    let allowed = query
        .get("target")
        .and_then(|t| url::Url::parse(t).ok())
        .filter(|target| state.ticketshop_urls.iter().any(|base| under(target, base)));
    match allowed {
        Some(target) => HttpResponse::Found()
            .insert_header((header::LOCATION, target.to_string()))
            .finish(),
        None => HttpResponse::BadRequest()
            .content_type("text/html; charset=utf-8")
            .body(pages::error(lang, "This address is not a page of the ticket shop.")),
    }
}

/// Same scheme, host and port, and a path under the base path (at a segment boundary).
fn under(target: &url::Url, base: &url::Url) -> bool {
    let base_path = base.path().trim_end_matches('/');
    target.scheme() == base.scheme()
        && target.host_str() == base.host_str()
        && target.port_or_known_default() == base.port_or_known_default()
        && target.username().is_empty()
        && target.password().is_none()
        && (target.path() == base_path || target.path().starts_with(&format!("{base_path}/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pages_under_a_configured_shop_url_are_targets() {
        let base = url::Url::parse("https://shop.example.org/club").expect("url");
        let ok = |t: &str| under(&url::Url::parse(t).expect("url"), &base);
        assert!(ok("https://shop.example.org/club"));
        assert!(ok("https://shop.example.org/club/events?id=1"));
        for bad in [
            "https://shop.example.org/clubhouse",
            "https://shop.example.org.evil.example/club",
            "http://shop.example.org/club",
            "https://shop.example.org:8443/club",
            "https://user@shop.example.org/club",
            "https://evil.example/club",
        ] {
            assert!(!ok(bad), "{bad}");
        }
    }
}
