//! The admin JSON API under `/admin`: what an S-360 operator (or a test) does in the back
//! office, and the truth to compare a synchronised database with.
//!
//! | Route | Does |
//! |---|---|
//! | `GET /admin/contacts` | every contact ever created, as [`Record`]s, by contact number |
//! | `POST /admin/contacts` | create from a (partial) `getContactData` object; 201 |
//! | `GET /admin/contacts/{n}` | one [`Record`] |
//! | `PATCH /admin/contacts/{n}` | partial update (objects merged, arrays replaced) |
//! | `DELETE /admin/contacts/{n}` | delete a prospect (no web login) |
//! | `POST /admin/contacts/{n}/merge` | `{"into": "<head>"}`: absorb `n` into the head |
//! | `POST /admin/contacts/{n}/anonymise` | anonymise (keeps country, town, post code) |
//! | `POST /admin/seed` | `{"count": N}`: the deterministic demo contacts |
//! | `GET /admin/stats` | counters |
//! | `GET /admin/calls` | the contact API calls received, each with its time and answer, and the busiest rate window ([`crate::api::calls`]) |
//! | `POST /admin/webhook/run` | process the Contact Webhook V2 queue now |
//! | `POST /admin/export/run` | send the Data Export webhook now |
//! | `GET /admin/export?format=jsonl\|csv` | the export file for the initial import |

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::{
    demo,
    error::{ApiError, json_body},
    state::SimState,
    store::{Record, StoreError},
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .route("/contacts", web::get().to(list))
            .route("/contacts", web::post().to(create))
            .route("/contacts/{number}", web::get().to(get))
            .route("/contacts/{number}", web::patch().to(update))
            .route("/contacts/{number}", web::delete().to(delete))
            .route("/contacts/{number}/merge", web::post().to(merge))
            .route("/contacts/{number}/anonymise", web::post().to(anonymise))
            .route("/seed", web::post().to(seed))
            .route("/stats", web::get().to(stats))
            .route("/calls", web::get().to(crate::api::calls::list))
            .route("/webhook/run", web::post().to(crate::webhook::run_now))
            .route("/export/run", web::post().to(crate::export::run_now))
            .route("/export", web::get().to(crate::export::download)),
    );
}

async fn list(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(state.store.list())
}

async fn create(state: web::Data<SimState>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let record = state.store.create(&json_body(&body)?)?;
    Ok(HttpResponse::Created().json(record))
}

async fn get(state: web::Data<SimState>, number: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let record: Record = state.store.get(&number).ok_or(StoreError::NotFound)?;
    Ok(HttpResponse::Ok().json(record))
}

async fn update(
    state: web::Data<SimState>,
    number: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let record = state.store.update(&number, &json_body(&body)?, None)?;
    Ok(HttpResponse::Ok().json(record))
}

async fn delete(state: web::Data<SimState>, number: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.store.delete(&number)?))
}

#[derive(Deserialize)]
struct MergeBody {
    into: String,
}

async fn merge(
    state: web::Data<SimState>,
    number: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: MergeBody = serde_json::from_value(json_body(&body)?)
        .map_err(|_| ApiError::bad_request("wrong_shape", "the body must be {\"into\": \"<head contact number>\"}"))?;
    let (absorbed, head) = state.store.merge(&number, &body.into)?;
    Ok(HttpResponse::Ok().json(json!({ "absorbed": absorbed, "head": head })))
}

async fn anonymise(state: web::Data<SimState>, number: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.store.anonymise(&number)?))
}

#[derive(Deserialize)]
struct SeedBody {
    count: u32,
}

/// Largest seed per call, so a typo cannot exhaust memory.
const MAX_SEED: u32 = 100_000;

async fn seed(state: web::Data<SimState>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let body: SeedBody = serde_json::from_value(json_body(&body)?)
        .map_err(|_| ApiError::bad_request("wrong_shape", "the body must be {\"count\": <number>}"))?;
    if body.count > MAX_SEED {
        return Err(ApiError::bad_request(
            "too_many",
            format!("count must be at most {MAX_SEED}"),
        ));
    }
    let created = demo::seed(&state.store, body.count)?;
    let numbers: Vec<&str> = created.iter().map(|r| r.contact_number.as_str()).collect();
    Ok(HttpResponse::Ok().json(json!({ "created": numbers.len(), "contactNumbers": numbers })))
}

async fn stats(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(state.stats.to_json(state.store.pending()))
}
