//! Sealing keys: AES-256-GCM keys from the key manifest's `[[sealing_keys]]`, for state the
//! gateway hands a browser to bring back unchanged and unread (a passkey ceremony under way),
//! so that any replica can open what another sealed without a row in the database. Every
//! replica loads the same manifest, so they share the keys.
//!
//! ```toml
//! [[sealing_keys]]
//! kid = "2026-12-seal"
//! state = "active"   # seals; "published" only opens (what was sealed before a rotation)
//! secret = "…"       # 32 random bytes, base64url (`auth-gateway sealing-key` prints an entry)
//! ```
//!
//! A sealed value is `kid.base64url(nonce ‖ ciphertext ‖ tag)`, with a fresh random 96-bit
//! nonce per seal and the value's purpose as associated data, so a value sealed for one purpose
//! does not open as another. Rotation: add the new key as `published` on every replica, then
//! make it `active` and the old one `published`; remove the old one once what it sealed has
//! expired (a passkey ceremony: 5 minutes).

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use super::{KeyError, KeyState};

/// Bytes of a sealing secret.
pub const SECRET_LEN: usize = 32;

/// One `[[sealing_keys]]` entry of the manifest.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SealingEntry {
    pub kid: String,
    pub state: KeyState,
    /// 32 bytes, base64url without padding.
    pub secret: String,
}

impl SealingEntry {
    /// A new entry with a fresh secret, its kid `prefix` and the time; `None` if the system has
    /// no randomness.
    pub fn generate(prefix: &str, state: KeyState) -> Option<Self> {
        Some(Self {
            kid: format!("{prefix}-{}", chrono::Utc::now().format("%Y%m%d%H%M%S")),
            state,
            secret: new_secret()?,
        })
    }
}

struct SealingKey {
    kid: String,
    state: KeyState,
    key: LessSafeKey,
}

/// The manifest's sealing keys.
#[derive(Default)]
pub struct Sealer {
    keys: Vec<SealingKey>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.keys.iter().map(|k| (&k.kid, k.state)))
            .finish()
    }
}

impl Sealer {
    /// Checks and loads the entries: kids unique and cookie-safe, secrets of 32 bytes, at most
    /// one active key.
    pub fn from_entries(entries: &[SealingEntry]) -> Result<Self, KeyError> {
        let mut keys: Vec<SealingKey> = Vec::new();
        for entry in entries {
            let fail = |reason: &str| KeyError::Key {
                kid: entry.kid.clone(),
                reason: reason.into(),
            };
            if entry.kid.is_empty()
                || entry.kid.len() > 64
                || !entry.kid.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
            {
                return Err(fail("kid must be 1 to 64 letters, digits, '-' or '_'"));
            }
            if keys.iter().any(|k| k.kid == entry.kid) {
                return Err(fail("kid is used twice"));
            }
            let secret = URL_SAFE_NO_PAD
                .decode(entry.secret.trim())
                .ok()
                .filter(|s| s.len() == SECRET_LEN)
                .ok_or_else(|| fail("secret must be 32 bytes, base64url without padding"))?;
            let key = UnboundKey::new(&AES_256_GCM, &secret).map_err(|_| fail("not an AES-256 key"))?;
            keys.push(SealingKey {
                kid: entry.kid.clone(),
                state: entry.state,
                key: LessSafeKey::new(key),
            });
        }
        if keys.iter().filter(|k| k.state == KeyState::Active).count() > 1 {
            return Err(KeyError::Manifest(
                "more than one sealing key is active; at most one may seal".into(),
            ));
        }
        Ok(Self { keys })
    }

    /// Whether a key is active (something can be sealed).
    pub fn can_seal(&self) -> bool {
        self.keys.iter().any(|k| k.state == KeyState::Active)
    }

    /// `plaintext` sealed with the active key for `purpose`; `None` without an active key or
    /// randomness.
    pub fn seal(&self, purpose: &str, plaintext: &[u8]) -> Option<String> {
        let active = self.keys.iter().find(|k| k.state == KeyState::Active)?;
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).ok()?;
        let mut sealed = plaintext.to_vec();
        active
            .key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.as_bytes()),
                &mut sealed,
            )
            .ok()?;
        let mut out = nonce.to_vec();
        out.append(&mut sealed);
        Some(format!("{}.{}", active.kid, URL_SAFE_NO_PAD.encode(out)))
    }

    /// What [`seal`](Self::seal) sealed for `purpose` under a key still configured; `None` for
    /// anything else (another purpose, an unknown or removed key, a changed byte).
    pub fn open(&self, purpose: &str, sealed: &str) -> Option<Vec<u8>> {
        let (kid, body) = sealed.split_once('.')?;
        let key = self.keys.iter().find(|k| k.kid == kid)?;
        let raw = URL_SAFE_NO_PAD.decode(body).ok()?;
        if raw.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buffer = ciphertext.to_vec();
        let opened = key
            .key
            .open_in_place(nonce, Aad::from(purpose.as_bytes()), &mut buffer)
            .ok()?;
        Some(opened.to_vec())
    }
}

/// A fresh secret for a `[[sealing_keys]]` entry; `None` if the system has no randomness.
pub fn new_secret() -> Option<String> {
    let mut secret = [0u8; SECRET_LEN];
    aws_lc_rs::rand::fill(&mut secret).ok()?;
    Some(URL_SAFE_NO_PAD.encode(secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kid: &str, state: KeyState) -> SealingEntry {
        SealingEntry {
            kid: kid.into(),
            state,
            secret: new_secret().expect("randomness"),
        }
    }

    #[test]
    fn what_is_sealed_opens_for_its_purpose_only() {
        let sealer = Sealer::from_entries(&[entry("a", KeyState::Active)]).expect("valid");
        let sealed = sealer.seal("ceremony", b"state").expect("sealed");
        assert!(sealed.starts_with("a."));
        assert_eq!(sealer.open("ceremony", &sealed).as_deref(), Some(&b"state"[..]));
        assert_eq!(sealer.open("other", &sealed), None);
        assert_ne!(
            sealer.seal("ceremony", b"state"),
            Some(sealed.clone()),
            "a fresh nonce each time"
        );
        assert!(!sealed.contains("state"));
    }

    #[test]
    fn a_changed_byte_or_an_unknown_key_opens_nothing() {
        let sealer = Sealer::from_entries(&[entry("a", KeyState::Active)]).expect("valid");
        let sealed = sealer.seal("ceremony", b"state").expect("sealed");
        let (kid, body) = sealed.split_once('.').expect("kid");
        let mut raw = URL_SAFE_NO_PAD.decode(body).expect("base64url");
        let last = raw.len() - 1;
        raw[last] ^= 1;
        let tampered = format!("{kid}.{}", URL_SAFE_NO_PAD.encode(&raw));
        assert_eq!(sealer.open("ceremony", &tampered), None);
        let other = Sealer::from_entries(&[entry("a", KeyState::Active)]).expect("valid");
        assert_eq!(other.open("ceremony", &sealed), None, "same kid, another secret");
        assert_eq!(sealer.open("ceremony", "b.AAAA"), None);
        assert_eq!(sealer.open("ceremony", "no-dot"), None);
    }

    #[test]
    fn after_a_rotation_the_old_key_still_opens_but_the_new_one_seals() {
        let (old, new) = (entry("old", KeyState::Active), entry("new", KeyState::Published));
        let before = Sealer::from_entries(&[old.clone(), new.clone()]).expect("valid");
        let sealed = before.seal("p", b"x").expect("sealed");
        let rotated = Sealer::from_entries(&[
            SealingEntry {
                state: KeyState::Published,
                ..old
            },
            SealingEntry {
                state: KeyState::Active,
                ..new
            },
        ])
        .expect("valid");
        assert_eq!(rotated.open("p", &sealed).as_deref(), Some(&b"x"[..]));
        assert!(rotated.seal("p", b"x").expect("sealed").starts_with("new."));
    }

    #[test]
    fn bad_entries_are_refused() {
        let short = SealingEntry {
            secret: URL_SAFE_NO_PAD.encode([0u8; 16]),
            ..entry("a", KeyState::Active)
        };
        assert!(Sealer::from_entries(&[short]).is_err());
        assert!(Sealer::from_entries(&[entry("a.b", KeyState::Active)]).is_err());
        assert!(Sealer::from_entries(&[entry("a", KeyState::Active), entry("a", KeyState::Published)]).is_err());
        assert!(Sealer::from_entries(&[entry("a", KeyState::Active), entry("b", KeyState::Active)]).is_err());
        let none = Sealer::from_entries(&[]).expect("valid");
        assert!(!none.can_seal() && none.seal("p", b"x").is_none());
    }
}
