//! `/.well-known/openid-configuration` (OpenID Connect Discovery 1.0) and `/jwks.json`.

use actix_web::{HttpResponse, web};

use crate::state::GatewayState;

/// Relying parties may cache the JWKS this long; a key is published at least this long
/// before it signs (see `keys` on rotation).
pub const JWKS_MAX_AGE_SECONDS: u64 = 300;

pub async fn openid_configuration(state: web::Data<GatewayState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", format!("public, max-age={JWKS_MAX_AGE_SECONDS}")))
        .json(&state.discovery)
}

pub async fn jwks(state: web::Data<GatewayState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", format!("public, max-age={JWKS_MAX_AGE_SECONDS}")))
        .content_type("application/jwk-set+json")
        .json(state.keys.jwks())
}

/// The discovery document for `issuer`: endpoints under the issuer, and what this provider
/// supports.
pub fn document(issuer: &url::Url, access_token_alg: &str) -> serde_json::Value {
    let base = issuer.as_str().trim_end_matches('/');
    let endpoint = |path: &str| format!("{base}{path}");
    serde_json::json!({
        "issuer": base,
        "authorization_endpoint": endpoint("/authorize"),
        "token_endpoint": endpoint("/token"),
        "userinfo_endpoint": endpoint("/userinfo"),
        "jwks_uri": endpoint("/jwks.json"),
        "revocation_endpoint": endpoint("/revoke"),
        "introspection_endpoint": endpoint("/introspect"),
        "end_session_endpoint": endpoint("/logout"),
        "pushed_authorization_request_endpoint": endpoint("/par"),
        "require_pushed_authorization_requests": false,
        "authorization_response_iss_parameter_supported": true,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "frontchannel_logout_supported": true,
        "frontchannel_logout_session_supported": true,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "userinfo_signing_alg_values_supported": ["none"],
        "access_token_signing_alg_values_supported": [access_token_alg],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile", "email", "phone", "address", "offline_access"],
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid", "email", "email_verified",
            "given_name", "family_name", "name", "locale", "birthdate", "phone_number", "address",
            "contact_number", "opt_ins"
        ],
        "acr_values_supported": [crate::tokens::ACR_PASSWORD],
        // `consent` is refused with consent_required (no consent step; see authorize_request).
        "prompt_values_supported": ["none", "login", "select_account"],
        "display_values_supported": ["page", "popup", "touch"],
        "ui_locales_supported": ["en", "fr", "de"],
        "claims_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
    })
}
