//! A signed-in fan's passkeys: `GET /profile/passkeys` lists them (name, created, last used)
//! with a remove button each and the "Add a passkey" form; `POST /profile/passkeys/options`
//! (`{"csrf","name"}`) starts an enrolment bound to the browser and the session;
//! `POST /profile/passkeys` (`{"csrf","credential"}`) checks the authenticator's answer and
//! stores the passkey; `POST /profile/passkeys/remove` (a plain form) removes one. Every step
//! needs the session and the CSRF token.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, http::header, web};
use diesel_async::AsyncPgConnection;
use store::auth::{
    accounts, passkey_ceremonies,
    passkeys::{self, NAME_MAX, NewPasskey, PER_ACCOUNT},
};
use webauthn_rs::prelude::{Credential, CredentialID, PasskeyRegistration, RegisterPublicKeyCredential};

use super::{
    ceremony::{self, Ceremony, Purpose},
    json_body, page, problem, relying_party, session_of, unavailable,
};
use crate::{
    pages::Lang,
    routes::{
        html::{checked_form, html},
        login,
    },
    state::GatewayState,
};

/// Where the passkeys are managed; the sign-in page returns here.
pub const PATH: &str = "/profile/passkeys";

/// `GET /profile/passkeys`.
pub async fn manage(req: HttpRequest, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let Ok(mut conn) = state.pool.get().await else {
        return login::unavailable(lang);
    };
    let session = match session_of(&req, &mut conn).await {
        Ok(Some(session)) => session,
        Ok(None) => {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/login?return_to=%2Fprofile%2Fpasskeys"))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish();
        }
        Err(_) => return login::unavailable(lang),
    };
    let Ok(list) = passkeys::list(&mut conn, session.subject).await else {
        return login::unavailable(lang);
    };
    let Some((csrf, cookie)) = crate::csrf::issue() else {
        return login::unavailable(lang);
    };
    let enabled = state.passkeys.is_some();
    let mut response = html(StatusCode::OK, page::manage(lang, &csrf, &list, enabled), Some(cookie));
    page::allow_script(&mut response);
    response
}

#[derive(serde::Deserialize)]
struct OptionsRequest {
    csrf: String,
    name: String,
}

/// `POST /profile/passkeys/options`: the options for `navigator.credentials.create`.
pub async fn enrol_options(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let webauthn = match relying_party(&state) {
        Ok(webauthn) => webauthn,
        Err(answer) => return *answer,
    };
    let asked: OptionsRequest = match json_body(&body) {
        Ok(asked) => asked,
        Err(answer) => return *answer,
    };
    if !crate::csrf::check(&req, &asked.csrf) {
        return forbidden();
    }
    let name = asked.name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
        return problem(
            StatusCode::BAD_REQUEST,
            "name",
            "Give the passkey a name of 1 to 64 characters.",
        );
    }
    let Ok(mut pooled) = state.pool.get().await else {
        return unavailable();
    };
    let conn: &mut AsyncPgConnection = &mut pooled;
    let session = match session_of(&req, conn).await {
        Ok(Some(session)) => session,
        Ok(None) => return forbidden(),
        Err(_) => return unavailable(),
    };
    let subject = session.subject;
    let (identity, existing) = match (
        accounts::identity(conn, subject).await,
        passkeys::list(conn, subject).await,
    ) {
        (Ok(Some(identity)), Ok(existing)) => (identity, existing),
        (Ok(None), _) => return forbidden(),
        _ => return unavailable(),
    };
    if existing.len() as i64 >= PER_ACCOUNT {
        return problem(
            StatusCode::CONFLICT,
            "too_many",
            "Remove a passkey before adding another.",
        );
    }
    // The authenticator refuses to make a second passkey for an account it already holds one of.
    let exclude: Vec<CredentialID> = existing.into_iter().map(|p| p.credential_id.into()).collect();
    let email = identity.login_email;
    let Ok((options, registration)) = webauthn.start_passkey_registration(subject, &email, &email, Some(exclude))
    else {
        return unavailable();
    };
    let purpose = Purpose::Enrol {
        session: session.id,
        subject,
    };
    let (Ok(mut options), Some(cookie)) = (
        serde_json::to_value(&options),
        Ceremony::new(purpose, registration, name.to_owned()).cookie(state.keys.sealer()),
    ) else {
        return unavailable();
    };
    // The ceremony names the passkeys the account holds (the authenticator must not make a
    // second one): with many of unusually long ids, it would outgrow what a browser keeps.
    if !ceremony::fits(&cookie) {
        return problem(
            StatusCode::CONFLICT,
            "too_many",
            "Remove a passkey before adding another.",
        );
    }
    // A discoverable credential, so the fan can sign in without typing the address (webauthn-rs
    // only hints at it; the server checks nothing that depends on it).
    let selection = &mut options["publicKey"]["authenticatorSelection"];
    selection["residentKey"] = "required".into();
    selection["requireResidentKey"] = true.into();
    HttpResponse::Ok()
        .cookie(cookie)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(options)
}

#[derive(serde::Deserialize)]
struct FinishRequest {
    csrf: String,
    credential: RegisterPublicKeyCredential,
}

/// `POST /profile/passkeys`: stores the new passkey.
pub async fn enrol_finish(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let webauthn = match relying_party(&state) {
        Ok(webauthn) => webauthn,
        Err(answer) => return *answer,
    };
    let finished: FinishRequest = match json_body(&body) {
        Ok(finished) => finished,
        Err(answer) => return *answer,
    };
    if !crate::csrf::check(&req, &finished.csrf) {
        return forbidden();
    }
    let Ok(mut pooled) = state.pool.get().await else {
        return unavailable();
    };
    let conn: &mut AsyncPgConnection = &mut pooled;
    let session = match session_of(&req, conn).await {
        Ok(Some(session)) => session,
        Ok(None) => return forbidden(),
        Err(_) => return unavailable(),
    };
    // The ceremony this browser started, in this session; spent by this answer, right or wrong.
    let enrolling = Purpose::Enrol {
        session: session.id.clone(),
        subject: session.subject,
    };
    let Some(ceremony) =
        Ceremony::<PasskeyRegistration>::of_request(&req, state.keys.sealer()).filter(|c| c.purpose == enrolling)
    else {
        return not_enrolled();
    };
    match passkey_ceremonies::spend(conn, ceremony.id).await {
        Ok(true) => {}
        Ok(false) => return not_enrolled(),
        Err(_) => return unavailable(),
    }
    let passkey = match webauthn.finish_passkey_registration(&finished.credential, &ceremony.state) {
        Ok(passkey) => passkey,
        Err(error) => {
            tracing::info!(subject = %session.subject, %error, "Passkey enrolment refused");
            return not_enrolled();
        }
    };
    let Ok(stored) = serde_json::to_value(&passkey) else {
        return unavailable();
    };
    let credential = Credential::from(passkey);
    let new = NewPasskey {
        subject: session.subject,
        credential_id: credential.cred_id.as_ref(),
        name: &ceremony.detail,
        credential: &stored,
        sign_count: credential.counter,
        backup_eligible: credential.backup_eligible,
        backup_state: credential.backup_state,
    };
    match passkeys::insert(conn, &new).await {
        Ok(true) => {}
        Ok(false) => {
            return problem(StatusCode::CONFLICT, "enrolled", "This passkey is already enrolled.");
        }
        Err(_) => return unavailable(),
    }
    tracing::info!(subject = %session.subject, "Passkey enrolled");
    HttpResponse::Ok()
        .cookie(ceremony::removal())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "redirect": PATH }))
}

/// `POST /profile/passkeys/remove` (`csrf`, `id`): back to the list.
pub async fn remove(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let fields = match checked_form(&req, &body, lang) {
        Ok(fields) => fields,
        Err(answer) => return *answer,
    };
    let Some(id) = fields.get("id").and_then(|id| uuid::Uuid::parse_str(id).ok()) else {
        return html(
            StatusCode::BAD_REQUEST,
            crate::pages::error(lang, "The form is malformed."),
            None,
        );
    };
    let Ok(mut conn) = state.pool.get().await else {
        return login::unavailable(lang);
    };
    let session = match session_of(&req, &mut conn).await {
        Ok(Some(session)) => session,
        Ok(None) => {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/login?return_to=%2Fprofile%2Fpasskeys"))
                .finish();
        }
        Err(_) => return login::unavailable(lang),
    };
    match passkeys::remove(&mut conn, session.subject, id).await {
        Ok(true) => tracing::info!(subject = %session.subject, "Passkey removed"),
        Ok(false) => {}
        Err(_) => return login::unavailable(lang),
    }
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, PATH))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn forbidden() -> HttpResponse {
    problem(
        StatusCode::FORBIDDEN,
        "forbidden",
        "Sign in again, reload the page and try again.",
    )
}

fn not_enrolled() -> HttpResponse {
    problem(
        StatusCode::BAD_REQUEST,
        "refused",
        "The passkey could not be added. Reload the page and try again.",
    )
}
