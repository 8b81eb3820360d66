//! Data Export: flat rows of the active PUBLIC contacts (field names of S-360's public example,
//! `shared/fixtures/data-export-row.sample.json`, plus the title, birth date and language names
//! `model::secutix::from_data_export_row` reads and `lastModificationDate`), POSTed in arrays on
//! their own schedule; and export files for the initial import:
//!
//! - `jsonl`: one `getContactData` object per line, every active contact;
//! - `csv`: RFC 4180, a header line, then one line per active contact with the columns
//!   [`CSV_COLUMNS`] (the `getContactData` member names, the main address's lines, the first
//!   SSO link's `providerUserReference`).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::{
    error::ApiError,
    sender::post_json,
    state::SimState,
    stats,
    store::{ContactState, Record, shape},
};

/// The CSV header, in order.
pub const CSV_COLUMNS: [&str; 20] = [
    "contactNumber",
    "title",
    "firstname",
    "lastname",
    "birthDate",
    "languageCode",
    "email",
    "cellPhoneNumber",
    "street1",
    "street2",
    "street3",
    "street4",
    "zipCode",
    "town",
    "countryCode",
    "role",
    "hasLogin",
    "providerUserReference",
    "creationDate",
    "lastModificationDate",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Jsonl,
    Csv,
}

fn active(records: &[Record]) -> impl Iterator<Item = &Value> {
    records
        .iter()
        .filter(|r| r.state == ContactState::Active)
        .map(|r| &r.contact)
}

fn main_address(contact: &Value) -> Map<String, Value> {
    let addresses = contact["addresses"].as_array().cloned().unwrap_or_default();
    addresses
        .iter()
        .find(|a| a["main"] == Value::Bool(true))
        .or_else(|| addresses.first())
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// One Data Export row.
pub fn export_row(contact: &Value) -> Value {
    let individual = |key: &str| contact["individualContact"].get(key).cloned().unwrap_or(Value::Null);
    let link = shape::links(contact).into_iter().next().map(|(_, reference)| reference);
    json!({
        "contactNumber": contact["contactNumber"],
        "creationDate": contact["creationDate"],
        "lastModificationDate": contact["lastModificationDate"],
        "role": individual("role"),
        "type": "INDIVIDUAL",
        "individualTitle": individual("title"),
        "individualFirstname": individual("firstname"),
        "individualLastname": individual("lastname"),
        "individualBirthDate": individual("birthDate"),
        "languageCode": individual("languageCode"),
        "email": individual("email"),
        "cellPhoneNumber": individual("cellPhoneNumber"),
        "individualCountryCode": main_address(contact).get("countryCode").cloned().unwrap_or(Value::Null),
        "socialConnections.providerUserReference": link,
    })
}

/// The rows the Data Export webhook sends: active PUBLIC contacts.
pub fn export_rows(records: &[Record]) -> Vec<Value> {
    active(records)
        .filter(|c| shape::individual(c, "role").is_none_or(|role| role == "PUBLIC"))
        .map(export_row)
        .collect()
}

/// The export file in `format`.
pub fn export_file(records: &[Record], format: Format) -> String {
    let mut out = String::new();
    match format {
        Format::Jsonl => {
            for contact in active(records) {
                out.push_str(&contact.to_string());
                out.push('\n');
            }
        }
        Format::Csv => {
            out.push_str(&CSV_COLUMNS.join(","));
            out.push_str("\r\n");
            for contact in active(records) {
                let fields: Vec<String> = csv_fields(contact).iter().map(|f| csv_escape(f)).collect();
                out.push_str(&fields.join(","));
                out.push_str("\r\n");
            }
        }
    }
    out
}

fn csv_fields(contact: &Value) -> Vec<String> {
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let individual = contact["individualContact"].as_object().cloned().unwrap_or_default();
    let address = main_address(contact);
    let link = shape::links(contact)
        .into_iter()
        .next()
        .map(|(_, r)| r)
        .unwrap_or_default();
    CSV_COLUMNS
        .iter()
        .map(|column| match *column {
            "contactNumber" | "creationDate" | "lastModificationDate" => text(contact.get(*column)),
            "street1" | "street2" | "street3" | "street4" | "zipCode" | "town" | "countryCode" => {
                text(address.get(*column))
            }
            "providerUserReference" => link.clone(),
            other => text(individual.get(other)),
        })
        .collect()
}

/// RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled.
fn csv_escape(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// Sends every export row (no-op without `SIM_EXPORT_URL`); returns the rows delivered.
pub async fn run_once(state: &SimState) -> usize {
    let Some(url) = &state.config.export.export_url else {
        return 0;
    };
    stats::bump(&state.stats.export_runs);
    let rows = export_rows(&state.store.list());
    let mut delivered = 0;
    for chunk in rows.chunks(state.config.export.export_batch_size as usize) {
        let body = serde_json::to_vec(chunk).unwrap_or_default();
        match post_json(&state.http, url, &state.sender_auth, body).await {
            Ok(()) => {
                delivered += chunk.len();
                stats::add(&state.stats.export_rows_delivered, chunk.len());
            }
            Err(reason) => {
                stats::bump(&state.stats.export_failed_posts);
                tracing::warn!(rows = chunk.len(), %reason, "Data Export webhook failed; sent again at the next run");
            }
        }
    }
    delivered
}

/// `POST /admin/export/run`.
pub async fn run_now(state: web::Data<SimState>) -> Result<HttpResponse, ApiError> {
    if state.config.export.export_url.is_none() {
        return Err(ApiError::NotConfigured(
            "no Data Export webhook is configured (SIM_EXPORT_URL)",
        ));
    }
    let delivered = run_once(&state).await;
    Ok(HttpResponse::Ok().json(json!({ "rows_delivered": delivered })))
}

#[derive(Deserialize)]
pub struct ExportQuery {
    format: Option<Format>,
}

/// `GET /admin/export?format=jsonl|csv` (default jsonl).
pub async fn download(
    state: web::Data<SimState>,
    query: Result<web::Query<ExportQuery>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let query = query.map_err(|_| ApiError::bad_request("invalid_format", "format must be jsonl or csv"))?;
    let format = query.format.unwrap_or(Format::Jsonl);
    let content_type = match format {
        Format::Jsonl => "application/x-ndjson",
        Format::Csv => "text/csv; charset=utf-8",
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .body(export_file(&state.store.list(), format)))
}

#[cfg(test)]
#[path = "export_tests.rs"]
mod tests;
