//! Fan sign-up (`/signup`): an account with a verified e-mail, created by the fan. The form
//! keeps the authorization request it came from (`return_to`), so a fan sent by the ticket shop
//! lands back there once the address is confirmed.
//!
//! - **Double opt-in**: the account cannot sign in to any client until a single-use link mailed
//!   to the address (hashed, expiring after 24 h, at most 3 an hour like set-password links) is
//!   used (`verify`); `email_verified` is true only then, and only then does the account ask
//!   for its S-360 contact (`store::auth::signup::verify`).
//! - **No account enumeration**: an address that has an account already gets the same page
//!   after the same work (the password is hashed either way), and its owner a notice instead.
//! - **Abuse limits**: sign-ups per source address and per e-mail domain per hour (429 with
//!   `Retry-After`), a honeypot field, and the links' hourly limit per account.
//! - **Passwords**: the rules of `crate::password_policy`, and when
//!   `GATEWAY_BREACHED_PASSWORDS_URL` is set, a k-anonymity range check (failing open).

mod verify;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use chrono::Duration;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use store::{
    auth::{password_tokens, signup, throttle},
    password_link::{self, VERIFY_LIFETIME},
};
use uuid::Uuid;

pub use verify::{confirm, confirm_form, resend};

use crate::{
    pages::Lang,
    routes::{
        forgot::LINKS_PER_HOUR,
        html::{checked_form, html, locked_page},
        login, params,
    },
    signup_form::{SignupForm, form, page},
    state::GatewayState,
};

/// One hour, the window of the sign-up limits.
const WINDOW: Duration = Duration::hours(1);

pub async fn show(req: HttpRequest) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let return_to = return_to(&params::parse(req.query_string()).unwrap_or_default());
    let typed = SignupForm {
        language: lang.code().into(),
        ..Default::default()
    };
    form_page(StatusCode::OK, lang, &return_to, &typed, &Vec::new())
}

pub async fn submit(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let fields = match checked_form(&req, &body, lang) {
        Ok(fields) => fields,
        Err(answer) => return *answer,
    };
    let return_to = return_to(&fields);
    let typed = SignupForm::read(&fields, lang.code());
    let mut problems = typed.problems();
    if problems.is_empty()
        && let Some(url) = &state.signup.breached_passwords_url
    {
        match crate::password_policy::breached_in_range(&state.signup.http, url, &typed.password).await {
            Ok(true) => problems.push((
                "password",
                form::Problem::Password(crate::password_policy::Refusal::Breached),
            )),
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, "Breached-password range check unavailable; password accepted"),
        }
    }
    if !problems.is_empty() {
        return form_page(StatusCode::UNPROCESSABLE_ENTITY, lang, &return_to, &typed, &problems);
    }
    let Ok(mut conn) = state.pool.get().await else {
        return login::unavailable(lang);
    };
    for (key, limit) in [
        (
            format!("signup-address:{}", login::client_address(&req)),
            state.signup.per_address,
        ),
        (format!("signup-domain:{}", typed.domain()), state.signup.per_domain),
    ] {
        match throttle::over_limit(&mut conn, &key, limit, WINDOW).await {
            Ok(None) => {}
            Ok(Some(retry_after)) => return locked_page(lang, page::words(lang).title, retry_after),
            Err(_) => return login::unavailable(lang),
        }
    }
    drop(conn);
    // Hashed whatever follows, so a taken address costs what a new one does.
    let Ok(hash) = state.passwords.hash(&typed.password).await else {
        return crate::routes::html::busy_page(lang, &format!("/signup?return_to={}", encode(&return_to)));
    };
    if !typed.trap.is_empty() {
        tracing::info!("Sign-up dropped: the honeypot field was filled in");
        return html(StatusCode::OK, page::check_mailbox(lang), None);
    }
    let Ok(mut conn) = state.pool.get().await else {
        return login::unavailable(lang);
    };
    let fan = signup::NewFan {
        email: &typed.email,
        password_hash: Some(&hash),
        given_name: &typed.given_name,
        family_name: &typed.family_name,
        language: &typed.language,
        newsletter: typed.newsletter,
    };
    let tx_conn: &mut AsyncPgConnection = &mut conn;
    let registered = tx_conn
        .transaction::<_, diesel::result::Error, _>(async |tx: &mut AsyncPgConnection| {
            let registered = signup::register(tx, &fan).await?;
            let link = match &registered {
                signup::Registered::Created(subject) | signup::Registered::Renewed(subject) => {
                    new_verify_token(tx, *subject).await?
                }
                signup::Registered::Taken { .. } => None,
            };
            Ok((registered, link))
        })
        .await;
    let Ok((registered, token)) = registered else {
        return login::unavailable(lang);
    };
    let state = state.into_inner();
    let fan_lang = Lang::negotiate(&typed.language);
    // Mailed after the answer: neither the time taken nor a broker outage tells a taken address
    // apart (a lost verification mail is sent again from the sign-in page).
    let recipient = typed.email.clone();
    tokio::spawn(async move {
        let sent = match registered {
            signup::Registered::Created(subject) | signup::Registered::Renewed(subject) => match token {
                Some(token) => {
                    tracing::info!(%subject, "Signed up; verification link sent");
                    let link = password_link::verify_link(&state.tokens.issuer, &token, &return_to);
                    crate::commands::send_mail(&state, None, &recipient, "verify-email", fan_lang, &link).await
                }
                None => Ok(()),
            },
            signup::Registered::Taken {
                subject,
                login_email,
                contact_number,
                language,
            } => {
                tracing::info!(%subject, "Sign-up for a taken address; its owner is told");
                let lang = language.as_deref().map(Lang::negotiate).unwrap_or(fan_lang);
                let link = format!("{}/password/forgot", state.tokens.issuer);
                crate::commands::send_mail(
                    &state,
                    contact_number.as_deref(),
                    &login_email,
                    "signup-exists",
                    lang,
                    &link,
                )
                .await
            }
        };
        if let Err(error) = sent {
            tracing::warn!(%error, "Sign-up mail not queued");
        }
    });
    html(StatusCode::OK, page::check_mailbox(lang), None)
}

/// A new verification token for `subject`, retiring its older links; `None` past the hourly
/// limit of links per account.
async fn new_verify_token(conn: &mut AsyncPgConnection, subject: Uuid) -> diesel::QueryResult<Option<String>> {
    let token = password_tokens::issue_in(conn, subject, "verify", VERIFY_LIFETIME, LINKS_PER_HOUR).await?;
    if token.is_none() {
        tracing::info!(%subject, "Verification link not sent: hourly limit reached");
    }
    Ok(token)
}

/// `return_to` of the request when it is one of our own pages, else `/`.
fn return_to(fields: &std::collections::HashMap<String, String>) -> String {
    fields
        .get("return_to")
        .filter(|r| login::safe_return(r))
        .cloned()
        .unwrap_or_else(|| "/".into())
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn form_page(
    status: StatusCode,
    lang: Lang,
    return_to: &str,
    typed: &SignupForm,
    problems: &form::Problems,
) -> HttpResponse {
    let Some((csrf, cookie)) = crate::csrf::issue() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    html(
        status,
        page::form(lang, &csrf, return_to, typed, problems),
        Some(cookie),
    )
}
