//! Loading, validating and querying the client registry file.

use std::path::Path;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientKind {
    /// Authenticates with a secret (`client_secret_basic` or `client_secret_post`).
    #[default]
    Confidential,
    /// Cannot keep a secret (a browser or mobile app): PKCE S256 is required instead.
    Public,
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    pub id: String,
    pub name: String,
    pub kind: ClientKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_hashes: Vec<String>,
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// RFC 9126 §6: the client may start an authorization only with a pushed request.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_pushed_authorization_requests: bool,
    /// OIDC Back-Channel Logout 1.0: where a logout token is POSTed when a session in which
    /// this client signed a fan in ends, for whatever reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_uri: Option<String>,
    /// Whether the logout token must carry the session's `sid` (it always does).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub backchannel_logout_session_required: bool,
    /// OIDC Front-Channel Logout 1.0: a page of the client the sign-out page loads in an
    /// iframe, for clients that cannot receive back-channel calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frontchannel_logout_uri: Option<String>,
    /// Whether that page gets `iss` and `sid` in its query.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub frontchannel_logout_session_required: bool,
    /// How long this client's refresh tokens live, in days (default 30; an app on devices
    /// that stay offline for weeks wants longer). At most 365.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_days: Option<u32>,
    /// Seconds during which a spent refresh token presented again by this client gets the same
    /// successor instead of revoking its family, as after a response lost on a phone network
    /// (default 5, 0 turns it off, at most 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_reuse_grace_seconds: Option<u32>,
}

/// Why a registry cannot be used; messages name the client, never a secret.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("client registry {path}: {reason}")]
    File { path: String, reason: String },
    #[error("client {id}: {reason}")]
    Client { id: String, reason: String },
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClientRegistry {
    #[serde(default)]
    pub clients: Vec<Client>,
}

impl ClientRegistry {
    /// Reads and validates a registry file.
    pub fn load(path: &Path) -> Result<Self, RegistryError> {
        let file_error = |reason: String| RegistryError::File {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
        let registry: Self = toml::from_str(&text).map_err(|e| file_error(e.message().to_owned()))?;
        registry.validate()?;
        Ok(registry)
    }

    /// Writes the registry (after validating it), replacing the file atomically.
    pub fn save(&self, path: &Path) -> Result<(), RegistryError> {
        self.validate()?;
        let file_error = |reason: String| RegistryError::File {
            path: path.display().to_string(),
            reason,
        };
        let text = toml::to_string_pretty(self).map_err(|e| file_error(e.to_string()))?;
        let temporary = path.with_extension("toml.tmp");
        std::fs::write(&temporary, text).map_err(|e| file_error(e.to_string()))?;
        std::fs::rename(&temporary, path).map_err(|e| file_error(e.to_string()))
    }

    pub fn get(&self, id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.id == id)
    }

    /// Unique ids; absolute redirect URIs without fragments, over HTTPS except on loopback;
    /// secrets for confidential clients only.
    pub fn validate(&self) -> Result<(), RegistryError> {
        for (index, client) in self.clients.iter().enumerate() {
            let fail = |reason: &str| RegistryError::Client {
                id: client.id.clone(),
                reason: reason.to_owned(),
            };
            if client.id.is_empty()
                || client.id.len() > 64
                || !client
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            {
                return Err(fail("id must be 1 to 64 letters, digits, '-', '_' or '.'"));
            }
            if self.clients[..index].iter().any(|other| other.id == client.id) {
                return Err(fail("id is registered twice"));
            }
            match client.kind {
                ClientKind::Confidential if client.secret_hashes.is_empty() => {
                    return Err(fail("a confidential client needs a secret"));
                }
                ClientKind::Public if !client.secret_hashes.is_empty() => {
                    return Err(fail("a public client has no secret"));
                }
                _ => {}
            }
            if client.secret_hashes.iter().any(|h| decode_hash(h).is_none()) {
                return Err(fail("secret hashes must be `sha256:` and 64 hex digits"));
            }
            if client.redirect_uris.is_empty() {
                return Err(fail("at least one redirect URI is required"));
            }
            for uri in client.redirect_uris.iter().chain(&client.post_logout_redirect_uris) {
                check_redirect_uri(uri).map_err(|reason| fail(&format!("redirect URI {uri}: {reason}")))?;
            }
            for (field, uri) in [
                ("backchannel_logout_uri", &client.backchannel_logout_uri),
                ("frontchannel_logout_uri", &client.frontchannel_logout_uri),
            ] {
                if let Some(uri) = uri {
                    check_redirect_uri(uri).map_err(|reason| fail(&format!("{field} {uri}: {reason}")))?;
                }
            }
            if client.refresh_token_days.is_some_and(|days| !(1..=365).contains(&days)) {
                return Err(fail("refresh_token_days must be between 1 and 365"));
            }
            if client.refresh_reuse_grace_seconds.is_some_and(|seconds| seconds > 60) {
                return Err(fail("refresh_reuse_grace_seconds must be at most 60"));
            }
        }
        Ok(())
    }
}

impl Client {
    /// Whether `secret` matches one of the stored digests, in constant time.
    pub fn authenticate(&self, secret: &str) -> bool {
        let presented: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        let mut matched = subtle::Choice::from(0);
        for stored in self.secret_hashes.iter().filter_map(|h| decode_hash(h)) {
            matched |= presented.ct_eq(&stored);
        }
        bool::from(matched)
    }

    /// Exact, character-for-character match (RFC 6749 §3.1.2.3; OAuth 2.0 Security BCP §4.1.3).
    pub fn allows_redirect(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|registered| registered == uri)
    }

    /// How long this client's refresh tokens live.
    pub fn refresh_lifetime(&self) -> chrono::Duration {
        chrono::Duration::days(i64::from(self.refresh_token_days.unwrap_or(DEFAULT_REFRESH_DAYS)))
    }

    /// How long a spent refresh token may be presented again for the same successor.
    pub fn refresh_reuse_grace(&self) -> chrono::Duration {
        chrono::Duration::seconds(i64::from(
            self.refresh_reuse_grace_seconds.unwrap_or(DEFAULT_REUSE_GRACE_SECONDS),
        ))
    }

    pub fn allows_post_logout_redirect(&self, uri: &str) -> bool {
        self.post_logout_redirect_uris
            .iter()
            .any(|registered| registered == uri)
    }
}

/// Refresh-token lifetime of a client that sets none.
pub const DEFAULT_REFRESH_DAYS: u32 = 30;
/// Refresh-token reuse grace of a client that sets none.
pub const DEFAULT_REUSE_GRACE_SECONDS: u32 = 5;

/// The stored form of a secret.
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    format!(
        "sha256:{}",
        digest.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

fn decode_hash(stored: &str) -> Option<[u8; 32]> {
    let hex = stored.strip_prefix("sha256:")?;
    if hex.len() != 64 {
        return None;
    }
    let mut digest = [0u8; 32];
    for (i, byte) in digest.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(digest)
}

fn check_redirect_uri(uri: &str) -> Result<(), &'static str> {
    let url = url::Url::parse(uri).map_err(|_| "not an absolute URL")?;
    if url.fragment().is_some() {
        return Err("must not have a fragment");
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if crate::loopback::is_loopback(&url) => Ok(()),
        _ => Err("must be https (http only on loopback addresses)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shop(secret: &str) -> Client {
        Client {
            id: "secutix-shop".into(),
            name: "S-360 ticket shop".into(),
            kind: ClientKind::Confidential,
            secret_hashes: vec![hash_secret(secret)],
            redirect_uris: vec!["https://shop.example.org/cas/login?client_name=IDP".into()],
            post_logout_redirect_uris: vec![],
            ..Default::default()
        }
    }

    #[test]
    fn secrets_match_in_constant_time_against_every_stored_digest() {
        let mut client = shop("first-secret");
        assert!(client.authenticate("first-secret"));
        assert!(!client.authenticate("first-secre"));
        assert!(!client.authenticate(""));
        client.secret_hashes.insert(0, hash_secret("second-secret"));
        assert!(
            client.authenticate("second-secret") && client.authenticate("first-secret"),
            "both during a rotation"
        );
    }

    #[test]
    fn redirect_uris_match_exactly() {
        let client = shop("s");
        assert!(client.allows_redirect("https://shop.example.org/cas/login?client_name=IDP"));
        for near_miss in [
            "https://shop.example.org/cas/login?client_name=IDP&x=1",
            "https://shop.example.org/cas/login?client_name=idp",
            "https://shop.example.org/cas/login",
            "https://shop.example.org.evil.example/cas/login?client_name=IDP",
            "http://shop.example.org/cas/login?client_name=IDP",
            "https://shop.example.org/cas/login/../login?client_name=IDP",
        ] {
            assert!(!client.allows_redirect(near_miss), "{near_miss}");
        }
    }

    #[test]
    fn invalid_registries_are_refused_naming_the_client() {
        type Mutation = Box<dyn Fn(&mut Client)>;
        let cases: Vec<(&str, Mutation)> = vec![
            (
                "a confidential client needs a secret",
                Box::new(|c| c.secret_hashes.clear()),
            ),
            (
                "secret hashes must be",
                Box::new(|c| c.secret_hashes = vec!["plain-secret".into()]),
            ),
            ("at least one redirect URI", Box::new(|c| c.redirect_uris.clear())),
            (
                "must not have a fragment",
                Box::new(|c| c.redirect_uris = vec!["https://a.example/#x".into()]),
            ),
            (
                "must be https",
                Box::new(|c| c.redirect_uris = vec!["http://shop.example.org/cb".into()]),
            ),
            (
                "not an absolute URL",
                Box::new(|c| c.redirect_uris = vec!["/callback".into()]),
            ),
            (
                "a public client has no secret",
                Box::new(|c| c.kind = ClientKind::Public),
            ),
            ("id must be", Box::new(|c| c.id = "shop id".into())),
        ];
        for (expected, mutate) in cases {
            let mut client = shop("s");
            mutate(&mut client);
            let error = ClientRegistry { clients: vec![client] }
                .validate()
                .expect_err(expected)
                .to_string();
            assert!(error.contains(expected), "{error}");
        }
        let twice = ClientRegistry {
            clients: vec![shop("a"), shop("b")],
        }
        .validate()
        .expect_err("duplicate");
        assert!(twice.to_string().contains("registered twice"));
        let mut local = shop("s");
        local.redirect_uris = vec!["http://127.0.0.1:3000/callback".into()];
        assert!(
            ClientRegistry { clients: vec![local] }.validate().is_ok(),
            "http on loopback for development"
        );
    }
}
