//! The gateway's discovery document and JWKS, as a relying party (the S-360 ticket shop)
//! reads them.

use serde_json::Value;
use tests::{TestDatabase, spawn_gateway};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_names_the_issuer_endpoints_and_algorithms() {
    let db = TestDatabase::create().await;
    let gateway = spawn_gateway(&db.url).await;
    let response = reqwest::get(format!("{}/.well-known/openid-configuration", gateway.base_url))
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    let document: Value = response.json().await.expect("json");
    let issuer = document["issuer"].as_str().expect("issuer");
    assert_eq!(
        issuer, "http://127.0.0.1:8080",
        "the configured issuer, not the Host header"
    );
    for (field, path) in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks.json"),
        ("revocation_endpoint", "/revoke"),
        ("introspection_endpoint", "/introspect"),
        ("end_session_endpoint", "/logout"),
    ] {
        assert_eq!(document[field], format!("{issuer}{path}"), "{field}");
    }
    assert_eq!(
        document["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
    assert_eq!(
        document["code_challenge_methods_supported"],
        serde_json::json!(["S256"]),
        "no plain PKCE"
    );
    assert_eq!(
        document["response_types_supported"],
        serde_json::json!(["code"]),
        "no implicit flow"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jwks_holds_public_signing_keys_with_pinned_algorithms() {
    let db = TestDatabase::create().await;
    let gateway = spawn_gateway(&db.url).await;
    let response = reqwest::get(format!("{}/jwks.json", gateway.base_url))
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers().get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/jwk-set+json")
    );
    assert!(
        response
            .headers()
            .get("cache-control")
            .is_some_and(|v| v.to_str().is_ok_and(|v| v.contains("max-age")))
    );
    let jwks: Value = response.json().await.expect("json");
    let keys = jwks["keys"].as_array().expect("keys");
    let algs: Vec<&str> = keys.iter().filter_map(|k| k["alg"].as_str()).collect();
    assert!(algs.contains(&"RS256") && algs.contains(&"ES256"), "{algs:?}");
    for key in keys {
        assert_eq!(key["use"], "sig");
        assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()));
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(key.get(private).is_none(), "{private} published");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_keys_the_gateway_refuses_to_start() {
    let settings =
        infra::config::parse_from::<auth_gateway::Settings, _, _>(["auth-gateway", "--listen-addr", "127.0.0.1:0"])
            .expect("parses");
    let error = match auth_gateway::Application::build(settings, Default::default()).await {
        Ok(_) => panic!("must refuse to start without signing keys"),
        Err(error) => error.to_string(),
    };
    assert!(error.contains("GATEWAY_KEYS"), "{error}");
}
