//! Sign in with Apple's client secret: Apple takes no static secret at its token endpoint but
//! a JWT signed ES256 with the team's Sign in with Apple key (`.p8`), naming the team (`iss`),
//! the Services ID (`sub`) and Apple (`aud`). A fresh one, valid five minutes, is minted for
//! each token request, so no long-lived secret exists outside the key file.

use super::config::Provider;

/// Apple's client secret for `c`: an ES256 JWT signed with the configured key, valid 5 minutes;
/// the reason when it cannot be made (the key file gone or changed since start-up).
pub fn client_secret(c: &Provider) -> Result<String, String> {
    let failed = |e: &dyn std::fmt::Display| format!("apple client secret: {e}");
    let pem =
        std::fs::read(c.private_key_file.as_deref().unwrap_or(std::path::Path::new(""))).map_err(|e| failed(&e))?;
    let key = jsonwebtoken::EncodingKey::from_ec_pem(&pem).map_err(|e| failed(&e))?;
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = c.key_id.clone();
    let now = chrono::Utc::now().timestamp();
    let claims = serde_json::json!({
        "iss": c.team_id,
        "iat": now,
        "exp": now + 300,
        "aud": "https://appleid.apple.com",
        "sub": c.client_id,
    });
    jsonwebtoken::encode(&header, &claims, &key).map_err(|e| failed(&e))
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;

    #[test]
    fn apples_client_secret_is_an_es256_jwt_signed_with_the_configured_key() {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("key");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).expect("key");
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref())
        );
        let file = std::env::temp_dir().join(format!("apple-{}.p8", uuid::Uuid::new_v4().simple()));
        std::fs::write(&file, pem).expect("written");
        let config: Provider = toml::from_str(&format!(
            "id = \"apple\"\nname = \"Apple\"\nkind = \"apple\"\nissuer = \"https://appleid.apple.com\"\n\
             client_id = \"org.example.web\"\nteam_id = \"TEAM123456\"\nkey_id = \"KEY1234567\"\n\
             private_key_file = \"{}\"\n",
            file.display()
        ))
        .expect("config");
        assert!(config.form_post(), "Apple answers with form_post");
        let jwt = client_secret(&config).expect("minted");
        let parts: Vec<&str> = jwt.split('.').collect();
        let decode = |part: &str| -> serde_json::Value {
            serde_json::from_slice(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(part)
                    .expect("b64"),
            )
            .expect("json")
        };
        let (header, claims) = (decode(parts[0]), decode(parts[1]));
        assert_eq!(
            (header["alg"].as_str(), header["kid"].as_str()),
            (Some("ES256"), Some("KEY1234567"))
        );
        assert_eq!(claims["iss"], "TEAM123456");
        assert_eq!(claims["sub"], "org.example.web");
        assert_eq!(claims["aud"], "https://appleid.apple.com");
        let lifetime = claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat");
        assert!((1..=300).contains(&lifetime), "{lifetime}");
        let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[2])
            .expect("b64");
        aws_lc_rs::signature::UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, pair.public_key().as_ref())
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .expect("signed with the configured key");
    }
}
