//! The contact API's token rules (`shared/SECUTIX.md`, "Contact API"): `Authorization: Bearer
//! <JWT>` signed HS256 with the shared secret (no other algorithm, `none` included), `sub` =
//! institution code, `aud` = virtual operator, `iss` = partner name, `iat` at most
//! `SIM_API_TOKEN_MAX_AGE` old on arrival (and not further in the future), `exp` after now and
//! at most `SIM_API_TOKEN_MAX_LIFETIME` after `iat`. `iat` and `exp` are counted in the
//! configured unit (seconds or milliseconds) and compared in whole units: with seconds, a token
//! minted during second `t` is accepted until second `t + 1` ends.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::ExposeSecret;
use serde_json::Value;

use crate::config::{ApiConfig, TimeUnit};

/// Why a token was refused; the message is the 401's `message` (it names the rule, never a
/// claim's value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("an Authorization: Bearer <JWT> header is required")]
    Missing,
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token must be signed with HS256")]
    Algorithm,
    #[error("the token's signature does not verify with the shared secret")]
    Signature,
    #[error("the {0} claim is missing or wrong")]
    Claim(&'static str),
    #[error("the {0} claim must be a number")]
    NotANumber(&'static str),
    #[error("the token is too old (iat): mint one per call")]
    TooOld,
    #[error("the token is issued in the future (iat)")]
    FromTheFuture,
    #[error("exp is too far after iat")]
    LifetimeTooLong,
    #[error("the token has expired (exp)")]
    Expired,
}

/// The configured rules, built once.
pub struct TokenRules {
    key: DecodingKey,
    validation: Validation,
    institution: String,
    operator: String,
    partner: String,
    unit: TimeUnit,
    max_age: Duration,
    max_lifetime: Duration,
}

impl TokenRules {
    pub fn new(config: &ApiConfig) -> Self {
        // Signature and algorithm only: every claim is checked below, in the configured unit.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        Self {
            key: DecodingKey::from_secret(config.api_secret.expose_secret().as_bytes()),
            validation,
            institution: config.api_institution.clone(),
            operator: config.api_operator.clone(),
            partner: config.api_partner.clone(),
            unit: config.api_time_unit,
            max_age: config.api_token_max_age,
            max_lifetime: config.api_token_max_lifetime,
        }
    }

    /// Checks an `Authorization` header value at time `now`.
    pub fn check(&self, authorization: Option<&str>, now: SystemTime) -> Result<(), TokenError> {
        let token = authorization
            .and_then(|value| {
                let (scheme, token) = value.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|token| !token.is_empty())
            .ok_or(TokenError::Missing)?;
        // `decode_header` also fails for algorithms the library does not know, such as `none`.
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Algorithm)?;
        if header.alg != Algorithm::HS256 {
            return Err(TokenError::Algorithm);
        }
        let claims = jsonwebtoken::decode::<Value>(token, &self.key, &self.validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => TokenError::Signature,
                _ => TokenError::Malformed,
            })?
            .claims;
        let text = |name: &'static str| claims.get(name).and_then(Value::as_str);
        if text("sub") != Some(self.institution.as_str()) {
            return Err(TokenError::Claim("sub"));
        }
        let audience_ok = match claims.get("aud") {
            Some(Value::String(aud)) => *aud == self.operator,
            Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(self.operator.as_str())),
            _ => false,
        };
        if !audience_ok {
            return Err(TokenError::Claim("aud"));
        }
        if text("iss") != Some(self.partner.as_str()) {
            return Err(TokenError::Claim("iss"));
        }
        let iat = number(&claims, "iat")?;
        let exp = number(&claims, "exp")?;
        let now = self.in_unit(now.duration_since(UNIX_EPOCH).unwrap_or_default());
        let max_age = self.in_unit(self.max_age);
        if now - iat > max_age {
            return Err(TokenError::TooOld);
        }
        if iat - now > max_age {
            return Err(TokenError::FromTheFuture);
        }
        if exp - iat > self.in_unit(self.max_lifetime) {
            return Err(TokenError::LifetimeTooLong);
        }
        if exp < now || exp < iat {
            return Err(TokenError::Expired);
        }
        Ok(())
    }

    /// A duration in whole configured units.
    fn in_unit(&self, duration: Duration) -> i128 {
        match self.unit {
            TimeUnit::Seconds => i128::from(duration.as_secs()),
            TimeUnit::Milliseconds => duration.as_millis() as i128,
        }
    }
}

/// A numeric claim (a string `exp` is refused, unlike some libraries once did).
fn number(claims: &Value, name: &'static str) -> Result<i128, TokenError> {
    match claims.get(name) {
        Some(Value::Number(n)) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f.floor() as i128))
            .ok_or(TokenError::NotANumber(name)),
        Some(_) => Err(TokenError::NotANumber(name)),
        None => Err(TokenError::Claim(name)),
    }
}

#[cfg(test)]
#[path = "token_tests.rs"]
mod tests;

/// Mints a token the way an integration must (fresh `iat`, `exp` = `iat` + 30 s, in the
/// configured unit), for tests and tools that call the simulated API.
pub fn mint(config: &ApiConfig) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let (iat, lifetime) = match config.api_time_unit {
        TimeUnit::Seconds => (now.as_secs() as i64, config.api_token_max_lifetime.as_secs() as i64),
        TimeUnit::Milliseconds => (now.as_millis() as i64, config.api_token_max_lifetime.as_millis() as i64),
    };
    let claims = serde_json::json!({
        "sub": config.api_institution,
        "aud": config.api_operator,
        "iss": config.api_partner,
        "iat": iat,
        "exp": iat + lifetime,
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(config.api_secret.expose_secret().as_bytes()),
    )
    .expect("HS256 signing with a secret cannot fail")
}
