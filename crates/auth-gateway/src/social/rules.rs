//! The linking rules (`super`), applied once the provider's ID token passed every check: a
//! linked identity signs in; an address the provider does not vouch for (unverified, or a
//! provider not trusted for addresses) finds and makes nothing; a vouched address of an
//! existing account waits for a sign-in to THAT account (`federation::pending`); a new one
//! leads to the sign-up form (`signup.rs`).

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, http::header};
use store::auth::{
    accounts,
    federation::{
        self,
        requests::{self, Pending, Stage, Stored},
    },
    method::AuthMethod,
};

use super::{page, words::words};
use crate::{
    federation::{binding, upstream::UpstreamIdentity},
    pages::Lang,
    routes::{html::html, login},
    state::GatewayState,
};

/// The linking rules, once the provider's ID token passed every check.
#[allow(clippy::too_many_arguments)]
pub(super) async fn decide(
    req: &HttpRequest,
    state: &GatewayState,
    lang: Lang,
    provider_id: &str,
    name: &str,
    trust_email: bool,
    identity: UpstreamIdentity,
    return_to: String,
) -> HttpResponse {
    let w = words(lang);
    let Ok(mut conn) = state.pool.get().await else {
        return login::unavailable(lang);
    };
    match federation::find(&mut conn, provider_id, &identity.subject).await {
        Ok(Some(subject)) => {
            return match accounts::can_sign_in(&mut conn, subject).await {
                Ok(true) => {
                    let _ = federation::touch(&mut conn, provider_id, &identity.subject).await;
                    super::link::signed_in(req, state, &mut conn, subject, AuthMethod::Federated, &return_to).await
                }
                Ok(false) => html(
                    StatusCode::FORBIDDEN,
                    page::problem(lang, name, w.failed, &return_to),
                    None,
                ),
                Err(_) => login::unavailable(lang),
            };
        }
        Ok(None) => {}
        Err(_) => return login::unavailable(lang),
    }
    // Only a verified address from a provider trusted for addresses finds or makes an account.
    let email = identity
        .email
        .clone()
        .filter(|e| model::Email::parse(e.as_str()).is_ok())
        .filter(|_| identity.email_verified && trust_email);
    let Some(email) = email else {
        tracing::info!(provider = %provider_id, "Social sign-in refused: no verified address");
        let mut response = html(
            StatusCode::FORBIDDEN,
            page::problem(lang, name, w.unverified, &return_to),
            None,
        );
        let _ = response.add_cookie(&binding::removal());
        return response;
    };
    let existing = match accounts::find_by_email(&mut conn, &email).await {
        Ok(existing) => existing.map(|a| a.subject),
        Err(_) => return login::unavailable(lang),
    };
    let pending = Pending {
        provider_id: provider_id.to_owned(),
        upstream_subject: Some(identity.subject.clone()),
        email: Some(email.clone()),
        given_name: identity.given_name.clone(),
        family_name: identity.family_name.clone(),
        subject: existing,
        return_to: return_to.clone(),
        ..Default::default()
    };
    let stage = if existing.is_some() { Stage::Link } else { Stage::Signup };
    let Some(value) = binding::new() else {
        return login::unavailable(lang);
    };
    let stored = Stored {
        binding: &value,
        stage,
        pending: &pending,
    };
    if requests::store(&mut conn, &stored).await.is_err() {
        return login::unavailable(lang);
    }
    if existing.is_some() {
        // Never linked on the address alone: the fan signs in to that account first.
        tracing::info!(provider = %provider_id, "Social sign-in: the address has an account; sign-in asked before linking");
        return html(
            StatusCode::OK,
            page::link_required(lang, name, &email, &return_to),
            Some(binding::cookie(value)),
        );
    }
    HttpResponse::SeeOther()
        .cookie(binding::cookie(value))
        .insert_header((header::LOCATION, "/login/social/signup"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}
