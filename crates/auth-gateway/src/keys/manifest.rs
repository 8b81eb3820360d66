//! The key manifest: a TOML document listing keys, read from `GATEWAY_KEYS` (the document
//! itself, for secret stores that inject environment variables) or from the file
//! `GATEWAY_KEYS_FILE` (PEM files named relative to it).
//!
//! ```toml
//! [[keys]]
//! kid = "2026-11-rs"
//! alg = "RS256"
//! state = "active"        # signs; "published" only appears in the JWKS
//! file = "2026-11-rs.pem" # or: pem = "-----BEGIN PRIVATE KEY-----\n..."
//!
//! [[sealing_keys]]        # see sealing.rs
//! kid = "2026-12-seal"
//! state = "active"
//! secret = "…"
//! ```

use std::path::Path;

use super::KeyError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    /// Signs new tokens (one per algorithm) and is published.
    Active,
    /// Published for verification only: before it becomes active, or until the tokens it
    /// signed have expired.
    Published,
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestKey {
    pub kid: String,
    pub alg: String,
    pub state: KeyState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Filled from `file` when loading; or given inline.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pem: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeyManifest {
    #[serde(default)]
    pub keys: Vec<ManifestKey>,
    /// Symmetric keys sealing what the browser carries for the gateway (`sealing.rs`); never
    /// published.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sealing_keys: Vec<super::SealingEntry>,
}

impl KeyManifest {
    /// Parses a manifest; `base` resolves `file` entries.
    pub fn parse(text: &str, base: Option<&Path>) -> Result<Self, KeyError> {
        let mut manifest: Self = toml::from_str(text).map_err(|e| KeyError::Manifest(e.message().to_owned()))?;
        for key in &mut manifest.keys {
            match (&key.file, key.pem.is_empty()) {
                (Some(file), true) => {
                    let path = base.map(|b| b.join(file)).unwrap_or_else(|| file.into());
                    key.pem = std::fs::read_to_string(&path).map_err(|e| KeyError::Key {
                        kid: key.kid.clone(),
                        reason: format!("cannot read {}: {e}", path.display()),
                    })?;
                }
                (None, false) => {}
                _ => {
                    return Err(KeyError::Key {
                        kid: key.kid.clone(),
                        reason: "give exactly one of `file` and `pem`".into(),
                    });
                }
            }
        }
        Ok(manifest)
    }

    pub fn read_file(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| KeyError::Manifest(format!("cannot read {}: {e}", path.display())))?;
        Self::parse(&text, path.parent())
    }
}
