//! The API token: HS256, `sub` = institution code, `aud` = virtual operator, `iss` = partner,
//! `iat` = now, `exp` ≤ iat + 30 s, minted afresh for every call (S-360 wants it under one
//! second old on arrival). The documentation says milliseconds and shows seconds, so the unit
//! of `iat`/`exp` is configurable.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{EncodingKey, Header, encode};
use secrecy::{ExposeSecret, SecretString};

use crate::{Error, TimeUnit};

/// Longest lifetime S-360 accepts.
pub const MAX_LIFETIME: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Claims {
    pub sub: String,
    pub aud: String,
    pub iss: String,
    pub iat: u64,
    pub exp: u64,
}

/// Who the token speaks for.
#[derive(Debug, Clone)]
pub struct Identity {
    pub institution: String,
    pub virtual_operator: String,
    pub partner: String,
    pub secret: SecretString,
    pub unit: TimeUnit,
    pub lifetime: Duration,
}

/// Mints one token for `identity`, valid from now for its lifetime (at most 30 s).
pub fn mint(identity: &Identity) -> Result<String, Error> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| Error::Config("system clock before 1970".into()))?;
    let lifetime = identity.lifetime.min(MAX_LIFETIME);
    let stamp = |t: Duration| match identity.unit {
        TimeUnit::Seconds => t.as_secs(),
        TimeUnit::Milliseconds => u64::try_from(t.as_millis()).unwrap_or(u64::MAX),
    };
    let claims = Claims {
        sub: identity.institution.clone(),
        aud: identity.virtual_operator.clone(),
        iss: identity.partner.clone(),
        iat: stamp(now),
        exp: stamp(now + lifetime),
    };
    let key = EncodingKey::from_secret(identity.secret.expose_secret().as_bytes());
    encode(&Header::new(jsonwebtoken::Algorithm::HS256), &claims, &key)
        .map_err(|e| Error::Config(format!("cannot sign the API token: {e}")))
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{DecodingKey, Validation, decode};

    use super::*;

    fn identity(unit: TimeUnit, lifetime: Duration) -> Identity {
        Identity {
            institution: "INST".into(),
            virtual_operator: "VOP".into(),
            partner: "bridge".into(),
            secret: SecretString::from("s3cret-s3cret-s3cret".to_owned()),
            unit,
            lifetime,
        }
    }

    fn claims_of(token: &str) -> Claims {
        let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.set_audience(&["VOP"]);
        validation.validate_exp = false;
        decode::<Claims>(token, &DecodingKey::from_secret(b"s3cret-s3cret-s3cret"), &validation)
            .expect("a valid HS256 token")
            .claims
    }

    #[test]
    fn claims_name_institution_operator_and_partner() {
        let claims = claims_of(&mint(&identity(TimeUnit::Seconds, Duration::from_secs(10))).expect("token"));
        assert_eq!(
            (claims.sub.as_str(), claims.aud.as_str(), claims.iss.as_str()),
            ("INST", "VOP", "bridge")
        );
        assert_eq!(claims.exp - claims.iat, 10);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs();
        assert!(claims.iat.abs_diff(now) <= 1);
    }

    #[test]
    fn lifetime_is_capped_at_30_seconds_in_either_unit() {
        let claims = claims_of(&mint(&identity(TimeUnit::Milliseconds, Duration::from_secs(300))).expect("token"));
        assert_eq!(claims.exp - claims.iat, 30_000);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_millis() as u64;
        assert!(claims.iat.abs_diff(now) < 2_000);
    }

    #[test]
    fn every_token_is_fresh() {
        let id = identity(TimeUnit::Milliseconds, Duration::from_secs(30));
        let first = mint(&id).expect("token");
        std::thread::sleep(Duration::from_millis(3));
        assert_ne!(first, mint(&id).expect("token"));
    }
}
