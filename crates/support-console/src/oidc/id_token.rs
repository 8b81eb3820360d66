//! Strict validation of the gateway's ID tokens for the console: the algorithm is pinned
//! (RS256, what the gateway signs ID tokens with), the key is chosen only by `kid` among the
//! gateway's published keys, `typ` must be `JWT`; `iss`, `aud` (our client id only), `exp` and
//! `nonce` are checked; the token must state a staff role and `amr` both `pwd` and `otp`.

use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde::Deserialize;
use store::console::Role;
use subtle::ConstantTimeEq;

/// Clock skew tolerated on `exp`, in seconds.
const LEEWAY_SECONDS: u64 = 30;

/// What the console takes from a staff ID token.
#[derive(Debug, Clone)]
pub struct StaffIdentity {
    pub staff_id: uuid::Uuid,
    pub email: String,
    pub role: Role,
    pub auth_time: i64,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    staff_role: String,
    email: String,
    auth_time: i64,
    nonce: Option<String>,
    #[serde(default)]
    amr: Vec<String>,
    /// `aud` may be an array; a second audience is refused.
    #[serde(default)]
    azp: Option<String>,
}

/// Why a token is refused (for the logs: never the token).
#[derive(Debug)]
pub struct Refused(pub &'static str);

pub fn verify(
    token: &str,
    keys: &JwkSet,
    issuer: &str,
    client_id: &str,
    nonce: &str,
) -> Result<StaffIdentity, Refused> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| Refused("malformed header"))?;
    if header.alg != Algorithm::RS256 {
        return Err(Refused("not RS256"));
    }
    if header.typ.as_deref() != Some("JWT") || header.jku.is_some() || header.jwk.is_some() || header.x5u.is_some() {
        return Err(Refused("unexpected header"));
    }
    let kid = header.kid.ok_or(Refused("no kid"))?;
    let jwk = keys.find(&kid).ok_or(Refused("unknown kid"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| Refused("unusable key"))?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.leeway = LEEWAY_SECONDS;
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[client_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
        .map_err(|_| Refused("signature, issuer, audience or expiry"))?
        .claims;
    if claims.azp.as_deref().is_some_and(|azp| azp != client_id) {
        return Err(Refused("another authorized party"));
    }
    let nonce_ok = claims
        .nonce
        .as_deref()
        .is_some_and(|n| bool::from(n.as_bytes().ct_eq(nonce.as_bytes())));
    if !nonce_ok {
        return Err(Refused("nonce"));
    }
    if !(claims.amr.iter().any(|m| m == "pwd") && claims.amr.iter().any(|m| m == "otp")) {
        return Err(Refused("not a password and TOTP sign-in"));
    }
    let role = Role::parse(&claims.staff_role).ok_or(Refused("no staff role"))?;
    let staff_id = uuid::Uuid::parse_str(&claims.sub).map_err(|_| Refused("subject"))?;
    Ok(StaffIdentity {
        staff_id,
        email: claims.email,
        role,
        auth_time: claims.auth_time,
    })
}
