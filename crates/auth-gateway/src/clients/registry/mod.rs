//! Loading, validating and querying the client registry file.

#[cfg(test)]
mod native_app_tests;
#[cfg(test)]
mod tests;

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
    /// A staff client (the support console): its users are staff accounts, who sign in with
    /// password and TOTP on the staff page (`crate::staff`), never fans and never a fan session.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub staff: bool,
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

    /// Unique ids; absolute redirect URIs without fragments, over HTTPS except on loopback,
    /// or private-use schemes for public clients (see [`check_client_redirect`]); secrets for
    /// confidential clients only.
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
            for (field, uris) in [
                ("redirect_uris", &client.redirect_uris),
                ("post_logout_redirect_uris", &client.post_logout_redirect_uris),
            ] {
                for uri in uris {
                    check_client_redirect(uri, client.kind)
                        .map_err(|reason| fail(&format!("{field} {uri}: {reason}")))?;
                }
            }
            for (field, uri) in [
                ("backchannel_logout_uri", &client.backchannel_logout_uri),
                ("frontchannel_logout_uri", &client.frontchannel_logout_uri),
            ] {
                if let Some(uri) = uri {
                    check_redirect_uri(uri).map_err(|reason| fail(&format!("{field} {uri}: {reason}")))?;
                }
            }
            if client.staff && client.kind != ClientKind::Confidential {
                return Err(fail("a staff client must be confidential"));
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

    /// Exact, character-for-character match (RFC 6749 §3.1.2.3; RFC 9700 §4.1.3), but for the
    /// port of a loopback IP redirect registered without one (see [`redirect_matches`]).
    pub fn allows_redirect(&self, uri: &str) -> bool {
        self.redirect_uris
            .iter()
            .any(|registered| redirect_matches(registered, uri))
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

    /// Matched as [`Client::allows_redirect`] matches: a native app listening on an ephemeral
    /// loopback port gets its logout redirect there too.
    pub fn allows_post_logout_redirect(&self, uri: &str) -> bool {
        self.post_logout_redirect_uris
            .iter()
            .any(|registered| redirect_matches(registered, uri))
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

/// A URI a browser is sent to or loads: HTTPS, or HTTP on loopback (the logout URIs, and the
/// web form of a redirect URI).
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

/// A redirect URI (or post-logout redirect URI) of a client of `kind`: a web URI as
/// [`check_redirect_uri`] wants it, or, for a native app, a private-use URI scheme (RFC 8252
/// §7.1) as [`check_private_use`] wants it. A loopback IP redirect registered without a port
/// matches at any port ([`redirect_matches`]), which is sound only for its canonical spelling.
fn check_client_redirect(uri: &str, kind: ClientKind) -> Result<(), String> {
    let url = url::Url::parse(uri).map_err(|_| "not an absolute URL".to_owned())?;
    if NOT_APP_SCHEMES.contains(&url.scheme()) {
        return Err(format!("{}: is never a redirect scheme", url.scheme()));
    }
    if url.fragment().is_some() {
        // RFC 6749 §3.1.2: the code is appended to the query; a fragment would swallow it.
        return Err("must not have a fragment".to_owned());
    }
    match url.scheme() {
        "https" | "http" => {
            check_redirect_uri(uri)?;
            let loopback_ip = match url.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                _ => false,
            };
            if url.scheme() == "http" && loopback_ip && url.port().is_none() && uri != url.as_str() {
                return Err(format!(
                    "a loopback redirect URI without a port matches any port (RFC 8252 §7.3), so it must be \
                     written as {url}"
                ));
            }
            Ok(())
        }
        scheme => check_private_use(uri, &url, scheme, kind),
    }
}

/// Schemes that never reach a native app, however a client is registered: script, inline
/// content, local files, other protocols. The reverse-domain rule of [`check_private_use`]
/// refuses them too (none has a dot); naming them makes the refusal plain.
const NOT_APP_SCHEMES: &[&str] = &[
    "javascript",
    "vbscript",
    "data",
    "blob",
    "file",
    "filesystem",
    "about",
    "view-source",
    "jar",
    "ftp",
    "ws",
    "wss",
    "mailto",
    "tel",
    "sms",
    "intent",
];

/// A private-use URI scheme redirect (RFC 8252 §7.1), such as `com.club.app:/callback`.
///
/// - Its scheme is a reverse domain name, so it contains a dot: §7.1 requires apps to use a
///   domain they control, and §8.4 asks the server to refuse at least a scheme without a dot,
///   which any other app could claim on the device (`myapp:`).
/// - Only public clients: §8.4 classifies native apps as public clients, registered as such,
///   and §8.5 forbids secrets shipped in an app. A confidential client is a server, which has an
///   HTTPS URL; a private-use scheme on one would mean an app holding a secret.
/// - Written in lower case (schemes are case-insensitive, but matching is exact, and Android
///   intent filters match schemes in lower case), with a path after the scheme, as
///   `com.club.app:/callback` (§7.1 gives it a single slash; `com.club.app://callback` is also
///   accepted, as some SDKs write it).
fn check_private_use(uri: &str, url: &url::Url, scheme: &str, kind: ClientKind) -> Result<(), String> {
    let reverse_domain = scheme.contains('.')
        && scheme
            .split('.')
            .all(|label| !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if !reverse_domain {
        return Err(format!(
            "{scheme}: is not a private-use scheme: it must be a reverse domain name the app controls, with a dot, \
             such as com.example.app (RFC 8252 §7.1, §8.4)"
        ));
    }
    if !uri.starts_with(scheme) {
        return Err(format!("write the scheme in lower case, as {scheme}:"));
    }
    if url.cannot_be_a_base() {
        return Err(format!("needs a path after the scheme, as {scheme}:/callback"));
    }
    if kind == ClientKind::Confidential {
        return Err(
            "private-use URI schemes are for native apps, which are public clients (RFC 8252 §8.4): register \
             the app as public (no secret, PKCE)"
                .to_owned(),
        );
    }
    Ok(())
}

/// Whether `requested` is the `registered` redirect URI: character for character, except that
/// a loopback IP literal registered without a port (`http://127.0.0.1/cb`, `http://[::1]/cb`)
/// matches with any port: RFC 8252 §7.3 and §8.4 have the server accept any port there,
/// since a native app listens on whatever ephemeral port the system gives it. Path and query
/// still match exactly. Not `localhost`, whose name may resolve elsewhere (§8.3), nor a URI
/// registered with a port, which pins it.
fn redirect_matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    let Some((authority, rest)) = loopback_without_port(registered) else {
        return false;
    };
    let Some(after) = requested.strip_prefix(authority).and_then(|r| r.strip_prefix(':')) else {
        return false;
    };
    let digits = after.find(|c: char| !c.is_ascii_digit()).unwrap_or(after.len());
    let (port, tail) = after.split_at(digits);
    // The canonical spelling of a port only: no leading zero, no port 0.
    !port.is_empty() && !port.starts_with('0') && port.parse::<u16>().is_ok() && tail == rest
}

/// `("http://<loopback IP literal>", rest)` for a registered `http` redirect URI whose host is
/// a loopback IP literal without a port; `None` otherwise.
fn loopback_without_port(registered: &str) -> Option<(&str, &str)> {
    const SCHEME: &str = "http://";
    let after_scheme = registered.strip_prefix(SCHEME)?;
    let host_end = if after_scheme.starts_with('[') {
        after_scheme.find(']')? + 1
    } else {
        after_scheme.find(['/', '?', '#', ':']).unwrap_or(after_scheme.len())
    };
    let host = &after_scheme[..host_end];
    let loopback = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok_and(|ip| ip.is_loopback()),
        None => host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback()),
    };
    let rest = &after_scheme[host_end..];
    (loopback && (rest.is_empty() || rest.starts_with(['/', '?'])))
        .then(|| registered.split_at(SCHEME.len() + host_end))
}
