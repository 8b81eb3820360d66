//! Staff sign-in for staff clients (`staff = true` in the clients file: the support console).
//! An authorization request of such a client never looks at the fan's session and never opens
//! one: it shows the staff page, where a staff account (`staff_accounts`, never `accounts`)
//! signs in with its password and a TOTP code, every time, so `prompt=login` and `max_age`
//! are always met. The code it issues is redeemed at `/token` for an ID token stating the
//! staff role (`staff_role`) and `amr` `["pwd", "otp"]`, with no refresh token. Failures are
//! throttled like the fans' sign-ins (`staff:<e-mail>` and the source address), with one
//! generic message whatever was wrong.

mod grant;
mod page;

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use chrono::Utc;
use store::{
    auth::{staff, throttle},
    totp,
};

use crate::{
    pages::Lang,
    routes::{
        authorize_request::{AuthorizeRequest, Prompt},
        html::{busy_page, checked_form},
        login::{client_address, unavailable},
        params,
    },
    state::GatewayState,
};

pub use grant::code_grant;

/// How long a staff authorization code stays valid.
const CODE_LIFETIME_SECONDS: i64 = 60;

/// `/authorize` for a staff client: PKCE is required, a silent request is refused (staff sign
/// in every time), else the staff page carries the request to [`submit`].
pub async fn authorize(
    req: &HttpRequest,
    params: &HashMap<String, String>,
    request: &AuthorizeRequest<'_>,
    state: &GatewayState,
) -> HttpResponse {
    if request.code_challenge.is_none() {
        return redirect(
            request,
            state,
            &[
                ("error", "invalid_request"),
                ("error_description", "staff clients must use PKCE with S256"),
            ],
        );
    }
    if request.prompt == Prompt::None {
        return redirect(
            request,
            state,
            &[
                ("error", "login_required"),
                ("error_description", "staff sign in every time"),
            ],
        );
    }
    let mut sorted: Vec<_> = params.iter().collect();
    sorted.sort();
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(sorted)
        .finish();
    page::form(Lang::of_request(req), &encoded, None, StatusCode::OK)
}

/// `POST /staff/login`: password and TOTP code of a staff account; a code for the client on
/// success.
pub async fn submit(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let fields = match checked_form(&req, &body, lang) {
        Ok(fields) => fields,
        Err(response) => return *response,
    };
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or_default();
    let Ok(params) = params::parse(field("request")) else {
        return page::invalid(lang);
    };
    let request = match AuthorizeRequest::check(&params, &state.clients) {
        Ok(request) if request.client.staff && request.code_challenge.is_some() => request,
        _ => return page::invalid(lang),
    };
    let email = field("email").trim();
    let keys = [
        format!("staff:{}", email.to_lowercase()),
        format!("address:{}", client_address(&req)),
    ];
    let Ok(mut conn) = state.pool.get().await else {
        return unavailable(lang);
    };
    match throttle::locked(&mut conn, &keys).await {
        Ok(None) => {}
        Ok(Some(retry_after)) => return page::locked(lang, field("request"), retry_after),
        Err(_) => return unavailable(lang),
    }
    let Ok(account) = staff::find_for_sign_in(&mut conn, email).await else {
        return unavailable(lang);
    };
    drop(conn);
    let hash = account.as_ref().map(|a| a.password_hash.clone());
    let Ok(password_ok) = state.passwords.verify(field("password"), hash.as_deref()).await else {
        return busy_page(lang, "/");
    };
    let Ok(mut conn) = state.pool.get().await else {
        return unavailable(lang);
    };
    // Asked again after hashing: a lock that engaged meanwhile refuses even the right password.
    match throttle::locked(&mut conn, &keys).await {
        Ok(None) => {}
        Ok(Some(retry_after)) => return page::locked(lang, field("request"), retry_after),
        Err(_) => return unavailable(lang),
    }
    let now_step = totp::step_at(Utc::now().timestamp());
    let step = account
        .as_ref()
        .filter(|_| password_ok)
        .and_then(|a| totp::matching_step(&a.totp_secret, field("code"), now_step, a.totp_last_step));
    let accepted = match (&account, step) {
        (Some(account), Some(step)) => match staff::accept_totp_step(&mut conn, account.staff_id, step).await {
            Ok(accepted) => accepted,
            Err(_) => return unavailable(lang),
        },
        _ => false,
    };
    let Some(account) = account.filter(|_| accepted) else {
        let _ = throttle::failed(&mut conn, &keys).await;
        tracing::info!("Staff sign-in refused");
        return page::form(
            lang,
            field("request"),
            Some(page::Message::Failed),
            StatusCode::UNAUTHORIZED,
        );
    };
    let _ = throttle::succeeded(&mut conn, &keys[0]).await;
    let Some(code) = crate::secrets::random_token() else {
        return unavailable(lang);
    };
    let new = staff::NewStaffCode {
        client_id: &request.client.id,
        staff_id: account.staff_id,
        redirect_uri: request.redirect_uri,
        nonce: request.nonce,
        code_challenge: request.code_challenge.unwrap_or_default(),
        lifetime: chrono::Duration::seconds(CODE_LIFETIME_SECONDS),
    };
    if staff::insert_code(&mut conn, &code, &new).await.is_err() {
        return unavailable(lang);
    }
    // Staff sign-ins are few: each clears the codes nobody redeemed (on the expiry index).
    let _ = staff::purge_expired_codes(&mut conn).await;
    tracing::info!(staff_id = %account.staff_id, client_id = %request.client.id, "Staff signed in");
    redirect(&request, &state, &[("code", &code)])
}

/// The answer to the client at its registered redirect URI, with `state` and `iss` (RFC 9207).
fn redirect(request: &AuthorizeRequest<'_>, state: &GatewayState, pairs: &[(&str, &str)]) -> HttpResponse {
    let Ok(mut url) = url::Url::parse(request.redirect_uri) else {
        return HttpResponse::BadRequest().finish();
    };
    {
        let mut query = url.query_pairs_mut();
        query.extend_pairs(pairs);
        if let Some(client_state) = request.state {
            query.append_pair("state", client_state);
        }
        query.append_pair("iss", &state.tokens.issuer);
    }
    HttpResponse::Found()
        .insert_header((actix_web::http::header::LOCATION, url.to_string()))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .finish()
}
