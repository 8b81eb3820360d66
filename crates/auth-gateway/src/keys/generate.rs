//! Development keys: generated once into a local directory (RS256 for ID tokens, ES256 for
//! access tokens, a sealing key for passkey ceremonies) with a manifest, so `make run` works on
//! a fresh machine. Production keys come from the operator's secret store.

use std::path::Path;

use aws_lc_rs::{
    encoding::AsDer,
    rand::SystemRandom,
    rsa::{KeyPair as RsaKeyPair, KeySize},
    signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair},
};
use base64::Engine;

use super::{KeyManifest, KeyState, ManifestKey, SealingEntry};

/// Writes a manifest with a fresh RS256 and ES256 key and a sealing key into `dir` unless one
/// exists there (a manifest of an earlier release, without a sealing key, gets one); returns
/// the manifest path.
pub fn generate_development_keys(dir: &Path) -> anyhow::Result<std::path::PathBuf> {
    let manifest_path = dir.join("keys.toml");
    if manifest_path.exists() {
        let mut manifest: KeyManifest = toml::from_str(&std::fs::read_to_string(&manifest_path)?)?;
        if manifest.sealing_keys.is_empty() {
            manifest.sealing_keys.push(
                SealingEntry::generate("dev-seal", KeyState::Active).ok_or_else(|| anyhow::anyhow!("no randomness"))?,
            );
            std::fs::remove_file(&manifest_path)?;
            write_private(&manifest_path, &toml::to_string(&manifest)?)?;
        }
        return Ok(manifest_path);
    }
    std::fs::create_dir_all(dir)?;
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S");
    let rsa = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| anyhow::anyhow!("RSA key generation failed"))?;
    let rsa_der = rsa.as_der().map_err(|_| anyhow::anyhow!("RSA key encoding failed"))?;
    let ec = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
        .map_err(|_| anyhow::anyhow!("EC key generation failed"))?;
    let mut manifest = KeyManifest::default();
    for (kid, alg, der) in [
        (format!("dev-rs-{stamp}"), "RS256", rsa_der.as_ref().to_vec()),
        (format!("dev-es-{stamp}"), "ES256", ec.as_ref().to_vec()),
    ] {
        let file = format!("{kid}.pem");
        write_private(&dir.join(&file), &pem("PRIVATE KEY", &der))?;
        manifest.keys.push(ManifestKey {
            kid,
            alg: alg.into(),
            state: KeyState::Active,
            file: Some(file),
            pem: String::new(),
        });
    }
    manifest
        .sealing_keys
        .push(SealingEntry::generate("dev-seal", KeyState::Active).ok_or_else(|| anyhow::anyhow!("no randomness"))?);
    write_private(&manifest_path, &toml::to_string(&manifest)?)?;
    tracing::warn!(dir = %dir.display(), "Generated development signing keys; configure real keys outside local development");
    Ok(manifest_path)
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

/// Writes a file readable by its owner only.
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path)?.write_all(content.as_bytes())
}
