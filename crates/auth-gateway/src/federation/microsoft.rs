//! Microsoft's shared tenants (`common`, `organizations`, `consumers`) publish an issuer
//! template, `https://login.microsoftonline.com/{tenantid}/v2.0`, in their discovery document;
//! each ID token then comes from the fan's own tenant. Its `iss` must be that template filled
//! with the token's own `tid`, checked after the signature (`upstream.rs`).

use base64::Engine;

/// For a shared Microsoft tenant: the (already verified) token's `iss` must be the issuer of
/// its own tenant, `tid`.
pub fn check_tenant_issuer(jwt: &str) -> Result<(), String> {
    let payload = jwt.split('.').nth(1).ok_or("malformed ID token")?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| "malformed ID token")?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| "malformed ID token")?;
    let tid = claims["tid"].as_str().filter(|t| !t.is_empty()).ok_or("no tid")?;
    let expected = format!("https://login.microsoftonline.com/{tid}/v2.0");
    if claims["iss"].as_str() == Some(expected.as_str()) {
        Ok(())
    } else {
        Err("the issuer is not the token's tenant".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(claims: serde_json::Value) -> String {
        let encode = |v: &serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.sig",
            encode(&serde_json::json!({"alg": "RS256"})),
            encode(&claims)
        )
    }

    #[test]
    fn a_shared_tenant_token_must_name_its_own_tenant_as_issuer() {
        let tid = "9188040d-6c67-4c5b-b112-36a304b66dad";
        let good = serde_json::json!({"tid": tid, "iss": format!("https://login.microsoftonline.com/{tid}/v2.0")});
        assert!(check_tenant_issuer(&token(good)).is_ok());
        let other = serde_json::json!({"tid": tid, "iss": "https://login.microsoftonline.com/another/v2.0"});
        assert!(check_tenant_issuer(&token(other)).is_err());
        let template = serde_json::json!({"iss": "https://login.microsoftonline.com/{tenantid}/v2.0"});
        assert!(check_tenant_issuer(&token(template)).is_err());
    }
}
