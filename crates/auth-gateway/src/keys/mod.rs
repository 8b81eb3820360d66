//! Signing keys: loaded from a manifest (a file or an environment variable), published as a
//! JWKS, each pinned to exactly one algorithm.
//!
//! Rotation without downtime: add the new key as `published` (it appears in `/jwks.json`
//! but signs nothing), wait for relying parties to refresh their JWKS cache, then make it
//! `active` and the old one `published`; remove the old one once the longest-lived token it
//! signed has expired. One key per algorithm is `active` at a time.

mod generate;
mod manifest;
mod sealing;

pub use generate::generate_development_keys;
pub use manifest::{KeyManifest, KeyState, ManifestKey};
pub use sealing::{Sealer, SealingEntry, new_secret as new_sealing_secret};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, jwk::Jwk};

/// Algorithms the gateway signs with. RS256 is what every OIDC client supports (ID tokens);
/// ES256 and EdDSA are much cheaper to sign (access tokens).
pub const SUPPORTED: [Algorithm; 3] = [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];

/// One key, usable with its one algorithm only.
pub struct SigningKey {
    pub kid: String,
    pub alg: Algorithm,
    pub state: KeyState,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    /// The public key as published (no private members).
    pub jwk: serde_json::Value,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("state", &self.state)
            .finish()
    }
}

/// Why a key set cannot be used. Messages name the key, never its material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key manifest: {0}")]
    Manifest(String),
    #[error("key {kid}: {reason}")]
    Key { kid: String, reason: String },
}

/// Every configured key.
#[derive(Debug)]
pub struct KeySet {
    keys: Vec<SigningKey>,
    sealer: Sealer,
}

impl KeySet {
    /// Builds the set, checking that kids are unique, each key parses for its algorithm, and
    /// at most one key per algorithm is active.
    pub fn from_manifest(manifest: &KeyManifest) -> Result<Self, KeyError> {
        let mut keys: Vec<SigningKey> = Vec::new();
        for entry in &manifest.keys {
            let kid = entry.kid.clone();
            let fail = |reason: String| KeyError::Key {
                kid: kid.clone(),
                reason,
            };
            if kid.is_empty() || kid.len() > 64 || !kid.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            {
                return Err(fail(
                    "kid must be 1 to 64 characters of letters, digits, '-', '_' or '.'".into(),
                ));
            }
            if keys.iter().any(|k| k.kid == kid) {
                return Err(fail("kid is used twice".into()));
            }
            let alg = parse_alg(&entry.alg)
                .ok_or_else(|| fail(format!("algorithm {} is not one of RS256, ES256, EdDSA", entry.alg)))?;
            let pem = entry.pem.as_bytes();
            let encoding = match alg {
                Algorithm::RS256 => EncodingKey::from_rsa_pem(pem),
                Algorithm::ES256 => EncodingKey::from_ec_pem(pem),
                _ => EncodingKey::from_ed_pem(pem),
            }
            .map_err(|_| fail(format!("not a PEM private key for {}", entry.alg)))?;
            let mut jwk =
                serde_json::to_value(Jwk::from_encoding_key(&encoding, alg).map_err(|e| fail(e.to_string()))?)
                    .map_err(|e| fail(e.to_string()))?;
            jwk["kid"] = kid.clone().into();
            jwk["use"] = "sig".into();
            jwk["alg"] = entry.alg.clone().into();
            let parsed: Jwk = serde_json::from_value(jwk.clone()).map_err(|e| fail(e.to_string()))?;
            let decoding = DecodingKey::from_jwk(&parsed).map_err(|e| fail(e.to_string()))?;
            keys.push(SigningKey {
                kid,
                alg,
                state: entry.state,
                encoding,
                decoding,
                jwk,
            });
        }
        for alg in SUPPORTED {
            let active = keys
                .iter()
                .filter(|k| k.alg == alg && k.state == KeyState::Active)
                .count();
            if active > 1 {
                return Err(KeyError::Manifest(format!(
                    "{active} keys are active for {alg:?}; at most one may sign"
                )));
            }
        }
        let set = Self {
            keys,
            sealer: Sealer::from_entries(&manifest.sealing_keys)?,
        };
        set.self_test()?;
        Ok(set)
    }

    /// The sealing keys.
    pub fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    /// The key that signs with `alg` now, if any.
    pub fn signer(&self, alg: Algorithm) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.alg == alg && k.state == KeyState::Active)
    }

    /// The key a token names by `kid`, for verification with that key's own algorithm only.
    pub fn verifier(&self, kid: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// `/jwks.json`: every configured key's public part.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({ "keys": self.keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
    }

    /// Algorithms with an active key.
    pub fn signing_algorithms(&self) -> Vec<Algorithm> {
        SUPPORTED
            .into_iter()
            .filter(|alg| self.signer(*alg).is_some())
            .collect()
    }

    /// Signs and verifies a token with every key, so a missing or doubled crypto backend or a
    /// broken key stops start-up instead of the first login.
    fn self_test(&self) -> Result<(), KeyError> {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct Probe {
            sub: String,
            exp: i64,
        }
        for key in &self.keys {
            let fail = |reason: String| KeyError::Key {
                kid: key.kid.clone(),
                reason,
            };
            let mut header = jsonwebtoken::Header::new(key.alg);
            header.kid = Some(key.kid.clone());
            let probe = Probe {
                sub: "self-test".into(),
                exp: chrono::Utc::now().timestamp() + 60,
            };
            let token = std::panic::catch_unwind(|| jsonwebtoken::encode(&header, &probe, &key.encoding))
                .map_err(|_| fail("the JWT crypto backend is missing or ambiguous".into()))?
                .map_err(|e| fail(format!("cannot sign: {e}")))?;
            let validation = jsonwebtoken::Validation::new(key.alg);
            jsonwebtoken::decode::<Probe>(&token, &key.decoding, &validation)
                .map_err(|e| fail(format!("cannot verify: {e}")))?;
        }
        Ok(())
    }
}

/// A new `[[sealing_keys]]` entry as TOML, `published` (see [`Command::SealingKey`]).
///
/// [`Command::SealingKey`]: crate::cli::Command::SealingKey
pub fn new_sealing_entry() -> anyhow::Result<String> {
    let entry = SealingEntry::generate("seal", KeyState::Published).ok_or_else(|| anyhow::anyhow!("no randomness"))?;
    let manifest = KeyManifest {
        sealing_keys: vec![entry],
        ..KeyManifest::default()
    };
    Ok(toml::to_string(&manifest)?)
}

fn parse_alg(name: &str) -> Option<Algorithm> {
    match name {
        "RS256" => Some(Algorithm::RS256),
        "ES256" => Some(Algorithm::ES256),
        "EdDSA" => Some(Algorithm::EdDSA),
        _ => None,
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
