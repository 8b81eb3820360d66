//! Reading and validating a webhook body: size limit while streaming, JSON syntax (and values
//! the worker can read, `readable`) with line and column, then each contact's shape, reported
//! with its index in the array.

use actix_web::{HttpRequest, http::header, web};
use futures::StreamExt;
use model::secutix::{Envelope, PayloadError, envelope};
use serde_json::value::RawValue;

use crate::{error::ApiError, readable::Readable};

/// Which S-360 webhook posted the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Contact Webhook V2: `getContactData` objects.
    Contacts,
    /// Data Export webhook: flat rows.
    Exports,
}

/// One contact of a webhook body: what the ingest needs of it, and its JSON exactly as sent
/// (published as is, so no member is ever dropped or rewritten).
#[derive(Debug, Clone)]
pub struct Incoming<'a> {
    pub envelope: Envelope,
    pub json: &'a str,
}

/// Accepts `application/json` and any `application/*+json`.
pub fn check_content_type(req: &HttpRequest) -> Result<(), ApiError> {
    let Some(value) = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return Err(ApiError::UnsupportedMediaType);
    };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json")) {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType)
    }
}

/// Reads the body, refusing it as soon as it exceeds `limit` (from `Content-Length` before
/// reading anything, else while streaming).
pub async fn read_limited(req: &HttpRequest, mut body: web::Payload, limit: usize) -> Result<web::BytesMut, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(ApiError::BodyTooLarge { limit });
    }
    let mut bytes = web::BytesMut::with_capacity(declared.unwrap_or(8 * 1024).min(limit));
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|_| ApiError::BodyRead)?;
        if bytes.len() + chunk.len() > limit {
            return Err(ApiError::BodyTooLarge { limit });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Parses a body holding one contact object or an array of them. All-or-nothing: one invalid
/// element rejects the whole request, naming its index. Contacts are validated without being
/// mapped: the worker maps them.
pub fn parse_contacts(_kind: Kind, body: &[u8], max_batch: usize) -> Result<Vec<Incoming<'_>>, ApiError> {
    let malformed = |e: serde_json::Error| ApiError::MalformedJson(describe_json_error(&e));
    serde_json::from_slice::<Readable>(body).map_err(malformed)?;
    let whole: &RawValue = serde_json::from_slice(body).map_err(malformed)?;
    let text = whole.get();
    match text.as_bytes().first() {
        Some(b'{') => {
            let envelope = envelope(text).map_err(|e| invalid(None, &e))?;
            Ok(vec![Incoming { envelope, json: text }])
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text).map_err(malformed)?;
            if items.len() > max_batch {
                return Err(ApiError::TooManyContacts {
                    count: items.len(),
                    limit: max_batch,
                });
            }
            items
                .into_iter()
                .enumerate()
                .map(|(index, item)| {
                    let json = item.get();
                    let envelope = envelope(json).map_err(|e| invalid(Some(index), &e))?;
                    Ok(Incoming { envelope, json })
                })
                .collect()
        }
        _ => Err(ApiError::WrongShape),
    }
}

fn invalid(index: Option<usize>, error: &PayloadError) -> ApiError {
    let path = match (index, error.field) {
        (Some(i), "$") => format!("[{i}]"),
        (Some(i), field) => format!("[{i}].{field}"),
        (None, field) => field.to_owned(),
    };
    ApiError::InvalidContact(format!("{path}: {}", error.message))
}

/// serde_json's message names the problem and its position without quoting the input.
fn describe_json_error(error: &serde_json::Error) -> String {
    error.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: Result<Vec<Incoming<'_>>, ApiError>) -> (String, String) {
        let error = result.expect_err("must be rejected");
        (error.code().to_owned(), error.to_string())
    }

    #[test]
    fn accepts_an_object_or_an_array() {
        let one = parse_contacts(Kind::Contacts, br#"{"contactNumber":"0042"}"#, 10).expect("object");
        assert_eq!(one.len(), 1);
        let two =
            parse_contacts(Kind::Contacts, br#"[{"contactNumber":"1"},{"contactNumber":"2"}]"#, 10).expect("array");
        assert_eq!(
            two.iter()
                .map(|c| c.envelope.contact_number.as_str())
                .collect::<Vec<_>>(),
            ["1", "2"]
        );
    }

    #[test]
    fn names_line_and_column_of_malformed_json() {
        let (code, text) = message(parse_contacts(
            Kind::Contacts,
            b"{\n  \"contactNumber\": \"1\",\n  oops\n}",
            10,
        ));
        assert_eq!(code, "malformed_json");
        assert!(text.contains("line 3 column 3"), "{text}");
    }

    #[test]
    fn names_the_index_and_field_of_an_invalid_contact() {
        let body = br#"[{"contactNumber":"1"},{"contactNumber":"2"},{"firstname":"Jean"}]"#;
        assert_eq!(
            message(parse_contacts(Kind::Contacts, body, 10)),
            ("invalid_contact".into(), "[2].contactNumber: is required".into())
        );
        assert_eq!(
            message(parse_contacts(Kind::Exports, br#"[{"contactNumber":"1"}, 5]"#, 10)),
            (
                "invalid_contact".into(),
                "[1]: each contact must be a JSON object".into()
            )
        );
    }

    #[test]
    fn does_not_echo_submitted_values() {
        let body = br#"{"contactNumber":"jean.dupont@example.org is my number"}"#;
        let (_, text) = message(parse_contacts(Kind::Contacts, body, 10));
        assert!(!text.contains("jean"), "{text}");
    }

    #[test]
    fn rejects_other_shapes_and_oversized_arrays() {
        assert_eq!(
            message(parse_contacts(Kind::Contacts, b"\"text\"", 10)).0,
            "wrong_shape"
        );
        assert_eq!(
            message(parse_contacts(Kind::Contacts, b"[{},{},{}]", 2)).0,
            "too_many_contacts"
        );
    }

    #[test]
    fn refuses_values_the_worker_cannot_read_naming_their_position() {
        for (body, problem) in [
            (r#"{"contactNumber":"1","score":1e999}"#, "number out of range"),
            (
                r#"[{"contactNumber":"1"},{"contactNumber":"2","n":-1e400}]"#,
                "number out of range",
            ),
            (r#"{"contactNumber":"1","note":"\ud800"}"#, "hex escape"),
            (r#"{"contactNumber":"1","\udfff":true}"#, "escape"),
        ] {
            let (code, text) = message(parse_contacts(Kind::Contacts, body.as_bytes(), 10));
            assert_eq!(code, "malformed_json", "{body}");
            assert!(text.contains(problem) && text.contains("column"), "{body}: {text}");
        }
        let fine = r#"{"contactNumber":"1","n":1.7976931348623157e308,"m":-0,"s":"\ud83c\udfab"}"#;
        assert!(parse_contacts(Kind::Contacts, fine.as_bytes(), 10).is_ok());
    }
}
