//! `/login/social/signup`: the first-time fan whose verified address has no account. The form
//! is `/signup`'s without the password and the address (the provider confirmed it): names
//! prefilled from the provider's claims, language, the privacy policy to accept, the
//! newsletter to opt into. The account is registered and verified with the sign-up's own store
//! functions (`store::auth::signup::{register, verify}`), so it asks for its S-360 contact the
//! same way, and is signed in at once with `amr: ["fed"]`. The sign-up limit per source
//! address applies as on `/signup`.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use chrono::Duration;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use store::auth::{
    federation::{
        self,
        requests::{self, Pending, Stage, Stored},
    },
    method::AuthMethod,
    signup, throttle,
};

use super::page;
use crate::{
    federation::binding,
    pages::Lang,
    routes::{
        html::{checked_form, html, locked_page},
        login,
    },
    signup_form::SignupForm,
    state::GatewayState,
};

/// `GET /login/social/signup`: the form, for the browser's live sign-up stage.
pub async fn signup_form(req: HttpRequest, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let Ok(mut conn) = state.pool.get().await else {
        return login::unavailable(lang);
    };
    let pending = match binding::of_request(&req) {
        Some(value) => match requests::peek(&mut conn, &value, Stage::Signup).await {
            Ok(pending) => pending,
            Err(_) => return login::unavailable(lang),
        },
        None => None,
    };
    let Some(pending) = pending else {
        return expired(lang, &state);
    };
    let typed = SignupForm {
        email: pending.email.clone().unwrap_or_default(),
        given_name: pending.given_name.clone().unwrap_or_default(),
        family_name: pending.family_name.clone().unwrap_or_default(),
        language: lang.code().into(),
        ..Default::default()
    };
    render(lang, &state, &pending, StatusCode::OK, &typed, &Vec::new())
}

/// `POST /login/social/signup`: registers, verifies, links and signs in.
pub async fn signup_submit(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let fields = match checked_form(&req, &body, lang) {
        Ok(fields) => fields,
        Err(answer) => return *answer,
    };
    let Some(value) = binding::of_request(&req) else {
        return expired(lang, &state);
    };
    let Ok(mut pooled) = state.pool.get().await else {
        return login::unavailable(lang);
    };
    let conn: &mut AsyncPgConnection = &mut pooled;
    let Ok(Some(pending)) = requests::peek(conn, &value, Stage::Signup).await else {
        return expired(lang, &state);
    };
    let mut typed = SignupForm::read(&fields, lang.code());
    typed.email = pending.email.clone().unwrap_or_default();
    // The provider stands for the address and there is no password: the other rules remain.
    let problems: Vec<_> = typed
        .problems()
        .into_iter()
        .filter(|(field, _)| *field != "password")
        .collect();
    if !problems.is_empty() {
        return render(
            lang,
            &state,
            &pending,
            StatusCode::UNPROCESSABLE_ENTITY,
            &typed,
            &problems,
        );
    }
    let key = format!("signup-address:{}", login::client_address(&req));
    match throttle::over_limit(conn, &key, state.signup.per_address, Duration::hours(1)).await {
        Ok(None) => {}
        Ok(Some(retry_after)) => return locked_page(lang, crate::signup_form::page::words(lang).title, retry_after),
        Err(_) => return login::unavailable(lang),
    }
    let fan = signup::NewFan {
        email: &typed.email,
        password_hash: None,
        given_name: &typed.given_name,
        family_name: &typed.family_name,
        language: &typed.language,
        newsletter: typed.newsletter,
    };
    let outcome = conn
        .transaction::<_, diesel::result::Error, _>(async |tx: &mut AsyncPgConnection| {
            // Spent in the same transaction: a second submit finds nothing to register.
            let Some(pending) = requests::take(tx, &value, Stage::Signup).await? else {
                return Ok(None);
            };
            let upstream_subject = pending.upstream_subject.clone().unwrap_or_default();
            match signup::register(tx, &fan).await? {
                signup::Registered::Created(subject) | signup::Registered::Renewed(subject) => {
                    signup::verify(tx, subject).await?;
                    if !federation::link(tx, &pending.provider_id, &upstream_subject, subject, Some(fan.email)).await? {
                        return Err(diesel::result::Error::RollbackTransaction);
                    }
                    Ok(Some(Ok(subject)))
                }
                // Registered meanwhile by another way: the linking rule for existing accounts.
                signup::Registered::Taken { subject, .. } => {
                    let relinked = Pending {
                        subject: Some(subject),
                        ..pending
                    };
                    Ok(Some(Err(relinked)))
                }
            }
        })
        .await;
    match outcome {
        Ok(None) => expired(lang, &state),
        Ok(Some(Ok(subject))) => {
            tracing::info!(%subject, provider = %pending.provider_id, "Account created through an upstream provider");
            super::link::signed_in(&req, &state, conn, subject, AuthMethod::Federated, &pending.return_to).await
        }
        Ok(Some(Err(relinked))) => link_instead(lang, &state, conn, relinked).await,
        Err(_) => login::unavailable(lang),
    }
}

/// The address got an account between the callback and the form: sign in to it to link.
async fn link_instead(
    lang: Lang,
    state: &GatewayState,
    conn: &mut AsyncPgConnection,
    pending: Pending,
) -> HttpResponse {
    let Some(value) = binding::new() else {
        return login::unavailable(lang);
    };
    let stored = Stored {
        binding: &value,
        stage: Stage::Link,
        pending: &pending,
    };
    if requests::store(conn, &stored).await.is_err() {
        return login::unavailable(lang);
    }
    let name = state.social.name(&pending.provider_id);
    html(
        StatusCode::OK,
        page::link_required(
            lang,
            name,
            pending.email.as_deref().unwrap_or_default(),
            &pending.return_to,
        ),
        Some(binding::cookie(value)),
    )
}

fn render(
    lang: Lang,
    state: &GatewayState,
    pending: &Pending,
    status: StatusCode,
    typed: &SignupForm,
    problems: &crate::signup_form::form::Problems,
) -> HttpResponse {
    let Some((csrf, cookie)) = crate::csrf::issue() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    let name = state.social.name(&pending.provider_id);
    html(status, page::signup(lang, name, &csrf, typed, problems), Some(cookie))
}

fn expired(lang: Lang, _state: &GatewayState) -> HttpResponse {
    html(StatusCode::BAD_REQUEST, page::expired(lang), None)
}
