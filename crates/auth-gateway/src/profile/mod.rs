//! `GET/POST /profile`: "complete or update my profile" (seed step 10). A signed-in session is
//! required (else a redirect to the sign-in page and back); the page follows the contact's
//! language; the form is CSRF-protected and validated on the server. A valid change becomes an
//! `UpdateProfile` command to the worker, answered only once the broker has confirmed it
//! (503 with `Retry-After` when it cannot); the worker updates the mirror and queues the
//! write-back to S-360.

pub mod form;
pub mod page;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use prost::Message;
use store::schema::{accounts, contacts};
use uuid::Uuid;

use store::auth::sessions;

use crate::{
    pages::Lang,
    routes::{html::html, login::unavailable, params},
    session_cookie,
    state::GatewayState,
};
use form::Profile;

/// The signed-in user's contact as the form needs it.
struct Current {
    subject: Uuid,
    contact_number: String,
    profile: Profile,
    /// S-360's modification time of the mirror row, when its payload had one.
    base: Option<DateTime<Utc>>,
    lang: Lang,
}

enum Access {
    Granted(Box<Current>),
    /// A fan who signed up and has no S-360 contact yet: nothing to edit until it exists.
    NoContact,
    SignIn,
    Unavailable,
}

pub async fn show(req: HttpRequest, state: web::Data<GatewayState>) -> HttpResponse {
    let current = match current(&req, &state).await {
        Access::Granted(current) => current,
        Access::NoContact => return no_contact(&req),
        Access::SignIn => return sign_in(),
        Access::Unavailable => return unavailable(Lang::of_request(&req)),
    };
    form_page(StatusCode::OK, &current, &current.profile, &form::Problems::new())
}

pub async fn submit(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let current = match current(&req, &state).await {
        Access::Granted(current) => current,
        Access::NoContact => return no_contact(&req),
        Access::SignIn => return sign_in(),
        Access::Unavailable => return unavailable(Lang::of_request(&req)),
    };
    let lang = current.lang;
    let Ok(fields) = std::str::from_utf8(&body)
        .map_err(drop)
        .and_then(|t| params::parse(t).map_err(drop))
    else {
        return html(
            StatusCode::BAD_REQUEST,
            crate::pages::error(lang, "The form is malformed."),
            None,
        );
    };
    if !crate::csrf::check(&req, fields.get("csrf").map(String::as_str).unwrap_or_default()) {
        return html(
            StatusCode::FORBIDDEN,
            crate::pages::error(lang, "The form expired; please try again."),
            None,
        );
    }
    let known: Vec<String> = current.profile.opt_ins.keys().cloned().collect();
    let submitted = Profile {
        extra_lines: current.profile.extra_lines.clone(),
        ..Profile::from_form(&fields, &known)
    };
    let mut problems = submitted.validate(Utc::now().date_naive());
    // A language S-360 set that the list does not offer may be kept.
    if submitted.language == current.profile.language {
        problems.remove("language");
    }
    if !problems.is_empty() {
        return form_page(StatusCode::UNPROCESSABLE_ENTITY, &current, &submitted, &problems);
    }
    let Some(changes) = submitted.changes_from(&current.profile) else {
        return html(StatusCode::OK, page::done(lang, false), None);
    };
    // The modification time of the row the user saw (the form's), else of the row now.
    let base = fields
        .get("base")
        .and_then(|b| DateTime::parse_from_rfc3339(b).ok())
        .map(|b| b.with_timezone(&Utc))
        .or(current.base);
    let command_id = Uuid::new_v4().to_string();
    let command = model::bus::UpdateProfile {
        command_id: command_id.clone(),
        contact_number: current.contact_number.clone(),
        subject_id: current.subject.to_string(),
        base_modified_at: base.map(model::bus::timestamp),
        changes: Some(changes),
    };
    let published = crate::commands::publish(
        &state,
        model::bus::UPDATE_PROFILE_ROUTING_KEY,
        model::bus::UPDATE_PROFILE_CONTENT_TYPE,
        command_id,
        command.encode_to_vec(),
    )
    .await;
    if let Err(error) = published {
        tracing::warn!(%error, "Profile change not queued: the broker did not confirm it");
        return unavailable(lang);
    }
    tracing::info!(subject = %current.subject, "Profile change queued");
    html(StatusCode::OK, page::done(lang, true), None)
}

fn form_page(status: StatusCode, current: &Current, profile: &Profile, problems: &form::Problems) -> HttpResponse {
    let Some((csrf, cookie)) = crate::csrf::issue() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    let base = current.base.map(|b| b.to_rfc3339()).unwrap_or_default();
    let mut response = html(
        status,
        page::render(current.lang, &csrf, &base, profile, problems),
        Some(cookie),
    );
    response.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static("content-security-policy"),
        actix_web::http::header::HeaderValue::from_static(
            "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    response
}

/// The profile of a fan whose S-360 contact is still being created.
fn no_contact(req: &HttpRequest) -> HttpResponse {
    html(StatusCode::OK, page::no_contact(Lang::of_request(req)), None)
}

/// To the sign-in page, which returns here.
fn sign_in() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, "/login?return_to=%2Fprofile"))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .finish()
}

async fn current(req: &HttpRequest, state: &GatewayState) -> Access {
    let Some(cookie) = req.cookie(session_cookie::NAME) else {
        return Access::SignIn;
    };
    let Ok(mut conn) = state.pool.get().await else {
        return Access::Unavailable;
    };
    match sessions::find(&mut conn, cookie.value()).await {
        Ok(Some(session)) => match load(&mut conn, session.subject, req).await {
            Ok(Some(current)) => Access::Granted(Box::new(current)),
            Ok(None) => match store::auth::accounts::identity(&mut conn, session.subject).await {
                Ok(Some(identity)) if identity.contact_number.is_none() => Access::NoContact,
                Ok(_) => Access::SignIn,
                Err(_) => Access::Unavailable,
            },
            Err(_) => Access::Unavailable,
        },
        Ok(None) => Access::SignIn,
        Err(_) => Access::Unavailable,
    }
}

type ContactRow = (
    String,
    Option<String>,
    Option<String>,
    Option<chrono::NaiveDate>,
    Option<String>,
    Option<String>,
    serde_json::Value,
    serde_json::Value,
    serde_json::Value,
);

/// The account's contact, if it is active (merged and anonymised contacts have no session).
async fn load(conn: &mut AsyncPgConnection, subject: Uuid, req: &HttpRequest) -> QueryResult<Option<Current>> {
    let row: Option<ContactRow> = accounts::table
        .inner_join(contacts::table.on(contacts::contact_number.nullable().eq(accounts::contact_number)))
        .filter(accounts::subject_id.eq(subject))
        .filter(contacts::state.eq("active"))
        .select((
            contacts::contact_number,
            contacts::first_name,
            contacts::last_name,
            contacts::birth_date,
            contacts::phone,
            contacts::language,
            contacts::addresses,
            contacts::authorizations,
            contacts::raw,
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(
        |(contact_number, first, last, birth, phone, language, addresses, opt_ins, raw)| {
            let lang = match language.as_deref() {
                Some("fr") => Lang::Fr,
                Some("de") => Lang::De,
                Some("en") => Lang::En,
                _ => Lang::of_request(req),
            };
            let list = addresses.as_array().cloned().unwrap_or_default();
            let main = list
                .iter()
                .find(|a| a["main"] == true)
                .or(<[serde_json::Value]>::first(&list));
            let field = |key: &str| main.and_then(|a| a[key].as_str()).unwrap_or_default().to_owned();
            let line = |i: usize| main.and_then(|a| a["lines"][i].as_str()).unwrap_or_default().to_owned();
            let profile = Profile {
                first_name: first.unwrap_or_default(),
                last_name: last.unwrap_or_default(),
                birth_date: birth.map(|d| d.to_string()).unwrap_or_default(),
                phone: phone.map(|p| form::normalise_phone(&p)).unwrap_or_default(),
                language: language.unwrap_or_default(),
                lines: [line(0), line(1)],
                extra_lines: (2..4).map(line).filter(|l| !l.is_empty()).collect(),
                zip_code: field("zip_code"),
                town: field("town"),
                country: field("country_code"),
                opt_ins: opt_ins
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| Some((a["code"].as_str()?.to_owned(), a["allowed"].as_bool()?)))
                    .collect(),
            };
            let base = model::secutix::envelope(&raw.to_string())
                .ok()
                .and_then(|e| e.modified_at)
                .map(|t| t.with_timezone(&Utc));
            Current {
                subject,
                contact_number,
                profile,
                base,
                lang,
            }
        },
    ))
}
