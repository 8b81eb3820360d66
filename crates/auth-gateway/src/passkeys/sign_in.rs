//! Signing in with a passkey: `POST /login/passkey/options` starts a discoverable ceremony
//! (no account named: the authenticator offers the fan's passkeys for this relying party) and
//! binds it to the browser; `POST /login/passkey` takes the browser's assertion, checks it
//! against the ceremony and the stored passkey, and opens a session as the other sign-ins do,
//! answering where to go next (`{"redirect": …}`, the sign-in's `return_to`).
//!
//! Every refusal is one answer, 401 `{"error":"refused"}`: no ceremony (expired, or used
//! before: a replayed assertion), an unknown or removed passkey, a signature, origin or
//! challenge that does not match, user verification missing, a counter not above the stored
//! one (a cloned authenticator), or an account that may no longer sign in.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, http::header, web};
use diesel_async::AsyncPgConnection;
use store::auth::{
    method::AuthMethod,
    passkey_challenges::{self, Purpose},
    passkeys::{self, Use},
    sessions,
};
use uuid::Uuid;
use webauthn_rs::prelude::{DiscoverableAuthentication, DiscoverableKey, Passkey, PublicKeyCredential};

use super::{binding, json_body, problem, relying_party, unavailable};
use crate::{routes::login, session_cookie, state::GatewayState};

#[derive(serde::Deserialize)]
struct OptionsRequest {
    #[serde(default)]
    return_to: String,
}

/// `POST /login/passkey/options` (`{"return_to": …}`): the options for
/// `navigator.credentials.get`, and the browser's binding cookie.
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
    let Ok((options, ceremony)) = webauthn.start_discoverable_authentication() else {
        return unavailable();
    };
    let (Ok(ceremony), Some((value, cookie))) = (serde_json::to_value(&ceremony), binding::issue()) else {
        return unavailable();
    };
    let Ok(mut conn) = state.pool.get().await else {
        return unavailable();
    };
    if passkey_challenges::store(&mut conn, &value, &Purpose::SignIn, &ceremony, &return_to)
        .await
        .is_err()
    {
        return unavailable();
    }
    HttpResponse::Ok()
        .cookie(cookie)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(options)
}

/// What an assertion led to.
enum Outcome {
    Refused(&'static str),
    SignedIn { session: String, subject: Uuid },
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
    let Some(binding) = binding::of_request(&req) else {
        return refused("no ceremony under way (no binding cookie)");
    };
    let Ok(mut pooled) = state.pool.get().await else {
        return unavailable();
    };
    let conn: &mut AsyncPgConnection = &mut pooled;
    let Ok((subject, credential_id)) = webauthn.identify_discoverable_authentication(&assertion) else {
        // The ceremony is over all the same.
        return match passkey_challenges::take(conn, &binding, true).await {
            Ok(_) => refused("no user handle"),
            Err(_) => unavailable(),
        };
    };
    // The ceremony is taken (whatever follows, it is over) and the passkey read in one round
    // trip: the two statements are independent, so they are pipelined.
    let (challenge, stored) = match futures::try_join!(
        passkey_challenges::take(conn, &binding, true),
        passkeys::find(conn, subject, credential_id)
    ) {
        Ok(found) => found,
        Err(_) => return unavailable(),
    };
    let Some(challenge) = challenge else {
        return refused("no ceremony under way (expired or used)");
    };
    let Ok(ceremony) = serde_json::from_value::<DiscoverableAuthentication>(challenge.state) else {
        return refused("unreadable ceremony");
    };
    let Some(stored) = stored else {
        return refused("unknown passkey");
    };
    let Ok(mut passkey) = serde_json::from_value::<Passkey>(stored.credential.clone()) else {
        return refused("unreadable passkey");
    };
    let key = DiscoverableKey::from(&passkey);
    let result = match webauthn.finish_discoverable_authentication(&assertion, ceremony, &[key]) {
        Ok(result) => result,
        Err(error) => {
            tracing::info!(%subject, %error, "Passkey sign-in refused");
            return refused("assertion not valid");
        }
    };
    passkey.update_credential(&result);
    let Ok(credential) = serde_json::to_value(&passkey) else {
        return unavailable();
    };
    let method = if result.backup_eligible() {
        AuthMethod::SoftwareKey
    } else {
        AuthMethod::HardwareKey
    };
    let used = Use {
        credential: &credential,
        sign_count: result.counter(),
        backup_state: result.backup_state(),
    };
    let old_session = req.cookie(session_cookie::NAME).map(|c| c.value().to_owned());
    let outcome = open_session(
        conn,
        (stored.id, subject),
        stored.sign_count,
        &used,
        old_session,
        method,
    )
    .await;
    let (session, subject) = match outcome {
        Ok(Outcome::SignedIn { session, subject }) => (session, subject),
        Ok(Outcome::Refused(why)) => {
            tracing::info!(%subject, "Passkey sign-in refused: {why}");
            return refused(why);
        }
        Err(_) => return unavailable(),
    };
    state.userinfo_cache.invalidate_subject(subject);
    crate::routes::sign_in_history::record(&state.pool, subject, store::auth::sign_in_audit::Outcome::Success);
    tracing::info!(%subject, method = method.as_str(), "Signed in with a passkey");
    let next = Some(challenge.detail)
        .filter(|r| login::safe_return(r))
        .unwrap_or_else(|| "/".into());
    HttpResponse::Ok()
        .cookie(session_cookie::cookie(session))
        .cookie(binding::removal())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "redirect": next }))
}

/// Records the use of passkey `id` (the counter it was read with, `seen`) and opens the
/// session. No transaction: the counter's conditional update, which also checks that the
/// account may sign in, decides; once it has moved, the session is written (were that to fail,
/// the fan signs in again with a higher counter, and nothing else was changed).
async fn open_session(
    conn: &mut AsyncPgConnection,
    passkey: (Uuid, Uuid),
    seen: i64,
    used: &Use<'_>,
    old_session: Option<String>,
    method: AuthMethod,
) -> Result<Outcome, diesel::result::Error> {
    let subject = passkey.1;
    if !passkeys::record_use(conn, passkey, seen, used).await? {
        return Ok(Outcome::Refused("counter did not grow, or the account may not sign in"));
    }
    // A session opened earlier in this browser (maybe another account's) ends here.
    if let Some(old) = &old_session
        && let Some(previous) = sessions::find(conn, old).await?
    {
        sessions::revoke(conn, &previous.id).await?;
    }
    let (session, _) = sessions::create(conn, subject, method).await?;
    Ok(Outcome::SignedIn { session, subject })
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
