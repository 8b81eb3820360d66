//! Signing in with a passkey: `POST /login/passkey/options` starts a discoverable ceremony
//! (no account named: the authenticator offers the fan's passkeys for this relying party) and
//! hands it to the browser sealed in a cookie ([`ceremony`](super::ceremony)); `POST
//! /login/passkey` takes the browser's assertion, checks it against the ceremony and the stored
//! passkey, and opens a session as the other sign-ins do, answering where to go next
//! (`{"redirect": …}`, the sign-in's `return_to`).
//!
//! Two statements per sign-in, none for the options: the passkey read, then one statement that
//! spends the ceremony, moves the counter, opens the session and writes the sign-in history
//! (`store::auth::passkey_sign_in`).
//!
//! Every refusal is one answer, 401 `{"error":"refused"}`: no ceremony (none, expired, sealed
//! with another key, or answered before: a replayed assertion), an unknown or removed passkey,
//! a signature, origin or challenge that does not match, user verification missing, a counter
//! not above the stored one (a cloned authenticator), or an account that may no longer sign in.
//! A ceremony is spent by its first answer, right or wrong.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, http::header, web};
use diesel_async::AsyncPgConnection;
use store::auth::{
    method::AuthMethod,
    passkey_ceremonies,
    passkey_sign_in::{self, SignedIn, Verified},
    passkeys,
};
use uuid::Uuid;
use webauthn_rs::prelude::{DiscoverableAuthentication, DiscoverableKey, Passkey, PublicKeyCredential};

use super::{
    ceremony::{self, Ceremony, Purpose},
    json_body, problem, relying_party, unavailable,
};
use crate::{routes::login, session_cookie, state::GatewayState};

#[derive(serde::Deserialize)]
struct OptionsRequest {
    #[serde(default)]
    return_to: String,
}

/// `POST /login/passkey/options` (`{"return_to": …}`): the options for
/// `navigator.credentials.get`, and the ceremony's cookie.
pub async fn sign_in_options(body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let webauthn = match relying_party(&state) {
        Ok(webauthn) => webauthn,
        Err(answer) => return *answer,
    };
    let asked: OptionsRequest = match json_body(&body) {
        Ok(asked) => asked,
        Err(answer) => return *answer,
    };
    let return_to = Some(asked.return_to)
        .filter(|r| login::safe_return(r))
        .unwrap_or_else(|| "/".into());
    let Ok((options, state_of_ceremony)) = webauthn.start_discoverable_authentication() else {
        return unavailable();
    };
    let Some(cookie) = Ceremony::new(Purpose::SignIn, state_of_ceremony, return_to).cookie(state.keys.sealer()) else {
        return unavailable();
    };
    HttpResponse::Ok()
        .cookie(cookie)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(options)
}

/// `POST /login/passkey` (the `PublicKeyCredential` as JSON): a session, and where to go.
pub async fn sign_in_finish(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let webauthn = match relying_party(&state) {
        Ok(webauthn) => webauthn,
        Err(answer) => return *answer,
    };
    let assertion: PublicKeyCredential = match json_body(&body) {
        Ok(assertion) => assertion,
        Err(answer) => return *answer,
    };
    let Some(ceremony) = Ceremony::<DiscoverableAuthentication>::of_request(&req, state.keys.sealer())
        .filter(|c| c.purpose == Purpose::SignIn)
    else {
        return refused("no ceremony under way (no cookie, or expired)");
    };
    let Ok(mut pooled) = state.pool.get().await else {
        return unavailable();
    };
    let conn: &mut AsyncPgConnection = &mut pooled;
    let Ok((subject, credential_id)) = webauthn.identify_discoverable_authentication(&assertion) else {
        return spend_and_refuse(conn, ceremony.id, "no user handle").await;
    };
    let stored = match passkeys::find(conn, subject, credential_id).await {
        Ok(Some(stored)) => stored,
        Ok(None) => return spend_and_refuse(conn, ceremony.id, "unknown passkey").await,
        Err(_) => return unavailable(),
    };
    let Ok(passkey) = serde_json::from_value::<Passkey>(stored.credential) else {
        return spend_and_refuse(conn, ceremony.id, "unreadable passkey").await;
    };
    let Ceremony {
        id,
        state: challenge,
        detail: return_to,
        ..
    } = ceremony;
    let key = DiscoverableKey::from(&passkey);
    let result = match webauthn.finish_discoverable_authentication(&assertion, challenge, &[key]) {
        Ok(result) => result,
        Err(error) => {
            tracing::info!(%subject, %error, "Passkey sign-in refused");
            return spend_and_refuse(conn, id, "assertion not valid").await;
        }
    };
    let method = if result.backup_eligible() {
        AuthMethod::SoftwareKey
    } else {
        AuthMethod::HardwareKey
    };
    let verified = Verified {
        passkey: stored.id,
        subject,
        seen: stored.sign_count,
        counter: result.counter(),
        backup_state: result.backup_state(),
        ceremony: id,
        method,
    };
    let session = match passkey_sign_in::sign_in(conn, &verified).await {
        Ok(SignedIn::Session(session)) => session,
        Ok(SignedIn::Replayed) => return refused("ceremony answered before"),
        Ok(SignedIn::Refused) => {
            tracing::info!(%subject, "Passkey sign-in refused: counter did not grow, or the account may not sign in");
            return refused("counter or account");
        }
        Err(_) => return unavailable(),
    };
    session_cookie::end_previous(&req, conn).await;
    state.userinfo_cache.invalidate_subject(subject);
    tracing::info!(%subject, method = method.as_str(), "Signed in with a passkey");
    let next = Some(return_to)
        .filter(|r| login::safe_return(r))
        .unwrap_or_else(|| "/".into());
    HttpResponse::Ok()
        .cookie(session_cookie::cookie(session))
        .cookie(ceremony::removal())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "redirect": next }))
}

/// Spends the ceremony `id` whose answer is refused (it is over all the same), then refuses.
async fn spend_and_refuse(conn: &mut AsyncPgConnection, id: Uuid, why: &str) -> HttpResponse {
    match passkey_ceremonies::spend(conn, id).await {
        Ok(_) => refused(why),
        Err(_) => unavailable(),
    }
}

/// The one refusal; `why` is for the log only.
fn refused(why: &str) -> HttpResponse {
    tracing::debug!("Passkey sign-in refused: {why}");
    problem(
        StatusCode::UNAUTHORIZED,
        "refused",
        "This passkey cannot sign you in here. Try again, or sign in with your password or an e-mail code.",
    )
}
