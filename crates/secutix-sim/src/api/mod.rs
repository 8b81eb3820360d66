//! The contact API, REST-RPC as S-360 publishes it: `POST` with a JSON body to
//! `/tnco/backend-apis/<service>/<version>/<method>`. Every call needs a fresh HS256 token
//! ([`token`]) and counts against one shared rate limit ([`limit`]); both are held by the
//! [`Admission`] that `app` builds once and registers as this module's own `web::Data`.
//!
//! Shapes (assumed where S-360's public documentation is silent):
//!
//! - `contactInformationPublicService/v2_21/getContactData`: `{"contactNumber": "..."}` →
//!   200 `{"statusCode": "success", "contactData": <getContactData object>}`. A merged contact
//!   is returned with `mergedIntoContactNumber`, an anonymised one with `anonymized: true`
//!   (that is how a reconciliation learns of them); unknown or deleted → 404.
//! - `contactInformationPublicService/v2_21/saveIndividualContactData`: `{"contactNumber":
//!   "...", "lastModificationDate": "<optional base version>", "individualContact": {...},
//!   "addresses": [...], "authorizations": [...]}`: a partial update (objects merged member by
//!   member, arrays replaced). Without `contactNumber` a contact is created. With
//!   `lastModificationDate`, the update is refused with 409 `stale_version` when the contact
//!   changed since (compare-and-set on S-360's modification time; without it, last write
//!   wins). → 200 `{"statusCode": "success", "contactNumber": "...", "lastModificationDate":
//!   "<new>", "contactData": {...}}`. The change is queued for the webhook like any other.
//! - `contactSocialLoginService/v1_0/addLink`: `{"contactNumber", "provider",
//!   "providerUserReference"}` → 200 `{"statusCode": "success", "contactNumber": "..."}`;
//!   linking the same pair again succeeds; 404 unknown, 409 `contact_merged`, 410
//!   `contact_anonymised`, 409 `sso_id_already_linked` (the id belongs to another contact), 409
//!   `contact_already_linked` (the contact has another id of this provider).
//! - `contactInformationPublicService/v2_21/searchContact`: `{"email": "...", "provider":
//!   "<optional>"}` → 200 `{"statusCode": "success", "contacts": [{"contactNumber": "...",
//!   "firstname", "lastname", "email", "hasLogin": bool, "linked": bool}]}`: the active PUBLIC
//!   individual contacts with this e-mail (any letter case, with or without a login), in
//!   contact-number order; `linked` says whether the contact has an SSO link of `provider` (of
//!   any provider when none is given). S-360 documents that `searchContact` exists, not its
//!   shape. An empty e-mail is 400 `wrong_shape`.
//!
//! Errors are `{"error": "<code>", "message": "...", "statusCode": "failure"}`: 401
//! `invalid_token`, 509 (or 429) `rate_limited` with `Retry-After`, 400 for a malformed body,
//! 422 for a read-only or badly typed member.

pub mod calls;
pub mod limit;
pub mod token;

use std::time::{Instant, SystemTime};

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    config::ApiConfig,
    error::{ApiError, json_body},
    state::SimState,
    stats,
    store::StoreError,
};
use limit::RateLimiter;
use token::TokenRules;

/// Where the contact API lives.
pub const CONTACT_SERVICE: &str = "/tnco/backend-apis/contactInformationPublicService/v2_21";
pub const SOCIAL_LOGIN_SERVICE: &str = "/tnco/backend-apis/contactSocialLoginService/v1_0";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        &format!("{CONTACT_SERVICE}/getContactData"),
        web::post().to(get_contact_data),
    )
    .route(
        &format!("{CONTACT_SERVICE}/saveIndividualContactData"),
        web::post().to(save_individual_contact_data),
    )
    .route(
        &format!("{CONTACT_SERVICE}/searchContact"),
        web::post().to(search_contact),
    )
    .route(&format!("{SOCIAL_LOGIN_SERVICE}/addLink"), web::post().to(add_link));
}

/// What a call must pass before it is served: one instance for the whole server, so every
/// worker counts against the same rate limit.
pub struct Admission {
    tokens: TokenRules,
    limiter: RateLimiter,
    limit: u32,
    window: std::time::Duration,
    calls: calls::CallLog,
}

impl Admission {
    pub fn new(config: &ApiConfig) -> Self {
        Self {
            tokens: TokenRules::new(config),
            limiter: RateLimiter::new(config.api_rate_limit, config.api_rate_window),
            limit: config.api_rate_limit,
            window: config.api_rate_window,
            calls: calls::CallLog::default(),
        }
    }
}

/// The token check, then the rate limit; both counted, and the call logged.
fn admit(state: &SimState, admission: &Admission, req: &HttpRequest, operation: &'static str) -> Result<(), ApiError> {
    stats::bump(&state.stats.api_calls);
    let authorization = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Err(error) = admission.tokens.check(authorization, SystemTime::now()) {
        stats::bump(&state.stats.api_rejected_token);
        admission.calls.record(operation, calls::Outcome::InvalidToken);
        return Err(ApiError::InvalidToken(error.to_string()));
    }
    let admitted = admission.limiter.check(Instant::now());
    let outcome = if admitted.is_ok() {
        calls::Outcome::Admitted
    } else {
        calls::Outcome::RateLimited
    };
    admission.calls.record(operation, outcome);
    admitted.map_err(|retry_after| {
        stats::bump(&state.stats.api_rejected_limit);
        ApiError::RateLimited {
            status: state.config.api.api_limit_status,
            limit: state.config.api.api_rate_limit,
            retry_after,
        }
    })
}

fn contact_number(body: &Value) -> Result<Option<String>, ApiError> {
    match body.get("contactNumber") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(n)) => Ok(Some(n.clone())),
        Some(_) => Err(ApiError::bad_request(
            "wrong_shape",
            "contactNumber must be a string (leading zeros are significant)",
        )),
    }
}

async fn get_contact_data(
    state: web::Data<SimState>,
    admission: web::Data<Admission>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    admit(&state, &admission, &req, "getContactData")?;
    let body = json_body(&body)?;
    let number =
        contact_number(&body)?.ok_or_else(|| ApiError::bad_request("wrong_shape", "contactNumber is required"))?;
    let record = state.store.get(&number).ok_or(StoreError::NotFound)?;
    if record.contact.is_null() {
        return Err(StoreError::NotFound.into());
    }
    Ok(HttpResponse::Ok().json(json!({ "statusCode": "success", "contactData": record.contact })))
}

async fn save_individual_contact_data(
    state: web::Data<SimState>,
    admission: web::Data<Admission>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    admit(&state, &admission, &req, "saveIndividualContactData")?;
    let mut body = json_body(&body)?;
    let number = contact_number(&body)?;
    let object = body
        .as_object_mut()
        .ok_or_else(|| ApiError::bad_request("wrong_shape", "the body must be a JSON object"))?;
    let base = match object.remove("lastModificationDate") {
        None | Some(Value::Null) => None,
        Some(Value::String(base)) => Some(base),
        Some(_) => {
            return Err(ApiError::bad_request(
                "wrong_shape",
                "lastModificationDate must be a string",
            ));
        }
    };
    let record = match number {
        Some(number) => state.store.update(&number, &body, base.as_deref())?,
        None => state.store.create(&body)?,
    };
    Ok(HttpResponse::Ok().json(json!({
        "statusCode": "success",
        "contactNumber": record.contact_number,
        "lastModificationDate": record.contact["lastModificationDate"],
        "contactData": record.contact,
    })))
}

#[derive(Deserialize)]
struct SearchContact {
    email: String,
    #[serde(default)]
    provider: Option<String>,
}

async fn search_contact(
    state: web::Data<SimState>,
    admission: web::Data<Admission>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    admit(&state, &admission, &req, "searchContact")?;
    let body: SearchContact = serde_json::from_value(json_body(&body)?).map_err(|_| {
        ApiError::bad_request(
            "wrong_shape",
            "the body must be {\"email\", \"provider\" (optional)}, strings",
        )
    })?;
    if body.email.trim().is_empty() {
        return Err(ApiError::bad_request("wrong_shape", "email must not be empty"));
    }
    let contacts: Vec<Value> = state
        .store
        .search_by_email(&body.email, body.provider.as_deref())
        .into_iter()
        .map(|(record, linked)| {
            let individual = &record.contact["individualContact"];
            json!({
                "contactNumber": record.contact_number,
                "firstname": individual["firstname"],
                "lastname": individual["lastname"],
                "email": individual["email"],
                "hasLogin": individual["hasLogin"].as_bool().unwrap_or(false),
                "linked": linked,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "statusCode": "success", "contacts": contacts })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddLink {
    contact_number: String,
    provider: String,
    provider_user_reference: String,
}

async fn add_link(
    state: web::Data<SimState>,
    admission: web::Data<Admission>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    admit(&state, &admission, &req, "addLink")?;
    let body: AddLink = serde_json::from_value(json_body(&body)?).map_err(|_| {
        ApiError::bad_request(
            "wrong_shape",
            "the body must be {\"contactNumber\", \"provider\", \"providerUserReference\"}, all strings",
        )
    })?;
    if body.provider.trim().is_empty() || body.provider_user_reference.trim().is_empty() {
        return Err(ApiError::bad_request(
            "wrong_shape",
            "provider and providerUserReference must not be empty",
        ));
    }
    let record = state
        .store
        .add_link(&body.contact_number, &body.provider, &body.provider_user_reference)?;
    Ok(HttpResponse::Ok().json(json!({ "statusCode": "success", "contactNumber": record.contact_number })))
}
