//! The ticket shop at `/shop`: an OpenID Connect relying party of the identity provider
//! (`SIM_SHOP_ISSUER`), as S-360's shop is (`shared/SECUTIX.md`).
//!
//! | Route | Does |
//! |---|---|
//! | `GET /shop`, `GET /shop/<any page>` | who is signed in; signed out: in Exclusive mode a redirect to the provider (silent sign-in with a provider session), else a "Sign in" link |
//! | `GET /shop/login` | starts a sign-in (`?return_to=/shop/...`) |
//! | `GET /shop/callback` | the redirect URI: `state` bound to the browser by a cookie, code exchange with PKCE, ID token and userinfo checks, then the SSO link ([`link`]) |
//! | `GET /shop/me` | JSON `{contactNumber, firstname, lastname, email, ssoId, userinfo}` of the signed-in user (`userinfo`: the provider's answer at sign-in), else 401 |
//! | `POST /shop/logout` | signs out of the shop |
//! | `POST /shop/backchannel-logout`, `GET /shop/frontchannel-logout` | the provider ends shop sessions ([`logout`]) |
//!
//! The redirect URI to register at the provider is `<SIM_PUBLIC_URL>/shop/callback`.
//!
//! The shop's sign-ins and sessions ([`Shop`]) are its own `web::Data<Option<Shop>>` (`None`
//! without an issuer), not part of the shared state: nothing else reads them.

pub mod link;
pub mod logout;
pub mod oidc;
pub mod pages;

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use actix_web::{
    HttpRequest, HttpResponse,
    cookie::{Cookie, SameSite},
    http::StatusCode,
    web,
};
use serde::Deserialize;
use serde_json::json;

use crate::{config::ShopConfig, error::ApiError, state::SimState, store::shape};
use link::Linked;
use oidc::{OidcError, RelyingParty, random_token};

const SESSION_COOKIE: &str = "shop_session";
const STATE_COOKIE: &str = "shop_auth";
/// How long a started sign-in may take.
const PENDING_TTL: Duration = Duration::from_secs(600);
/// Most sign-ins in progress at once (every signed-out visit in Exclusive mode starts one).
const MAX_PENDING: usize = 10_000;

struct Pending {
    nonce: String,
    verifier: String,
    return_to: String,
    started: Instant,
}

struct Session {
    contact_number: String,
    sub: String,
    /// The provider's session (`sid` of the ID token), which its logouts name.
    sid: Option<String>,
    /// The provider's userinfo answer at sign-in, as the shop read it.
    userinfo: serde_json::Value,
}

/// The shop's relying party, sign-ins in progress and sessions.
pub struct Shop {
    rp: RelyingParty,
    redirect_uri: String,
    provider_name: String,
    exclusive: bool,
    pending: Mutex<HashMap<String, Pending>>,
    sessions: Mutex<HashMap<String, Session>>,
    /// Logout token ids already used, against replay.
    logout_tokens_seen: Mutex<HashMap<String, Instant>>,
}

impl Shop {
    /// The shop, when `SIM_SHOP_ISSUER` is set.
    pub fn new(config: &ShopConfig, base_url: &str) -> Option<Self> {
        let issuer = config.shop_issuer.as_ref()?;
        Some(Self {
            rp: RelyingParty::new(issuer, config.shop_client_id.clone(), config.shop_client_secret.clone()),
            redirect_uri: format!("{base_url}/shop/callback"),
            provider_name: config.shop_provider.clone(),
            exclusive: config.shop_exclusive,
            pending: Mutex::new(HashMap::new()),
            sessions: Mutex::new(HashMap::new()),
            logout_tokens_seen: logout::seen_tokens(),
        })
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/shop")
            .route("/callback", web::get().to(callback))
            .route("/login", web::get().to(login))
            .route("/me", web::get().to(me))
            .route("/logout", web::post().to(logout))
            .route("/backchannel-logout", web::post().to(logout::backchannel))
            .route("/frontchannel-logout", web::get().to(logout::frontchannel))
            .route("", web::get().to(page))
            .route("/{tail:.*}", web::get().to(page)),
    );
}

/// The shop, or a 404 that says how to enable it.
fn configured(shop: &Option<Shop>) -> Result<&Shop, ApiError> {
    shop.as_ref().ok_or(ApiError::NotConfigured(
        "the ticket shop is not configured (SIM_SHOP_ISSUER)",
    ))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

fn session(shop: &Shop, req: &HttpRequest) -> Option<(String, String, serde_json::Value)> {
    let id = req.cookie(SESSION_COOKIE)?.value().to_owned();
    let sessions = lock(&shop.sessions);
    let session = sessions.get(&id)?;
    Some((
        session.contact_number.clone(),
        session.sub.clone(),
        session.userinfo.clone(),
    ))
}

/// Starts a sign-in: a fresh state, nonce and PKCE verifier; the state is also set in a cookie
/// so the callback only completes in the browser that started it.
async fn start(shop: &Shop, return_to: &str) -> HttpResponse {
    let (state, nonce, verifier) = (random_token(), random_token(), random_token());
    let url = match shop
        .rp
        .authorization_url(&shop.redirect_uri, &state, &nonce, &verifier)
        .await
    {
        Ok(url) => url,
        Err(error) => return pages::unavailable(&error.to_string()),
    };
    {
        let mut pending = lock(&shop.pending);
        pending.retain(|_, p| p.started.elapsed() < PENDING_TTL);
        if pending.len() >= MAX_PENDING {
            return pages::failed(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many sign-ins in progress; try again shortly",
            );
        }
        pending.insert(
            state.clone(),
            Pending {
                nonce,
                verifier,
                return_to: return_to.to_owned(),
                started: Instant::now(),
            },
        );
    }
    let cookie = Cookie::build(STATE_COOKIE, state)
        .path("/shop")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(PENDING_TTL.as_secs() as i64))
        .finish();
    HttpResponse::Found()
        .insert_header(("Location", url))
        .insert_header(("Cache-Control", "no-store"))
        .cookie(cookie)
        .finish()
}

/// Any shop page.
async fn page(
    state: web::Data<SimState>,
    shop: web::Data<Option<Shop>>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let shop = configured(&shop)?;
    let path = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/shop");
    if let Some((number, _, _)) = session(shop, &req) {
        let record = state.store.get(&number);
        let contact = record.map(|r| r.contact).unwrap_or_default();
        let first = shape::individual(&contact, "firstname").unwrap_or_default();
        let last = shape::individual(&contact, "lastname").unwrap_or_default();
        return Ok(pages::signed_in(&number, first, last, path));
    }
    if shop.exclusive {
        return Ok(start(shop, path).await);
    }
    Ok(pages::signed_out())
}

#[derive(Deserialize)]
struct LoginQuery {
    return_to: Option<String>,
}

async fn login(shop: web::Data<Option<Shop>>, query: web::Query<LoginQuery>) -> Result<HttpResponse, ApiError> {
    let shop = configured(&shop)?;
    // Only shop pages are return targets (no open redirect).
    let return_to = query
        .return_to
        .as_deref()
        .filter(|t| t.starts_with("/shop") && !t.starts_with("/shop/callback") && !t.contains("//"))
        .unwrap_or("/shop");
    Ok(start(shop, return_to).await)
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(
    state: web::Data<SimState>,
    shop: web::Data<Option<Shop>>,
    req: HttpRequest,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, ApiError> {
    let shop = configured(&shop)?;
    let bound = req.cookie(STATE_COOKIE).map(|c| c.value().to_owned());
    let Some(returned) = query.state.as_deref().filter(|s| bound.as_deref() == Some(*s)) else {
        return Ok(pages::failed(
            StatusCode::BAD_REQUEST,
            "this sign-in was not started in this browser (state mismatch)",
        ));
    };
    let Some(pending) = lock(&shop.pending).remove(returned) else {
        return Ok(pages::failed(
            StatusCode::BAD_REQUEST,
            "this sign-in has expired or was already used",
        ));
    };
    if query.error.is_some() {
        return Ok(pages::failed(
            StatusCode::UNAUTHORIZED,
            "the identity provider did not sign you in",
        ));
    }
    let Some(code) = query.code.as_deref() else {
        return Ok(pages::failed(
            StatusCode::BAD_REQUEST,
            "the identity provider sent no code",
        ));
    };
    let (claims, userinfo) = match shop
        .rp
        .redeem(code, &shop.redirect_uri, &pending.verifier, &pending.nonce)
        .await
    {
        Ok(answer) => answer,
        Err(error @ OidcError::Provider(_)) => return Ok(pages::unavailable(&error.to_string())),
        Err(error) => return Ok(pages::failed(StatusCode::UNAUTHORIZED, &error.to_string())),
    };
    let sub = claims["sub"].as_str().unwrap_or_default().to_owned();
    let sid = claims["sid"].as_str().map(str::to_owned);
    let record = match link::link(&state.store, &shop.provider_name, &sub, &userinfo)? {
        Linked::SignedIn(record) | Linked::Created(record) => record,
        Linked::EmailMismatch => {
            tracing::info!("Shop sign-in refused: the SSO id is linked to a contact with another e-mail");
            return Ok(pages::email_mismatch());
        }
        Linked::LinkAccount(record) => return Ok(pages::link_account(&record.contact_number)),
    };
    let id = random_token();
    lock(&shop.sessions).insert(
        id.clone(),
        Session {
            contact_number: record.contact_number.clone(),
            sub,
            sid,
            userinfo,
        },
    );
    tracing::info!(contact_number = %record.contact_number, "Shop sign-in");
    let session = Cookie::build(SESSION_COOKIE, id)
        .path("/shop")
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish();
    let mut clear = Cookie::build(STATE_COOKIE, "").path("/shop").finish();
    clear.make_removal();
    Ok(HttpResponse::Found()
        .insert_header(("Location", pending.return_to))
        .cookie(session)
        .cookie(clear)
        .finish())
}

async fn me(
    state: web::Data<SimState>,
    shop: web::Data<Option<Shop>>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let shop = configured(&shop)?;
    let Some((number, sub, userinfo)) = session(shop, &req) else {
        return Ok(HttpResponse::Unauthorized().json(json!({ "error": "not_signed_in", "message": "no shop session" })));
    };
    let contact = state.store.get(&number).map(|r| r.contact).unwrap_or_default();
    Ok(HttpResponse::Ok().json(json!({
        "contactNumber": number,
        "firstname": shape::individual(&contact, "firstname"),
        "lastname": shape::individual(&contact, "lastname"),
        "email": shape::individual(&contact, "email"),
        "ssoId": sub,
        "userinfo": userinfo,
    })))
}

async fn logout(shop: web::Data<Option<Shop>>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let shop = configured(&shop)?;
    if let Some(cookie) = req.cookie(SESSION_COOKIE) {
        lock(&shop.sessions).remove(cookie.value());
    }
    let mut clear = Cookie::build(SESSION_COOKIE, "").path("/shop").finish();
    clear.make_removal();
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/shop"))
        .cookie(clear)
        .finish())
}
