//! Issuing and verifying tokens. ID tokens are RS256 (`typ: JWT`); access tokens follow RFC 9068
//! (`typ: at+jwt`, `client_id`, `jti`) with the configured algorithm. Verification is strict:
//! the key is chosen only by `kid` among our own keys and used with its one algorithm; the
//! header may hold nothing but `alg`, `typ` and `kid` (so `jku`, `jwk`, `x5u`, `crit` are
//! refused); duplicate members, non-numeric times, a wrong `typ`, `iss` or `aud`, an expired
//! token or one not yet valid are all rejected.

use std::{sync::Arc, time::Duration};

use base64::Engine;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::keys::KeySet;

/// Largest token accepted for verification, in bytes.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECONDS: u64 = 30;

pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";
pub const ID_TOKEN_TYPE: &str = "JWT";

/// The claims of an access token (RFC 9068 §2.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub jti: String,
    pub client_id: String,
    pub scope: String,
    pub auth_time: i64,
    /// The refresh-token family (grant) the token belongs to, so revoking the grant revokes it.
    pub sid: String,
    /// Claims the `claims` request parameter asked userinfo for beyond those of `scope` (OIDC
    /// Core §5.5); absent when it asked for none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub userinfo_claims: Vec<String>,
}

/// The `acr` of every ID token (OIDC Core §2): a single-factor sign-in, with the account's
/// password or a code mailed to its address (`amr` says which: `pwd` or `otp`). A URI of ours
/// rather than an ISO/IEC 29115 level: `"0"` would say less than such a sign-in is, and no
/// registered name fits; its name keeps the password it was first given for, so that relying
/// parties configured with it go on matching.
pub const ACR_PASSWORD: &str = "urn:secutix-bridge:acr:pwd";

#[derive(Serialize)]
struct IdClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
    auth_time: i64,
    /// RFC 8176 authentication methods: how the session was opened (`store::auth::method`).
    amr: &'a [&'static str],
    /// [`ACR_PASSWORD`].
    acr: &'static str,
    /// The session at the gateway, for back- and front-channel logout.
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    /// Claims about the fan: those the scopes put in the ID token and those the `claims`
    /// request parameter asked for in it; never a member named above.
    #[serde(flatten)]
    identity: &'a serde_json::Map<String, serde_json::Value>,
}

/// Why a token was refused; deliberately coarse towards clients.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token is not signed by a key of ours with its algorithm")]
    Key,
    #[error("the token is not of the expected type")]
    Type,
    #[error("the token is invalid: {0}")]
    Invalid(String),
}

#[derive(Clone)]
pub struct Tokens {
    pub issuer: String,
    pub keys: Arc<KeySet>,
    pub access_alg: Algorithm,
    pub access_ttl: Duration,
    pub id_ttl: Duration,
}

/// The only header members we issue or accept.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictHeader {
    alg: String,
    typ: String,
    kid: String,
}

impl Tokens {
    pub fn access_token(
        &self,
        subject: &str,
        client_id: &str,
        scope: &str,
        auth_time: i64,
        grant: &str,
        userinfo_claims: &[String],
    ) -> anyhow::Result<(String, AccessClaims)> {
        let now = chrono::Utc::now().timestamp();
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            sub: subject.to_owned(),
            aud: self.issuer.clone(),
            exp: now + self.access_ttl.as_secs() as i64,
            iat: now,
            nbf: now,
            jti: uuid::Uuid::new_v4().to_string(),
            client_id: client_id.to_owned(),
            scope: scope.to_owned(),
            auth_time,
            sid: grant.to_owned(),
            userinfo_claims: userinfo_claims.to_vec(),
        };
        let token = self.sign(self.access_alg, ACCESS_TOKEN_TYPE, &claims)?;
        Ok((token, claims))
    }

    #[allow(clippy::too_many_arguments)]
    pub fn id_token(
        &self,
        subject: &str,
        client_id: &str,
        nonce: Option<&str>,
        auth_time: i64,
        amr: &[&'static str],
        sid: Option<&str>,
        identity: &serde_json::Map<String, serde_json::Value>,
    ) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = IdClaims {
            iss: &self.issuer,
            sub: subject,
            aud: client_id,
            exp: now + self.id_ttl.as_secs() as i64,
            iat: now,
            auth_time,
            amr,
            acr: ACR_PASSWORD,
            sid,
            nonce,
            identity,
        };
        self.sign(Algorithm::RS256, ID_TOKEN_TYPE, &claims)
    }

    fn sign<T: Serialize>(&self, alg: Algorithm, typ: &str, claims: &T) -> anyhow::Result<String> {
        let key = self
            .keys
            .signer(alg)
            .ok_or_else(|| anyhow::anyhow!("no active {alg:?} key"))?;
        let mut header = Header::new(alg);
        header.typ = Some(typ.to_owned());
        header.kid = Some(key.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &key.encoding)?)
    }

    /// Verifies an access token for our own APIs (`aud` = the issuer).
    pub fn verify_access_token(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let key = self.key_for(token, ACCESS_TOKEN_TYPE)?;
        let mut validation = Validation::new(key.alg);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.set_issuer(&[self.issuer.as_str()]);
        validation.set_audience(&[self.issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<AccessClaims>(token, &key.decoding, &validation)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        Ok(data.claims)
    }
}

/// The claims of a logout token (OIDC Back-Channel Logout 1.0 §2.4): no `nonce`, and the one
/// event that says what it is.
#[derive(Serialize)]
struct LogoutClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
    sub: &'a str,
    sid: &'a str,
    events: serde_json::Value,
}

/// The `typ` of logout tokens (§2.4, RFC 8725 §3.11).
pub const LOGOUT_TOKEN_TYPE: &str = "logout+jwt";
/// How long a logout token is valid: long enough for a retry, short enough not to be replayed.
const LOGOUT_TOKEN_TTL_SECONDS: i64 = 120;

impl Tokens {
    /// A logout token for `client_id` saying the session `sid` of `subject` ended, signed like
    /// the ID tokens (RS256), since relying parties verify both with the same key.
    pub fn logout_token(&self, subject: &str, client_id: &str, sid: &str) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = LogoutClaims {
            iss: &self.issuer,
            aud: client_id,
            iat: now,
            exp: now + LOGOUT_TOKEN_TTL_SECONDS,
            jti: uuid::Uuid::new_v4().to_string(),
            sub: subject,
            sid,
            events: serde_json::json!({ "http://schemas.openid.net/event/backchannel-logout": {} }),
        };
        self.sign(Algorithm::RS256, LOGOUT_TOKEN_TYPE, &claims)
    }
}

impl Tokens {
    /// Verifies one of our ID tokens as an `id_token_hint` (OIDC RP-Initiated Logout §2):
    /// signature, issuer and type; an expired hint is still a valid hint. Returns `(sub, aud)`.
    pub fn verify_id_token_hint(&self, token: &str) -> Result<(String, String), TokenError> {
        #[derive(Deserialize)]
        struct Hint {
            sub: String,
            aud: String,
        }
        let key = self.key_for(token, ID_TOKEN_TYPE)?;
        if key.alg != Algorithm::RS256 {
            return Err(TokenError::Key);
        }
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.set_issuer(&[self.issuer.as_str()]);
        validation.set_required_spec_claims(&["iss", "sub", "aud"]);
        let data = jsonwebtoken::decode::<Hint>(token, &key.decoding, &validation)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        Ok((data.claims.sub, data.claims.aud))
    }
}

impl Tokens {
    /// The key a compact token of type `typ` names, checked before any signature work: size,
    /// three segments, a header of exactly `alg`, `typ` and `kid`, the expected type, a kid of
    /// ours, and that key's own algorithm spelled exactly (so "none", "NONE" or any other
    /// spelling never selects a key).
    fn key_for(&self, token: &str, typ: &str) -> Result<&crate::keys::SigningKey, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(header), Some(_payload), Some(_signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .map_err(|_| TokenError::Malformed)?;
        let header: StrictHeader = serde_json::from_slice(&header).map_err(|_| TokenError::Malformed)?;
        if header.typ != typ {
            return Err(TokenError::Type);
        }
        let key = self.keys.verifier(&header.kid).ok_or(TokenError::Key)?;
        if header.alg != algorithm_name(key.alg) {
            return Err(TokenError::Key);
        }
        Ok(key)
    }
}

fn algorithm_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::RS256 => "RS256",
        Algorithm::ES256 => "ES256",
        Algorithm::EdDSA => "EdDSA",
        _ => "unsupported",
    }
}
