//! One upstream OpenID provider, as the gateway talks to it with the `openidconnect` crate:
//! discovery (cached for [`METADATA_TTL`], fetched again at once when an ID token is signed by a
//! key the cached set lacks), the authorization request (state, nonce, PKCE S256), the code
//! exchange and the ID token's checks (signature through the provider's JWKS, `iss`, `aud`,
//! `exp`, `nonce`).
//!
//! HTTP goes through the workspace's reqwest (rustls) in a closure `openidconnect` accepts as
//! its client, never following redirects (a provider's endpoints answer directly; a redirect
//! would be a way to make us fetch elsewhere), with a short timeout.
//!
//! - **Apple** signs nothing with a static secret: each token request carries a fresh ES256
//!   JWT (`iss` team id, `sub` client id, `aud` Apple, five minutes) signed with the `.p8` key.
//! - **Microsoft's shared tenants** (`common`, `organizations`, `consumers`) publish an issuer
//!   template, `https://login.microsoftonline.com/{tenantid}/v2.0`; the ID token's `iss` must
//!   then be that template with the token's own `tid`, checked here after the signature.

use std::time::{Duration, Instant};

use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, JsonWebKeySet,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
    core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata},
};
use secrecy::ExposeSecret;
use tokio::sync::RwLock;

use super::config::{Kind, Provider};

/// How long discovery metadata and keys are used before they are fetched again.
pub const METADATA_TTL: Duration = Duration::from_secs(3600);
/// The longest one call to a provider may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// Why a sign-in through a provider did not complete.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The provider could not be reached or answered nonsense: try again later (503).
    #[error("provider unavailable: {0}")]
    Unavailable(String),
    /// The provider's answer was refused (a token that fails a check, a refused code).
    #[error("provider answer refused: {0}")]
    Refused(String),
}

/// What the provider says of the fan, once its ID token passed every check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpstreamIdentity {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
}

/// An authorization request to send the fan to, and the secrets to keep for its callback.
pub struct Started {
    pub url: url::Url,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

pub struct Upstream {
    pub config: Provider,
    http: reqwest::Client,
    metadata: RwLock<Option<(Instant, CoreProviderMetadata)>>,
}

impl Upstream {
    pub fn new(config: Provider) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()?;
        Ok(Self {
            config,
            http,
            metadata: RwLock::new(None),
        })
    }

    /// The authorization request for a sign-in whose callback is `redirect`.
    pub async fn start(&self, redirect: &str) -> Result<Started, UpstreamError> {
        let client = self.client(redirect, false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in self.config.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        if self.config.form_post() {
            // Apple posts the answer (with the name, at the first sign-in) to the callback.
            request = request.add_extra_param("response_mode", "form_post");
        }
        let (url, state, nonce) = request.url();
        Ok(Started {
            url,
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the callback's code (with the PKCE verifier) and checks the ID token.
    pub async fn finish(
        &self,
        redirect: &str,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<UpstreamIdentity, UpstreamError> {
        let client = self.client(redirect, false).await?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| UpstreamError::Unavailable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.call())
            .await
            .map_err(|e| match e {
                openidconnect::RequestTokenError::ServerResponse(answer) => {
                    UpstreamError::Refused(format!("token endpoint: {}", answer.error()))
                }
                other => {
                    let cause = std::error::Error::source(&other)
                        .map(|c| format!("{c:?}"))
                        .unwrap_or_default();
                    UpstreamError::Unavailable(format!("token endpoint: {other} {cause}"))
                }
            })?;
        let id_token = response
            .id_token()
            .ok_or_else(|| UpstreamError::Refused("no ID token".into()))?;
        let nonce = Nonce::new(nonce.to_owned());
        let verified = match self.verify(&client, id_token, &nonce) {
            Ok(identity) => Ok(identity),
            // Maybe a key rotated in since discovery: once, with the provider's current keys.
            Err(_) => {
                let fresh = self.client(redirect, true).await?;
                self.verify(&fresh, id_token, &nonce)
            }
        };
        verified.map_err(UpstreamError::Refused)
    }

    fn verify(
        &self,
        client: &Client,
        id_token: &openidconnect::core::CoreIdToken,
        nonce: &Nonce,
    ) -> Result<UpstreamIdentity, String> {
        let shared_tenant = self.config.microsoft_shared_tenant();
        let verifier = client.id_token_verifier().require_issuer_match(!shared_tenant);
        let claims = id_token.claims(&verifier, nonce).map_err(|e| e.to_string())?;
        if shared_tenant {
            super::microsoft::check_tenant_issuer(&id_token.to_string())?;
        }
        let name = |n: Option<&openidconnect::LocalizedClaim<_>>| {
            n.and_then(|n: &openidconnect::LocalizedClaim<openidconnect::EndUserGivenName>| n.get(None))
                .map(|n| n.to_string())
        };
        Ok(UpstreamIdentity {
            subject: claims.subject().to_string(),
            email: claims.email().map(|e| e.to_string()),
            email_verified: claims.email_verified().unwrap_or(false),
            given_name: name(claims.given_name()),
            family_name: claims.family_name().and_then(|n| n.get(None)).map(|n| n.to_string()),
        })
    }

    /// A client from the provider's metadata, discovered again when `refresh` or stale.
    async fn client(&self, redirect: &str, refresh: bool) -> Result<Client, UpstreamError> {
        let metadata = self.metadata(refresh).await?;
        let secret = match self.config.kind {
            Kind::Apple => Some(ClientSecret::new(
                super::apple::client_secret(&self.config).map_err(UpstreamError::Unavailable)?,
            )),
            _ => self
                .config
                .client_secret
                .as_ref()
                .map(|s| ClientSecret::new(s.expose_secret().to_owned())),
        };
        let redirect = RedirectUrl::new(redirect.to_owned()).map_err(|e| UpstreamError::Unavailable(e.to_string()))?;
        Ok(
            CoreClient::from_provider_metadata(metadata, ClientId::new(self.config.client_id.clone()), secret)
                .set_redirect_uri(redirect),
        )
    }

    async fn metadata(&self, refresh: bool) -> Result<CoreProviderMetadata, UpstreamError> {
        if !refresh
            && let Some((fetched, metadata)) = self.metadata.read().await.as_ref()
            && fetched.elapsed() < METADATA_TTL
        {
            return Ok(metadata.clone());
        }
        let metadata = self.discover().await?;
        *self.metadata.write().await = Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    async fn discover(&self) -> Result<CoreProviderMetadata, UpstreamError> {
        let unavailable = |e: &dyn std::fmt::Display| UpstreamError::Unavailable(format!("discovery: {e}"));
        let issuer = self.config.issuer.trim_end_matches('/');
        let document = self
            .http
            .get(format!("{issuer}/.well-known/openid-configuration"))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| unavailable(&e))?
            .bytes()
            .await
            .map_err(|e| unavailable(&e))?;
        let metadata: CoreProviderMetadata = serde_json::from_slice(&document).map_err(|e| unavailable(&e))?;
        // OIDC Discovery §4.3: the document is the configured issuer's (a shared Microsoft
        // tenant's names its template instead; each token's issuer is checked then).
        let expected = if self.config.microsoft_shared_tenant() {
            "https://login.microsoftonline.com/{tenantid}/v2.0".to_owned()
        } else {
            self.config.issuer.clone()
        };
        if metadata.issuer().as_str() != expected {
            return Err(unavailable(&format!(
                "the document names issuer {}",
                metadata.issuer().as_str()
            )));
        }
        let keys = JsonWebKeySet::fetch_async(metadata.jwks_uri(), &self.call())
            .await
            .map_err(|e| unavailable(&e))?;
        Ok(metadata.set_jwks(keys))
    }

    /// The HTTP client `openidconnect` calls, over the workspace's reqwest.
    fn call(
        &self,
    ) -> impl Fn(
        openidconnect::HttpRequest,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<openidconnect::HttpResponse, reqwest::Error>>>> {
        let http = self.http.clone();
        move |request: openidconnect::HttpRequest| {
            let http = http.clone();
            Box::pin(async move {
                let (parts, body) = request.into_parts();
                let answer = http
                    .request(parts.method, parts.uri.to_string())
                    .headers(parts.headers)
                    .body(body)
                    .send()
                    .await?;
                let (status, headers) = (answer.status(), answer.headers().clone());
                let mut response = openidconnect::HttpResponse::new(answer.bytes().await?.to_vec());
                *response.status_mut() = status;
                *response.headers_mut() = headers;
                Ok(response)
            })
        }
    }
}
