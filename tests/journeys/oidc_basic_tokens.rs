//! The conformance suite's Basic modules about request objects, codes, refresh tokens, PKCE
//! and client authentication, and its Config module (discovery), named after the suite's
//! modules, as in `oidc_basic.rs`.

use serde_json::{Value, json};

use crate::{gateway_support::*, oidc_basic_claims::userinfo_status, oidc_support::*};

/// Asks for a code with `parameter` set to `value`; the answer must be an error redirect to the
/// registered URI carrying `error` and the state.
async fn refused_with(s: &Setup, parameter: &str, value: &str, error: &str) {
    let request = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[(parameter, value)]);
    let Answer::Redirect(params) = visit(s, &request, None).await else {
        panic!("{parameter}: an error redirect");
    };
    assert_eq!(params["error"], error, "{parameter}");
    assert_eq!(params["state"], "state-123");
    assert!(!params.contains_key("code"));
}

/// An unsigned request object (`alg: none`) with `claims` as its payload.
fn request_object(claims: &Value) -> String {
    let encode = |v: String| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, v);
    format!(
        "{}.{}.",
        encode(json!({ "alg": "none" }).to_string()),
        encode(claims.to_string())
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported() {
    let s = setup().await;
    let object = request_object(&json!({ "state": "other", "client_id": "shop" }));
    refused_with(&s, "request", &object, "request_not_supported").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_request_uri_unsigned_supported_correctly_or_rejected_as_unsupported() {
    let s = setup().await;
    refused_with(
        &s,
        "request_uri",
        "https://shop.example.org/request.jwt",
        "request_uri_not_supported",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_ensure_request_object_with_redirect_uri() {
    let s = setup().await;
    // The object names another redirect URI: the refusal still goes to the registered one of
    // the query, never to the object's.
    let object = request_object(&json!({ "redirect_uri": "https://evil.example/cb", "client_id": "shop" }));
    refused_with(&s, "request", &object, "request_not_supported").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_codereuse() {
    let s = setup().await;
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    let session = sign_in(&s, &authorize, PASSWORD).await.expect("signed in");
    let code = code(visit(&s, &authorize, Some(&session)).await);
    let tokens = redeem(&s, &code).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let (status, error) = token(&s, &form, true).await;
    assert_eq!((status.as_u16(), error["error"].as_str()), (400, Some("invalid_grant")));
    assert!(
        !error["error_description"]
            .as_str()
            .unwrap_or_default()
            .contains(['\r', '\n', '\t'])
    );
    // The tokens of the first use stop working.
    let access = tokens["access_token"].as_str().expect("access token");
    let endpoint = format!("{}/userinfo", s.gateway.base_url);
    let (status, _) = userinfo_status(s.client.get(&endpoint).bearer_auth(access)).await;
    assert_eq!(status, 401, "the access token issued from a replayed code is revoked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_code_replayed_by_another_client_revokes_what_it_issued() {
    let s = setup().await;
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    let session = sign_in(&s, &authorize, PASSWORD).await.expect("signed in");
    let code = code(visit(&s, &authorize, Some(&session)).await);
    let tokens = redeem(&s, &code).await;
    // The fan app (a confidential client with the same secret in the tests) replays it.
    let response = s
        .client
        .post(format!("{}/token", s.gateway.base_url))
        .basic_auth("par-app", Some(SHOP_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 400);
    let access = tokens["access_token"].as_str().expect("access token");
    assert_eq!(
        introspect(&s, access).await["active"],
        false,
        "RFC 6749 4.1.2: a leaked code revokes its tokens"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_codereuse_30seconds() {
    let s = setup().await;
    let authorize = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]);
    let session = sign_in(&s, &authorize, PASSWORD).await.expect("signed in");
    let code = code(visit(&s, &authorize, Some(&session)).await);
    let tokens = redeem(&s, &code).await;
    // Meanwhile the shop refreshed once: the successor belongs to the code's grant too.
    let first_refresh = tokens["refresh_token"].as_str().expect("refresh token");
    let (status, renewed) = token(
        &s,
        &[("grant_type", "refresh_token"), ("refresh_token", first_refresh)],
        true,
    )
    .await;
    assert_eq!(status, 200, "{renewed}");
    // Thirty seconds later (the code was issued, and used, 30 s earlier than it was).
    s.db.execute(
        "UPDATE authorization_codes SET created_at = created_at - interval '30 seconds', \
         expires_at = expires_at - interval '30 seconds', used_at = used_at - interval '30 seconds'",
    )
    .await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let (status, error) = token(&s, &form, true).await;
    assert_eq!((status.as_u16(), error["error"].as_str()), (400, Some("invalid_grant")));
    let endpoint = format!("{}/userinfo", s.gateway.base_url);
    for access in [&tokens["access_token"], &renewed["access_token"]] {
        let access = access.as_str().expect("access token");
        let (status, _) = userinfo_status(s.client.get(&endpoint).bearer_auth(access)).await;
        assert_eq!(status, 401, "RFC 6749 4.1.2: the code's access tokens are revoked");
        assert_eq!(introspect(&s, access).await["active"], false);
    }
    let successor = renewed["refresh_token"].as_str().expect("refresh token");
    for refresh in [first_refresh, successor] {
        let (status, error) = token(&s, &[("grant_type", "refresh_token"), ("refresh_token", refresh)], true).await;
        assert_eq!(
            (status.as_u16(), error["error"].as_str()),
            (400, Some("invalid_grant")),
            "its refresh tokens too"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_refresh_token() {
    let s = setup().await;
    let (_, tokens) = shop_tokens(&s).await;
    let refresh = tokens["refresh_token"].as_str().expect("refresh token");
    let (status, renewed) = token(&s, &[("grant_type", "refresh_token"), ("refresh_token", refresh)], true).await;
    assert_eq!(status, 200, "{renewed}");
    assert_eq!(renewed["token_type"], "Bearer");
    // Another client cannot use it (the fan app holds the same secret in the tests).
    let response = s
        .client
        .post(format!("{}/token", s.gateway.base_url))
        .basic_auth("par-app", Some(SHOP_SECRET))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", renewed["refresh_token"].as_str().unwrap_or_default()),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_ensure_request_with_valid_pkce_succeeds() {
    let s = setup().await;
    let code = app_code(&s).await;
    let (status, tokens) = token(
        &s,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", APP_REDIRECT),
            ("client_id", "web-app"),
            ("code_verifier", VERIFIER),
        ],
        false,
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_client_authentication_errors_carry_www_authenticate() {
    let s = setup().await;
    let response = s
        .client
        .post(format!("{}/token", s.gateway.base_url))
        .basic_auth("shop", Some("not-the-secret"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_discovery_endpoint_verification() {
    let s = setup().await;
    let document: Value = reqwest::get(format!("{}/.well-known/openid-configuration", s.gateway.base_url))
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    let issuer = document["issuer"].as_str().expect("issuer");
    assert_eq!(issuer, "http://127.0.0.1:8080");
    for required in [
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "userinfo_endpoint",
    ] {
        assert!(
            document[required].as_str().is_some_and(|u| u.starts_with(issuer)),
            "{required}"
        );
    }
    let has = |member: &str, value: &str| {
        document[member]
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v == value))
    };
    assert!(has("response_types_supported", "code"));
    assert!(has("subject_types_supported", "public"));
    assert!(has("id_token_signing_alg_values_supported", "RS256"));
    assert!(has("scopes_supported", "openid"));
    assert_eq!(
        document["prompt_values_supported"],
        json!(["none", "login", "select_account"]),
        "consent is refused with consent_required, so not advertised"
    );
    for claim in ["amr", "acr", "contact_number", "opt_ins"] {
        assert!(has("claims_supported", claim), "{claim}");
    }
    assert_eq!(
        document["acr_values_supported"],
        json!([auth_gateway::tokens::ACR_PASSWORD])
    );
    // Advertised only as far as they are implemented.
    assert_eq!(document["claims_parameter_supported"], true);
    assert_eq!(document["request_parameter_supported"], false);
    assert_eq!(
        document["request_uri_parameter_supported"], false,
        "its default is true"
    );
    assert_eq!(
        document["pushed_authorization_request_endpoint"],
        format!("{issuer}/par")
    );
}
