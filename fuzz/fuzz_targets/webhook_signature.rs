//! Fuzzes Standard Webhooks signature verification, `standard_webhooks::StandardWebhooks::verify` (reached through the ingest's re-export, `webhook_ingest::auth`), with arbitrary headers, body, key and clock.
//!
//! Properties: `verify` never panics on any header strings, body or `now`; and a signature made
//! by `StandardWebhooks::sign` for the same key, id and body with timestamp = now always verifies
//! (alone, and listed after the fuzzed signatures).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use webhook_ingest::auth::{SignatureHeaders, StandardWebhooks};

#[derive(Debug, Arbitrary)]
struct Input {
    key: Vec<u8>,
    id: String,
    timestamp: String,
    signatures: String,
    body: Vec<u8>,
    now: i64,
}

fuzz_target!(|input: Input| {
    let Input {
        key,
        id,
        timestamp,
        signatures,
        body,
        now,
    } = input;
    let verifier = StandardWebhooks::new(vec![key.clone()]);

    // Arbitrary headers: any result, no panic.
    let fuzzed = SignatureHeaders {
        id: id.clone(),
        timestamp,
        signatures: signatures.clone(),
    };
    let _ = verifier.verify(&fuzzed, &body, now);

    // What the sender signs with timestamp = now must verify.
    let signature = StandardWebhooks::sign(&key, &id, now, &body);
    let signed = SignatureHeaders {
        id: id.clone(),
        timestamp: now.to_string(),
        signatures: signature.clone(),
    };
    assert!(
        verifier.verify(&signed, &body, now).is_ok(),
        "own signature rejected: {signed:?}"
    );
    let listed = SignatureHeaders {
        signatures: format!("{signatures} {signature}"),
        ..signed
    };
    assert!(
        verifier.verify(&listed, &body, now).is_ok(),
        "own signature rejected after others: {listed:?}"
    );
});
