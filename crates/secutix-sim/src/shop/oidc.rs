//! The shop's OpenID Connect relying party: discovery, the authorization request (code flow,
//! PKCE S256, `state`, `nonce`), the code exchange (client_secret_basic), ID token verification
//! through the JWKS with the algorithm pinned to RS256, and userinfo.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::RwLock;

/// Why a sign-in failed; shown to the user (never with token contents).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidcError {
    #[error("the identity provider cannot be reached or answered unexpectedly ({0})")]
    Provider(&'static str),
    #[error("the identity provider's discovery document names another issuer")]
    IssuerMismatch,
    #[error("the token must be signed with RS256")]
    Algorithm,
    #[error("the token's typ header is not the one its kind requires")]
    Type,
    #[error("the token's key is not in the provider's JWKS")]
    UnknownKey,
    #[error("the token's signature does not verify")]
    Signature,
    #[error("the token's {0} claim is wrong")]
    Claim(&'static str),
    #[error("the ID token has expired")]
    Expired,
    #[error("userinfo names another subject than the ID token")]
    SubjectMismatch,
}

/// The endpoints read from discovery.
#[derive(Debug, Clone, Deserialize)]
pub struct Provider {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
    pub jwks_uri: String,
}

/// A relying party of one provider; discovery and the JWKS are fetched at first use (the
/// provider may start after the shop) and the JWKS again when a token names an unknown key.
pub struct RelyingParty {
    issuer: String,
    pub client_id: String,
    client_secret: Option<SecretString>,
    http: reqwest::Client,
    provider: RwLock<Option<Provider>>,
    jwks: RwLock<JwkSet>,
}

/// A fresh random URL-safe value (state, nonce, PKCE verifier): 244 random bits.
pub fn random_token() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// The PKCE S256 challenge of a verifier (RFC 7636 §4.2).
pub fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl RelyingParty {
    pub fn new(issuer: &url::Url, client_id: String, client_secret: Option<SecretString>) -> Self {
        Self {
            issuer: issuer.as_str().trim_end_matches('/').to_owned(),
            client_id,
            client_secret,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .expect("a plain HTTP client builds"),
            provider: RwLock::new(None),
            jwks: RwLock::new(JwkSet { keys: Vec::new() }),
        }
    }

    /// The discovery document, fetched once; its issuer must be the configured one.
    pub async fn provider(&self) -> Result<Provider, OidcError> {
        if let Some(provider) = self.provider.read().await.clone() {
            return Ok(provider);
        }
        let url = format!("{}/.well-known/openid-configuration", self.issuer);
        let provider: Provider = self.get_json(&url).await?;
        if provider.issuer.trim_end_matches('/') != self.issuer {
            return Err(OidcError::IssuerMismatch);
        }
        *self.provider.write().await = Some(provider.clone());
        Ok(provider)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, OidcError> {
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|_| OidcError::Provider("unreachable"))?;
        if !response.status().is_success() {
            return Err(OidcError::Provider("error status"));
        }
        response
            .json()
            .await
            .map_err(|_| OidcError::Provider("unexpected JSON"))
    }

    /// The authorization request URL.
    pub async fn authorization_url(
        &self,
        redirect_uri: &str,
        state: &str,
        nonce: &str,
        verifier: &str,
    ) -> Result<String, OidcError> {
        let provider = self.provider().await?;
        let mut url = url::Url::parse(&provider.authorization_endpoint)
            .map_err(|_| OidcError::Provider("bad authorization endpoint"))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", "openid email profile")
            .append_pair("state", state)
            .append_pair("nonce", nonce)
            .append_pair("code_challenge", &challenge(verifier))
            .append_pair("code_challenge_method", "S256");
        Ok(url.into())
    }

    /// Redeems a code; returns the verified ID token claims and the userinfo answer.
    pub async fn redeem(
        &self,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<(Value, Value), OidcError> {
        let provider = self.provider().await?;
        let mut request = self.http.post(&provider.token_endpoint).form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
            ("client_id", &self.client_id),
        ]);
        if let Some(secret) = &self.client_secret {
            request = request.basic_auth(&self.client_id, Some(secret.expose_secret()));
        }
        let response = request.send().await.map_err(|_| OidcError::Provider("unreachable"))?;
        if !response.status().is_success() {
            return Err(OidcError::Provider("token request refused"));
        }
        let tokens: Value = response
            .json()
            .await
            .map_err(|_| OidcError::Provider("unexpected JSON"))?;
        let id_token = tokens["id_token"].as_str().ok_or(OidcError::Provider("no ID token"))?;
        let access_token = tokens["access_token"]
            .as_str()
            .ok_or(OidcError::Provider("no access token"))?;
        let claims = self.verify_id_token(&provider, id_token, nonce).await?;
        let userinfo: Value = {
            let response = self
                .http
                .get(&provider.userinfo_endpoint)
                .bearer_auth(access_token)
                .send()
                .await
                .map_err(|_| OidcError::Provider("unreachable"))?;
            if !response.status().is_success() {
                return Err(OidcError::Provider("userinfo refused"));
            }
            response
                .json()
                .await
                .map_err(|_| OidcError::Provider("unexpected JSON"))?
        };
        if userinfo["sub"] != claims["sub"] {
            return Err(OidcError::SubjectMismatch);
        }
        Ok((claims, userinfo))
    }

    async fn verify_id_token(&self, provider: &Provider, token: &str, nonce: &str) -> Result<Value, OidcError> {
        let claims = self.verified_claims(provider, token, None).await?;
        check_claims(&claims, &provider.issuer, &self.client_id, nonce, unix_now())?;
        Ok(claims)
    }

    /// A token's claims once its signature verifies with the provider's key named by `kid`,
    /// RS256 only (the JWKS is fetched again for an unknown key), and its `typ` header is
    /// `typ` when one is required. The claims themselves are the caller's to check.
    pub async fn verified_claims(
        &self,
        provider: &Provider,
        token: &str,
        typ: Option<&str>,
    ) -> Result<Value, OidcError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| OidcError::Algorithm)?;
        if header.alg != Algorithm::RS256 {
            return Err(OidcError::Algorithm);
        }
        if let Some(typ) = typ
            && header.typ.as_deref().is_none_or(|t| !t.eq_ignore_ascii_case(typ))
        {
            return Err(OidcError::Type);
        }
        let kid = header.kid.ok_or(OidcError::UnknownKey)?;
        let mut jwk = self.jwks.read().await.find(&kid).cloned();
        if jwk.is_none() {
            let fresh: JwkSet = self.get_json(&provider.jwks_uri).await?;
            jwk = fresh.find(&kid).cloned();
            *self.jwks.write().await = fresh;
        }
        let key = DecodingKey::from_jwk(&jwk.ok_or(OidcError::UnknownKey)?).map_err(|_| OidcError::UnknownKey)?;
        let mut validation = Validation::new(Algorithm::RS256);
        // Claims are checked by the caller, with messages of our own.
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        Ok(jsonwebtoken::decode::<Value>(token, &key, &validation)
            .map_err(|_| OidcError::Signature)?
            .claims)
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64
}

/// `aud` names `client_id`, as a string or in a list.
pub fn audience_contains(claims: &Value, client_id: &str) -> bool {
    match &claims["aud"] {
        Value::String(aud) => aud == client_id,
        Value::Array(list) => list.iter().any(|a| a.as_str() == Some(client_id)),
        _ => false,
    }
}

/// OIDC Core §3.1.3.7: `iss` is the issuer, `aud` contains the client (and `azp` names it when
/// there are several audiences), `exp` is in the future, `nonce` is the one sent, `sub` is set.
pub fn check_claims(claims: &Value, issuer: &str, client_id: &str, nonce: &str, now: i64) -> Result<(), OidcError> {
    if claims["iss"].as_str() != Some(issuer) {
        return Err(OidcError::Claim("iss"));
    }
    let audiences: Vec<&str> = match &claims["aud"] {
        Value::String(aud) => vec![aud.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&client_id) {
        return Err(OidcError::Claim("aud"));
    }
    if audiences.len() > 1 && claims["azp"].as_str() != Some(client_id) {
        return Err(OidcError::Claim("azp"));
    }
    match claims["exp"].as_i64() {
        Some(exp) if exp > now => {}
        Some(_) => return Err(OidcError::Expired),
        None => return Err(OidcError::Claim("exp")),
    }
    if claims["nonce"].as_str() != Some(nonce) {
        return Err(OidcError::Claim("nonce"));
    }
    if claims["sub"].as_str().is_none_or(str::is_empty) {
        return Err(OidcError::Claim("sub"));
    }
    Ok(())
}

#[cfg(test)]
#[path = "oidc_tests.rs"]
mod tests;
