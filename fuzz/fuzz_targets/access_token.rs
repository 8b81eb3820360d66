//! Fuzzes the gateway's token parser: `Tokens::verify_access_token` and
//! `Tokens::verify_id_token_hint` on arbitrary strings and on mutations of tokens it signed.
//!
//! Properties: no panic on any input; a token the gateway signed verifies; the same token with
//! any byte changed (in header, claims or signature) never verifies as a different token; an ID
//! token is never accepted as an access token and the reverse.
#![no_main]

use std::sync::{Arc, OnceLock};

use arbitrary::Arbitrary;
use auth_gateway::{
    keys::{KeyManifest, KeySet, generate_development_keys},
    tokens::Tokens,
};
use libfuzzer_sys::fuzz_target;

fn tokens() -> &'static Tokens {
    static TOKENS: OnceLock<Tokens> = OnceLock::new();
    TOKENS.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("fuzz-keys-{}", std::process::id()));
        let manifest = generate_development_keys(&dir).expect("keys generated");
        let keys = KeySet::from_manifest(&KeyManifest::read_file(&manifest).expect("manifest")).expect("keys");
        Tokens {
            issuer: "https://id.example.org".into(),
            keys: Arc::new(keys),
            access_alg: jsonwebtoken::Algorithm::ES256,
            access_ttl: std::time::Duration::from_secs(300),
            id_ttl: std::time::Duration::from_secs(600),
        }
    })
}

#[derive(Debug, Arbitrary)]
struct Input {
    raw: String,
    subject: String,
    position: usize,
    byte: u8,
}

fuzz_target!(|input: Input| {
    let tokens = tokens();
    let _ = tokens.verify_access_token(&input.raw);
    let _ = tokens.verify_id_token_hint(&input.raw);

    let (token, claims) = tokens
        .access_token(&input.subject, "shop", "openid", 0, "grant")
        .expect("signed");
    let verified = tokens.verify_access_token(&token).expect("own token verifies");
    assert_eq!(verified.sub, claims.sub);
    assert!(tokens.verify_id_token_hint(&token).is_err(), "an access token is not an ID token");

    let mut bytes = token.into_bytes();
    let position = input.position % bytes.len();
    if bytes[position] != input.byte {
        bytes[position] = input.byte;
        if let Ok(mutated) = String::from_utf8(bytes) {
            if let Ok(accepted) = tokens.verify_access_token(&mutated) {
                // Base64 padding bits can change without changing the decoded token.
                assert_eq!(accepted.jti, claims.jti, "a changed token verified as another");
            }
        }
    }
});
