//! "My account" (`/account`): a signed-in fan's sessions with "sign out everywhere", "download
//! my data" (`/account/export`, a JSON file of everything held about them) and "delete my
//! account". Every form is CSRF-protected and needs no JavaScript. Signing out everywhere and
//! deleting the account end every session and queue the back-channel logouts of the relying
//! parties in the same transaction; deletion asks for the password again (throttled like a
//! sign-in) and records an erasure request for the organisation (`store::auth::erasure`).

pub mod page;

use std::sync::LazyLock;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, http::header, web};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use store::auth::{accounts, erasure, export, sessions, throttle};

use crate::{
    pages::{self, Lang},
    routes::{
        html::{checked_form, html, locked_page},
        login::unavailable,
    },
    session_cookie,
    state::GatewayState,
};

/// Erasure requests fans made by deleting their account.
pub static ERASURE_REQUESTS: LazyLock<prometheus::IntCounter> = LazyLock::new(|| {
    prometheus::IntCounter::new(
        "auth_gateway_erasure_requests_total",
        "Accounts deleted by their owner; each is an erasure request in erasure_requests",
    )
    .expect("a valid metric")
});

/// The signed-in fan: their account and the session of this request.
struct Fan {
    session: sessions::Session,
    lang: Lang,
}

enum Access {
    Granted(Fan),
    SignIn,
    Unavailable,
}

async fn signed_in(req: &HttpRequest, state: &GatewayState) -> Access {
    let Some(cookie) = req.cookie(session_cookie::NAME) else {
        return Access::SignIn;
    };
    let Ok(mut conn) = state.pool.get().await else {
        return Access::Unavailable;
    };
    match sessions::find(&mut conn, cookie.value()).await {
        Ok(Some(session)) => Access::Granted(Fan {
            session,
            lang: Lang::of_request(req),
        }),
        Ok(None) => Access::SignIn,
        Err(_) => Access::Unavailable,
    }
}

fn sign_in() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/login?return_to=%2Faccount"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// The signed-in fan, or the answer to give instead.
macro_rules! fan_or_return {
    ($req:expr, $state:expr) => {
        match signed_in($req, $state).await {
            Access::Granted(fan) => fan,
            Access::SignIn => return sign_in(),
            Access::Unavailable => return unavailable(Lang::of_request($req)),
        }
    };
}

/// The account page, with `problem` beside the deletion form.
async fn account_page(state: &GatewayState, fan: &Fan, status: StatusCode, problem: Option<&str>) -> HttpResponse {
    let Ok(mut conn) = state.pool.get().await else {
        return unavailable(fan.lang);
    };
    let Ok(live) = sessions::live(&mut conn, fan.session.subject).await else {
        return unavailable(fan.lang);
    };
    let rows: Vec<page::Row> = live
        .into_iter()
        .map(|s| page::Row {
            current: s.id == fan.session.id,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
        })
        .collect();
    let Ok(linked) = store::auth::federation::list(&mut conn, fan.session.subject).await else {
        return unavailable(fan.lang);
    };
    let Some((csrf, cookie)) = crate::csrf::issue() else {
        return unavailable(fan.lang);
    };
    let social = crate::social::linked_section(fan.lang, &csrf, &linked, &state.social);
    html(
        status,
        page::render(fan.lang, &csrf, &rows, &social, problem),
        Some(cookie),
    )
}

pub async fn show(req: HttpRequest, state: web::Data<GatewayState>) -> HttpResponse {
    let fan = fan_or_return!(&req, &state);
    account_page(&state, &fan, StatusCode::OK, None).await
}

/// The signed-out page, with the session cookie removed.
fn signed_out_page(lang: Lang, title: &str, message: &str) -> HttpResponse {
    let mut response = html(StatusCode::OK, pages::notice(lang, title, message), None);
    let _ = response.add_cookie(&session_cookie::removal());
    response
}

/// `POST /account/sessions/end`: "sign out everywhere", this browser included.
pub async fn end_sessions(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let fan = fan_or_return!(&req, &state);
    if let Err(refused) = checked_form(&req, &body, fan.lang) {
        return *refused;
    }
    let Ok(mut conn) = state.pool.get().await else {
        return unavailable(fan.lang);
    };
    let subject = fan.session.subject;
    let conn: &mut AsyncPgConnection = &mut conn;
    let ended = conn
        .transaction::<_, diesel::result::Error, _>(async |tx: &mut AsyncPgConnection| {
            sessions::revoke_all(tx, subject).await
        })
        .await;
    if ended.is_err() {
        return unavailable(fan.lang);
    }
    tracing::info!(%subject, "Signed out everywhere");
    let t = page::texts(fan.lang);
    signed_out_page(fan.lang, pages::texts(fan.lang).signed_out, t.signed_out_everywhere)
}

/// `GET /account/export`: everything held about the fan, as a JSON download.
pub async fn download(req: HttpRequest, state: web::Data<GatewayState>) -> HttpResponse {
    let fan = fan_or_return!(&req, &state);
    let Ok(mut conn) = state.pool.get().await else {
        return unavailable(fan.lang);
    };
    match export::everything(&mut conn, fan.session.subject).await {
        Ok(Some(document)) => {
            tracing::info!(subject = %fan.session.subject, "Data export downloaded");
            HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"my-data.json\""))
                .json(document)
        }
        Ok(None) => sign_in(),
        Err(_) => unavailable(fan.lang),
    }
}

/// `POST /account/delete`: with the password and the confirmation box, the account goes.
pub async fn delete(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let fan = fan_or_return!(&req, &state);
    let fields = match checked_form(&req, &body, fan.lang) {
        Ok(fields) => fields,
        Err(refused) => return *refused,
    };
    let t = page::texts(fan.lang);
    let subject = fan.session.subject;
    if fields.get("confirm").map(String::as_str) != Some("yes") {
        return account_page(&state, &fan, StatusCode::BAD_REQUEST, Some(t.not_confirmed)).await;
    }
    let keys = [format!("delete:{subject}")];
    let Ok(mut conn) = state.pool.get().await else {
        return unavailable(fan.lang);
    };
    match throttle::locked(&mut conn, &keys).await {
        Ok(Some(retry_after)) => return locked_page(fan.lang, t.delete, retry_after),
        Ok(None) => {}
        Err(_) => return unavailable(fan.lang),
    }
    let Ok(stored) = accounts::password_hash(&mut conn, subject).await else {
        return unavailable(fan.lang);
    };
    drop(conn);
    let password = fields.get("password").map(String::as_str).unwrap_or_default();
    let Ok(verified) = state.passwords.verify(password, stored.as_deref()).await else {
        return crate::routes::html::busy_page(fan.lang, "/account");
    };
    let Ok(mut conn) = state.pool.get().await else {
        return unavailable(fan.lang);
    };
    if !verified {
        let _ = throttle::failed(&mut conn, &keys).await;
        return account_page(&state, &fan, StatusCode::BAD_REQUEST, Some(t.wrong_password)).await;
    }
    let conn: &mut AsyncPgConnection = &mut conn;
    let erased = conn
        .transaction::<_, diesel::result::Error, _>(async |tx: &mut AsyncPgConnection| {
            erasure::erase_on_request(tx, subject).await
        })
        .await;
    match erased {
        Ok(Some(request)) => {
            ERASURE_REQUESTS.inc();
            tracing::info!(%subject, request, "Account deleted by its owner; erasure request recorded");
            let reference = format!("Erasure request {request}, subject {subject}");
            if let Err(error) = crate::commands::notify_data_protection(&state, "erasure-request", reference).await {
                tracing::warn!(%error, request, "Erasure request recorded but not mailed to data protection");
            }
            signed_out_page(fan.lang, t.deleted_title, t.deleted)
        }
        Ok(None) => sign_in(),
        Err(_) => unavailable(fan.lang),
    }
}
