//! E-mail code sign-in (`/login/code`): "Email me a code" on the sign-in page. The fan types the
//! address; the gateway mails an 8-digit one-time code and a link carrying it; the fan types
//! the code (or follows the link) in the same browser and is signed in, with `amr: ["otp"]` in
//! the ID token, then goes on to where the sign-in started (`return_to`, a shop's authorization
//! request). A fan without a password (an imported account that never set one) signs in this
//! way too; an unconfirmed sign-up becomes confirmed, since the code proves the mailbox.
//!
//! - **No enumeration**: the answer to a request is the same page, with a new binding cookie,
//!   for any address; whether a code is issued and mailed is decided after the answer (as
//!   `routes/forgot.rs` does), and wrong codes count against the typed address's throttle
//!   whether or not it has an account.
//! - **Who gets a code**: an account that may sign in (`accounts::find_by_email`: its contact
//!   absent or active), at most 3 codes an hour; a new code retires the older ones.
//! - **Single use, short-lived, bound to the browser, stored keyed**: 10 minutes, spent at the
//!   first right code, tied to the `__Host-code-binding` cookie of the asking browser
//!   ([`binding`]); a link opened in another browser asks for the code instead of signing in
//!   (a mail scanner or a forwarded mail signs nobody in). Why the stored form is an HMAC keyed
//!   with that cookie: `store::auth::email_codes`.
//! - **Guessing** is throttled like passwords (`store::auth::throttle`, the same `account:` and
//!   `address:` keys as the password form: 5 failures lock for 1 minute, doubling up to 15),
//!   and 5 wrong codes burn the code.
//! - **Pre-hijacking**: when a code confirms a sign-up nobody had confirmed, the password chosen
//!   at that sign-up is dropped (whoever registered the address first may not own it).
//!
//! The code page (`verify.rs`) takes the typed code, or the link's, behind one button, so
//! nothing is spent by merely opening a page.

mod binding;
mod page;
mod verify;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use store::auth::{
    accounts,
    email_codes::{self, DIGITS, NewEmailCode, PER_HOUR},
    throttle,
};

pub use verify::{open_link, submit};

use self::binding::Binding;
use crate::{
    pages::Lang,
    routes::{
        forgot::{ADDRESS_WINDOW, REQUESTS_PER_ADDRESS},
        html::{checked_form, html, locked_page},
        login, params,
    },
    state::GatewayState,
};

/// The mail template (`sync-worker`'s `mail_templates.rs`).
const TEMPLATE: &str = "sign-in-code";

/// `GET /login/code`: the form asking for the address.
pub async fn show(req: HttpRequest) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let return_to = return_to(&params::parse(req.query_string()).unwrap_or_default());
    let Some((csrf, cookie)) = crate::csrf::issue() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    html(
        StatusCode::OK,
        page::request(lang, &csrf, &return_to, "", None),
        Some(cookie),
    )
}

/// `POST /login/code`: the page to type the code, the same for every address, with a new
/// binding; the code is issued and mailed after the answer.
pub async fn request(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let fields = match checked_form(&req, &body, lang) {
        Ok(fields) => fields,
        Err(answer) => return *answer,
    };
    let return_to = return_to(&fields);
    let csrf = fields.get("csrf").cloned().unwrap_or_default();
    let email = fields.get("email").map(|e| e.trim().to_owned()).unwrap_or_default();
    if model::Email::parse(email.as_str()).is_err() {
        let page = page::request(lang, &csrf, &return_to, &email, Some(page::words(lang).email_missing));
        return html(StatusCode::UNPROCESSABLE_ENTITY, page, None);
    }
    let Ok(mut conn) = state.pool.get().await else {
        return login::unavailable(lang);
    };
    let key = format!("code-address:{}", login::client_address(&req));
    match throttle::over_limit(&mut conn, &key, REQUESTS_PER_ADDRESS, ADDRESS_WINDOW).await {
        Ok(None) => {}
        Ok(Some(retry_after)) => return locked_page(lang, page::words(lang).request_title, retry_after),
        Err(_) => return login::unavailable(lang),
    }
    drop(conn);
    let Some(binding) = Binding::new(&email) else {
        return login::unavailable(lang);
    };
    let cookie = binding.cookie();
    let state = state.into_inner();
    let (next, shown) = (return_to.clone(), email.clone());
    tokio::spawn(async move {
        if let Err(error) = issue(&state, &email, &binding, &next, lang).await {
            tracing::warn!(%error, "Sign-in code not sent");
        }
    });
    html(
        StatusCode::OK,
        page::enter(lang, &csrf, &return_to, Some(&shown), "", None),
        Some(cookie),
    )
}

/// Issues a code for the account of `email` (if it may sign in and is under the hourly
/// limit), bound to `binding`, retiring its older codes, and asks the worker to mail it.
async fn issue(
    state: &GatewayState,
    email: &str,
    binding: &Binding,
    return_to: &str,
    lang: Lang,
) -> anyhow::Result<()> {
    let mut pooled = state.pool.get().await?;
    let conn: &mut AsyncPgConnection = &mut pooled;
    let Some(account) = accounts::find_by_email(conn, email).await? else {
        return Ok(());
    };
    let subject = account.subject;
    let code = crate::secrets::random_digits(DIGITS).ok_or_else(|| anyhow::anyhow!("no system randomness"))?;
    let issued = conn
        .transaction::<_, diesel::result::Error, _>(async |tx: &mut AsyncPgConnection| {
            // One decision at a time per account, so the hourly limit holds under concurrency.
            accounts::lock(tx, subject).await?;
            if email_codes::created_last_hour(tx, subject).await? >= PER_HOUR {
                return Ok(false);
            }
            let new = NewEmailCode {
                subject,
                binding: &binding.value,
                code: &code,
                return_to,
            };
            email_codes::replace(tx, &new).await?;
            Ok(true)
        })
        .await?;
    if !issued {
        tracing::info!(%subject, "Sign-in code not sent: hourly limit reached");
        return Ok(());
    }
    let link = format!("{}/login/code/verify?code={code}", state.tokens.issuer);
    crate::commands::send_mail_quoting(
        state,
        account.contact_number.as_deref(),
        &account.login_email,
        TEMPLATE,
        lang,
        &link,
        &code,
    )
    .await?;
    tracing::info!(%subject, "Sign-in code sent");
    Ok(())
}

/// `return_to` of the request when it is one of our own pages, else `/`.
fn return_to(fields: &std::collections::HashMap<String, String>) -> String {
    fields
        .get("return_to")
        .filter(|r| login::safe_return(r))
        .cloned()
        .unwrap_or_else(|| "/".into())
}
