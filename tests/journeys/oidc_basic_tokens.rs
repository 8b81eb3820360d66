//! The conformance suite's Basic modules about userinfo, scopes, the `claims` parameter,
//! request objects, codes, refresh tokens and PKCE, its Config module (discovery), and pushed
//! authorization requests (RFC 9126). Named after the suite's modules, as in `oidc_basic.rs`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{gateway_support::*, oidc_support::*};

async fn userinfo_status(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("userinfo answers");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Signs in for the shop and returns the access token, the userinfo endpoint and the `sub`.
async fn access(s: &Setup) -> (String, String, String) {
    let (_, tokens) = shop_tokens(s).await;
    let access = tokens["access_token"].as_str().expect("access token").to_owned();
    (
        access,
        format!("{}/userinfo", s.gateway.base_url),
        s.subject.to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_userinfo_get() {
    let s = setup().await;
    let (access, endpoint, sub) = access(&s).await;
    let (status, body) = userinfo_status(s.client.get(&endpoint).bearer_auth(&access)).await;
    assert_eq!(
        (status.as_u16(), body["sub"].as_str()),
        (200, Some(sub.as_str())),
        "{body}"
    );
    // A token in the query string is not accepted (RFC 6750 §2.3 is optional and leaks it).
    let (status, _) = userinfo_status(s.client.get(format!("{endpoint}?access_token={access}"))).await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_userinfo_post_header() {
    let s = setup().await;
    let (access, endpoint, sub) = access(&s).await;
    let (status, body) = userinfo_status(s.client.post(&endpoint).bearer_auth(&access)).await;
    assert_eq!(
        (status.as_u16(), body["sub"].as_str()),
        (200, Some(sub.as_str())),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_userinfo_post_body() {
    let s = setup().await;
    let (access, endpoint, sub) = access(&s).await;
    let form = [("access_token", access.as_str())];
    let (status, body) = userinfo_status(s.client.post(&endpoint).form(&form)).await;
    assert_eq!(
        (status.as_u16(), body["sub"].as_str()),
        (200, Some(sub.as_str())),
        "{body}"
    );
    // RFC 6750 §2: one method at a time.
    let both = s.client.post(&endpoint).bearer_auth(&access).form(&form);
    let (status, body) = userinfo_status(both).await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (400, Some("invalid_request"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_ensure_request_without_nonce_succeeds_for_code_flow() {
    let s = setup().await;
    let no_nonce = authorize_url(&s.gateway.base_url, "shop", REDIRECT, &[]).replace("&nonce=nonce-456", "");
    let shown = page(visit(&s, &no_nonce, None).await);
    let (_, params) = sign_in_on(&s, &shown).await;
    let claims = id_claims(&s, &redeem(&s, &params["code"]).await).await;
    assert!(claims.get("nonce").is_none(), "{claims}");
}

/// The claims of the ID token and of userinfo after a sign-in with `scope` and `extra`.
async fn claims_with(s: &Setup, scope: &str, extra: &[(&str, &str)]) -> (Value, Value) {
    let tokens = tokens_through(s, &shop_authorize(s, scope, extra)).await;
    let info = userinfo(s, tokens["access_token"].as_str().expect("access token")).await;
    (id_claims(s, &tokens).await, info)
}

/// The ID token's members beyond those every ID token has.
fn about_the_fan(id_token: &Value) -> Vec<&str> {
    const ALWAYS: [&str; 10] = [
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "amr",
        "acr",
        "sid",
        "nonce",
    ];
    members(id_token).into_iter().filter(|m| !ALWAYS.contains(m)).collect()
}

const PROFILE: [&str; 7] = [
    "birthdate",
    "contact_number",
    "family_name",
    "given_name",
    "locale",
    "name",
    "opt_ins",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_scope_profile() {
    let s = setup().await;
    let (id_token, info) = claims_with(&s, "openid profile", &[]).await;
    let mut expected = PROFILE.to_vec();
    expected.push("sub");
    expected.sort_unstable();
    assert_eq!(members(&info), expected, "OIDC Core 5.4: {info}");
    assert_eq!(
        (&info["name"], &info["birthdate"], &info["locale"]),
        (&json!("Jean Dupont"), &json!("1985-06-14"), &json!("fr"))
    );
    assert_eq!(info["contact_number"], "0001234567");
    assert_eq!(info["opt_ins"], json!({ "NEWSLTR": true }));
    assert_eq!(
        about_the_fan(&id_token),
        ["contact_number", "family_name", "given_name", "locale", "name"],
        "the ID token carries what the shop reads, not the e-mail: {id_token}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_scope_email() {
    let s = setup().await;
    let (id_token, info) = claims_with(&s, "openid email", &[]).await;
    assert_eq!(members(&info), ["email", "email_verified", "sub"], "{info}");
    assert_eq!(
        (&info["email"], &info["email_verified"]),
        (&json!("jean.dupont@example.org"), &json!(true))
    );
    assert_eq!(about_the_fan(&id_token), ["email", "email_verified"], "{id_token}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_scope_address() {
    let s = setup().await;
    let (id_token, info) = claims_with(&s, "openid address", &[]).await;
    assert_eq!(members(&info), ["address", "sub"], "{info}");
    assert_eq!(
        info["address"],
        json!({ "street_address": "Rue du Lac 12", "postal_code": "1003", "locality": "Lausanne", "country": "CH" })
    );
    assert!(about_the_fan(&id_token).is_empty(), "{id_token}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_scope_phone() {
    let s = setup().await;
    let (id_token, info) = claims_with(&s, "openid phone", &[]).await;
    assert_eq!(members(&info), ["phone_number", "sub"], "{info}");
    assert_eq!(info["phone_number"], "+41791234567");
    assert!(about_the_fan(&id_token).is_empty(), "{id_token}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_scope_all() {
    let s = setup().await;
    let (_, info) = claims_with(&s, "openid profile email address phone", &[]).await;
    let mut expected = PROFILE.to_vec();
    expected.extend(["address", "email", "email_verified", "phone_number", "sub"]);
    expected.sort_unstable();
    assert_eq!(members(&info), expected, "{info}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_ensure_other_scope_order_succeeds() {
    let s = setup().await;
    let (_, info) = claims_with(&s, "email openid", &[]).await;
    assert_eq!(
        members(&info),
        ["email", "email_verified", "sub"],
        "RFC 6749 3.3: {info}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_claims_essential() {
    let s = setup().await;
    let request = json!({ "userinfo": { "name": { "essential": true } } }).to_string();
    let tokens = tokens_through(&s, &shop_authorize(&s, "openid", &[("claims", &request)])).await;
    let info = userinfo(&s, tokens["access_token"].as_str().expect("access token")).await;
    assert_eq!(members(&info), ["name", "sub"], "{info}");
    assert_eq!(info["name"], "Jean Dupont");
    let id_token = id_claims(&s, &tokens).await;
    assert!(
        id_token.get("name").is_none(),
        "asked for from userinfo only: {id_token}"
    );
    // A refreshed access token asks userinfo for the same claims.
    let refresh = tokens["refresh_token"].as_str().expect("refresh token");
    let (status, renewed) = token(&s, &[("grant_type", "refresh_token"), ("refresh_token", refresh)], true).await;
    assert_eq!(status, 200, "{renewed}");
    let info = userinfo(&s, renewed["access_token"].as_str().expect("access token")).await;
    assert_eq!(members(&info), ["name", "sub"], "after a refresh: {info}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_claims_essential_id_token() {
    let s = setup().await;
    // Claims the scopes would only give from userinfo, asked for in the ID token (§5.5).
    let request = json!({
        "id_token": { "birthdate": { "essential": true }, "phone_number": null, "address": { "essential": false },
                      "nickname": { "essential": true }, "auth_time": { "essential": true } }
    })
    .to_string();
    let tokens = tokens_through(&s, &shop_authorize(&s, "openid", &[("claims", &request)])).await;
    let id_token = id_claims(&s, &tokens).await;
    assert_eq!(
        about_the_fan(&id_token),
        ["address", "birthdate", "phone_number"],
        "{id_token}"
    );
    assert_eq!(id_token["birthdate"], "1985-06-14");
    assert_eq!(id_token["address"]["locality"], "Lausanne");
    assert!(id_token["auth_time"].is_i64());
    let info = userinfo(&s, tokens["access_token"].as_str().expect("access token")).await;
    assert_eq!(members(&info), ["sub"], "asked for in the ID token only: {info}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_claims_parameter_or_an_unmet_essential_acr_is_refused() {
    let s = setup().await;
    for (claims, error) in [
        ("[\"name\"]", "invalid_request"),
        (r#"{"userinfo": {"name": {"essential": "yes"}}}"#, "invalid_request"),
        (
            r#"{"id_token": {"acr": {"essential": true, "values": ["urn:example:mfa"]}}}"#,
            "unmet_authentication_requirements",
        ),
    ] {
        let Answer::Redirect(params) = visit(&s, &shop_authorize(&s, "openid", &[("claims", claims)]), None).await
        else {
            panic!("{claims}: an error redirect");
        };
        assert_eq!(
            (params["error"].as_str(), params["state"].as_str()),
            (error, "state-123"),
            "{claims}"
        );
        assert!(!params.contains_key("code"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sub_asked_for_with_a_value_answers_only_that_fan() {
    let s = setup().await;
    let (session, _) = shop_tokens(&s).await;
    let someone_else = json!({ "id_token": { "sub": { "value": uuid::Uuid::new_v4().to_string() } } }).to_string();
    let silent = shop_authorize(&s, "openid", &[("prompt", "none"), ("claims", &someone_else)]);
    let Answer::Redirect(params) = visit(&s, &silent, Some(&session)).await else {
        panic!("prompt=none never shows a page");
    };
    assert_eq!(params["error"], "login_required", "OIDC Core 5.5.1: never another fan");
    let this_fan = json!({ "id_token": { "sub": { "value": s.subject.to_string() } } }).to_string();
    let silent = shop_authorize(&s, "openid", &[("prompt", "none"), ("claims", &this_fan)]);
    assert!(code(visit(&s, &silent, Some(&session)).await).len() >= 43);
}

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

/// Pushes an authorization request for the fan app; returns the status and body.
async fn push(s: &Setup, secret: &str, extra: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut form = vec![
        ("redirect_uri", APP_REDIRECT),
        ("response_type", "code"),
        ("scope", "openid profile"),
        ("state", "pushed-state"),
    ];
    form.extend_from_slice(extra);
    let response = s
        .client
        .post(format!("{}/par", s.gateway.base_url))
        .basic_auth("par-app", Some(secret))
        .form(&form)
        .send()
        .await
        .expect("par answers");
    (response.status(), response.json().await.expect("json"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_authorization_requests_keep_the_parameters_off_the_url() {
    let s = setup().await;
    let (status, pushed) = push(&s, SHOP_SECRET, &[]).await;
    assert_eq!(status, 201, "{pushed}");
    assert_eq!(pushed["expires_in"], 90);
    let request_uri = pushed["request_uri"].as_str().expect("request_uri");
    assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"));

    let base = format!("{}/authorize?client_id=par-app", s.gateway.base_url);
    let by_reference = format!(
        "{base}&request_uri={}&state=from-the-url",
        url::form_urlencoded::byte_serialize(request_uri.as_bytes()).collect::<String>()
    );
    let shown = page(visit(&s, &by_reference, None).await);
    assert!(
        !hidden(&shown.html, "return_to").contains("scope"),
        "the way back names the request, not its parameters"
    );
    let (session, params) = sign_in_on(&s, &shown).await;
    assert_eq!(
        params["state"], "pushed-state",
        "only the pushed parameters count (RFC 9126 §4)"
    );
    assert!(params.contains_key("code"));
    // Single use: the request is gone once it issued a code.
    let again = s
        .client
        .get(&by_reference)
        .header("cookie", format!("__Host-session={session}"));
    assert_eq!(again.send().await.expect("answers").status(), 400);

    // This client cannot send its parameters in the URL.
    let direct = authorize_url(&s.gateway.base_url, "par-app", APP_REDIRECT, &[]);
    let Answer::Redirect(refused) = visit(&s, &direct, Some(&session)).await else {
        panic!("an error redirect");
    };
    assert_eq!(refused["error"], "invalid_request");
    assert!(!refused.contains_key("code"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_requests_are_checked_like_authorization_requests() {
    let s = setup().await;
    let (status, body) = push(&s, "wrong-secret", &[]).await;
    assert_eq!((status.as_u16(), body["error"].as_str()), (401, Some("invalid_client")));
    let (status, body) = push(&s, SHOP_SECRET, &[("prompt", "sometimes")]).await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
    let (status, body) = push(
        &s,
        SHOP_SECRET,
        &[("request_uri", "urn:ietf:params:oauth:request_uri:x")],
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (400, Some("request_uri_not_supported"))
    );
    // An unregistered redirect URI is refused outright, never stored.
    let response = s
        .client
        .post(format!("{}/par", s.gateway.base_url))
        .basic_auth("par-app", Some(SHOP_SECRET))
        .form(&[
            ("redirect_uri", "https://evil.example/cb"),
            ("response_type", "code"),
            ("scope", "openid"),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 400);
    // An unknown or expired request_uri shows a page, with nothing redirected.
    let unknown = format!(
        "{}/authorize?client_id=par-app&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Anone",
        s.gateway.base_url
    );
    let response = s.client.get(&unknown).send().await.expect("answers");
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
}
