//! Endpoints built on the browser session: RP-initiated logout (`/logout`), forward-auth for
//! reverse proxies protecting the organisation's app (`/auth/verify`), and "grant access" to
//! the ticket shop (`/ticketshop`).

use actix_web::{HttpRequest, HttpResponse, http::header, web};

use store::auth::sessions;

use crate::{
    pages::{self, Lang},
    routes::params,
    session_cookie,
    state::GatewayState,
};

/// `GET /logout` (OpenID Connect RP-Initiated Logout 1.0): ends the session on the server and
/// clears the cookie; redirects only to a `post_logout_redirect_uri` registered for the client
/// named by `client_id` or by the `id_token_hint`'s audience.
pub async fn logout(req: HttpRequest, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let query = params::parse(req.query_string()).unwrap_or_default();
    if let (Some(cookie), Ok(mut conn)) = (req.cookie(session_cookie::NAME), state.pool.get().await)
        && let Ok(Some(session)) = sessions::find(&mut conn, cookie.value()).await
    {
        let _ = sessions::revoke(&mut conn, &session.id).await;
        state.userinfo_cache.invalidate_subject(session.subject);
    }
    let hinted = query
        .get("id_token_hint")
        .and_then(|hint| state.tokens.verify_id_token_hint(hint).ok())
        .map(|(_, aud)| aud);
    let client = query
        .get("client_id")
        .cloned()
        .or(hinted)
        .and_then(|id| state.clients.get(&id));
    let target = query
        .get("post_logout_redirect_uri")
        .filter(|uri| client.is_some_and(|c| c.allows_post_logout_redirect(uri)));
    let mut response = match target.and_then(|t| url::Url::parse(t).ok()) {
        Some(mut url) => {
            if let Some(state_param) = query.get("state") {
                url.query_pairs_mut().append_pair("state", state_param);
            }
            HttpResponse::Found()
                .insert_header((header::LOCATION, url.to_string()))
                .finish()
        }
        None => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(pages::signed_out(lang)),
    };
    let _ = response.add_cookie(&session_cookie::removal());
    response
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
    let identity = crate::routes::token::identity(&mut conn, session.subject)
        .await
        .ok()
        .flatten();
    let Some(identity) = identity else {
        return HttpResponse::Unauthorized().finish();
    };
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    response.insert_header(("X-Auth-Subject", session.subject.to_string()));
    if let Some(email) = identity.email {
        response.insert_header(("X-Auth-Email", email));
    }
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
