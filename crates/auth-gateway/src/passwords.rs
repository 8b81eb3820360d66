//! Password hashing: argon2id with OWASP's parameters (m=19456 KiB, t=2, p=1), run on blocking
//! threads with bounded concurrency so a burst of logins cannot exhaust memory or stall the
//! async workers. Unknown accounts and accounts without a password are checked against a
//! dummy hash, so timing does not reveal whether an account exists. A hash made with older
//! parameters is replaced at the next successful sign-in.

use std::sync::Arc;

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier, password_hash::SaltString};
use tokio::sync::Semaphore;

/// Longest password accepted, in bytes (longer ones are refused before hashing).
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Shortest password a user may set.
pub const MIN_PASSWORD_CHARS: usize = 10;

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    dummy: Arc<String>,
}

impl Passwords {
    /// `concurrency` hashes may run at once (each takes about 19 MiB).
    pub fn new(concurrency: usize) -> anyhow::Result<Self> {
        let dummy = hash_blocking("not a password of anyone")?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy: Arc::new(dummy),
        })
    }

    /// Hashes a new password.
    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        anyhow::ensure!(password.len() <= MAX_PASSWORD_BYTES, "password too long");
        let _permit = self.permits.acquire().await?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_blocking(&password)).await?
    }

    /// Whether `password` matches `stored`. Always does the work of one verification, also
    /// when there is no stored hash (unknown account, or no password set yet).
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        if password.is_empty() || password.len() > MAX_PASSWORD_BYTES {
            return false;
        }
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let exists = stored.is_some();
        let hash = stored.map(str::to_owned).unwrap_or_else(|| self.dummy.as_ref().clone());
        let password = password.to_owned();
        let matched = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false);
        exists && matched
    }
}

/// Whether `stored` was hashed with other parameters than [`Passwords::hash`] uses now (another
/// algorithm, version, memory, iterations or parallelism), so a sign-in should store a new hash.
pub fn needs_rehash(stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return true;
    };
    let current = argon2::Params::default();
    let param = |name: &str| parsed.params.get_decimal(name);
    parsed.algorithm != argon2::Algorithm::Argon2id.ident()
        || parsed.version != Some(argon2::Version::V0x13.into())
        || param("m") != Some(current.m_cost())
        || param("t") != Some(current.t_cost())
        || param("p") != Some(current.p_cost())
}

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| anyhow::anyhow!("no system randomness"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hash: {e}"))?;
    Ok(hash.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_owasp_parameters_and_unique_salts() {
        let passwords = Passwords::new(2).expect("ready");
        let a = passwords.hash("correct horse battery").await.expect("hash");
        let b = passwords.hash("correct horse battery").await.expect("hash");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "a unique salt per hash");
        assert!(passwords.verify("correct horse battery", Some(&a)).await);
        assert!(!passwords.verify("correct horse batter", Some(&a)).await);
    }

    #[test]
    fn hashes_with_older_parameters_need_a_rehash() {
        let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
        let weak = Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(4096, 1, 1, None).expect("params"),
        )
        .hash_password(b"pw", &salt)
        .expect("hash")
        .to_string();
        assert!(needs_rehash(&weak), "{weak}");
        let argon2i = Argon2::new(
            argon2::Algorithm::Argon2i,
            argon2::Version::V0x13,
            argon2::Params::default(),
        )
        .hash_password(b"pw", &salt)
        .expect("hash")
        .to_string();
        assert!(needs_rehash(&argon2i));
        assert!(!needs_rehash(&hash_blocking("pw").expect("hash")));
        assert!(needs_rehash("not a hash"));
    }

    #[tokio::test]
    async fn nothing_authenticates_without_a_stored_hash() {
        let passwords = Passwords::new(1).expect("ready");
        assert!(
            !passwords.verify("not a password of anyone", None).await,
            "the dummy hash never matches"
        );
        assert!(!passwords.verify("", None).await);
        let stored = passwords.hash("x".repeat(20).as_str()).await.expect("hash");
        assert!(
            !passwords.verify("", Some(&stored)).await,
            "an empty password never matches"
        );
        assert!(
            !passwords
                .verify(&"x".repeat(MAX_PASSWORD_BYTES + 1), Some(&stored))
                .await
        );
        assert!(passwords.hash(&"x".repeat(MAX_PASSWORD_BYTES + 1)).await.is_err());
    }
}
