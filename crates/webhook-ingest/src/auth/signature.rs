//! Reads the Standard Webhooks headers from an actix request; signing and verification are
//! the `standard-webhooks` crate's, shared with the simulator that signs.

use actix_web::http::header::HeaderMap;
use standard_webhooks::SignatureHeaders;

/// All three signature headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`), or
/// `None` when any is missing or not visible ASCII.
pub fn signature_headers(headers: &HeaderMap) -> Option<SignatureHeaders> {
    SignatureHeaders::from_lookup(|name| headers.get(name).and_then(|v| v.to_str().ok()))
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    #[test]
    fn reads_all_three_headers_or_none() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("webhook-id", "msg_1"),
            ("webhook-timestamp", "1614265330"),
            ("webhook-signature", "v1,AAAA"),
        ] {
            headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        let read = signature_headers(&headers).expect("all three");
        assert_eq!(
            (read.id.as_str(), read.timestamp.as_str(), read.signatures.as_str()),
            ("msg_1", "1614265330", "v1,AAAA")
        );
        headers.remove("webhook-timestamp");
        assert!(signature_headers(&headers).is_none());
    }
}
