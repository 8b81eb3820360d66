//! The upstream providers file (`GATEWAY_UPSTREAMS_FILE`, TOML, or JSON when it ends in
//! `.json`), read and validated at start-up: a provider that cannot work is a start-up error,
//! not a fan's failed sign-in. Messages name the provider, never a secret.
//!
//! ```toml
//! [[providers]]
//! id = "google"                       # in URLs: /login/social/google/callback
//! name = "Google"                     # on the button: "Continue with Google"
//! kind = "google"                     # google | apple | microsoft | oidc
//! issuer = "https://accounts.google.com"
//! client_id = "…apps.googleusercontent.com"
//! client_secret = "…"
//! scopes = ["openid", "email", "profile"]   # the default
//! trust_email = true                  # its verified addresses verify our accounts
//! ```
//!
//! Apple has no static secret: `team_id`, `key_id` and `private_key_file` (the `.p8` key,
//! PKCS#8 PEM, P-256) mint the ES256 client-secret JWT Apple asks for at each token request.

use std::path::{Path, PathBuf};

use secrecy::SecretString;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Google,
    /// `response_mode=form_post` and a client-secret JWT.
    Apple,
    /// A tenant's issuer, or `common`/`organizations`/`consumers` (see `upstream.rs`).
    Microsoft,
    Oidc,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    pub id: String,
    pub name: String,
    pub kind: Kind,
    /// The issuer; its discovery document is `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<SecretString>,
    #[serde(default)]
    pub team_id: Option<String>,
    #[serde(default)]
    pub key_id: Option<String>,
    #[serde(default)]
    pub private_key_file: Option<PathBuf>,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// `form_post` to have the provider POST its answer to the callback (Apple's way, always
    /// used for `apple`); by default the answer comes in the callback's query.
    #[serde(default)]
    pub response_mode: ResponseMode,
    /// Whether an address this provider says is verified counts as verified here: a first-time
    /// fan's account is created verified, and the address may lead to linking (after the fan
    /// signs in to the account). Off: its fans cannot sign up or link through it.
    #[serde(default)]
    pub trust_email: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    #[default]
    Query,
    FormPost,
}

fn default_scopes() -> Vec<String> {
    ["openid", "email", "profile"].map(String::from).to_vec()
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamsFile {
    #[serde(default)]
    pub providers: Vec<Provider>,
}

/// Microsoft's multi-tenant issuers, whose discovery documents name a `{tenantid}` template.
pub const MICROSOFT_SHARED_TENANTS: [&str; 3] = ["common", "organizations", "consumers"];

impl UpstreamsFile {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("upstreams file {}: {e}", path.display()))?;
        let file: Self = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("upstreams file {}: {e}", path.display()))?
        } else {
            toml::from_str(&text).map_err(|e| anyhow::anyhow!("upstreams file {}: {}", path.display(), e.message()))?
        };
        file.validate()?;
        Ok(file)
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        let mut seen = std::collections::HashSet::new();
        for provider in &self.providers {
            provider
                .validate()
                .map_err(|reason| anyhow::anyhow!("upstream provider {}: {reason}", provider.id))?;
            anyhow::ensure!(
                seen.insert(&provider.id),
                "upstream provider {}: duplicate id",
                provider.id
            );
        }
        Ok(())
    }
}

impl Provider {
    fn validate(&self) -> Result<(), String> {
        if self.id.is_empty()
            || self.id.len() > 32
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err("id must be 1 to 32 lower-case letters, digits or '-'".into());
        }
        if self.name.trim().is_empty() || self.client_id.trim().is_empty() {
            return Err("name and client_id are required".into());
        }
        let issuer = url::Url::parse(&self.issuer).map_err(|e| format!("issuer is not a URL ({e})"))?;
        if issuer.scheme() != "https" && !(issuer.scheme() == "http" && crate::loopback::is_loopback(&issuer)) {
            return Err("issuer must be https (http only on loopback addresses)".into());
        }
        if !self.scopes.iter().any(|s| s == "openid") {
            return Err("scopes must include openid".into());
        }
        match self.kind {
            Kind::Apple => {
                let (Some(_), Some(_), Some(file)) = (&self.team_id, &self.key_id, &self.private_key_file) else {
                    return Err("apple needs team_id, key_id and private_key_file".into());
                };
                let pem = std::fs::read(file).map_err(|e| format!("private_key_file: {e}"))?;
                jsonwebtoken::EncodingKey::from_ec_pem(&pem)
                    .map_err(|_| "private_key_file is not a P-256 private key in PEM".to_owned())?;
            }
            _ if self.client_secret.is_none() => return Err("client_secret is required".into()),
            _ => {}
        }
        if self.kind == Kind::Microsoft {
            let tenant = issuer.path_segments().and_then(|mut s| s.next()).unwrap_or_default();
            if issuer.host_str() != Some("login.microsoftonline.com")
                || !self.issuer.ends_with("/v2.0")
                || tenant.is_empty()
            {
                return Err("a microsoft issuer is https://login.microsoftonline.com/<tenant>/v2.0".into());
            }
        }
        Ok(())
    }

    /// Whether the provider POSTs its answer (`response_mode=form_post`).
    pub fn form_post(&self) -> bool {
        self.kind == Kind::Apple || self.response_mode == ResponseMode::FormPost
    }

    /// Whether the issuer is one of Microsoft's shared tenants.
    pub fn microsoft_shared_tenant(&self) -> bool {
        self.kind == Kind::Microsoft
            && MICROSOFT_SHARED_TENANTS
                .iter()
                .any(|t| self.issuer.contains(&format!("login.microsoftonline.com/{t}/")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<UpstreamsFile> {
        let file: UpstreamsFile = toml::from_str(text)?;
        file.validate()?;
        Ok(file)
    }

    const GOOGLE: &str = "[[providers]]\nid = \"google\"\nname = \"Google\"\nkind = \"google\"\n\
        issuer = \"https://accounts.google.com\"\nclient_id = \"c\"\nclient_secret = \"s\"\ntrust_email = true\n";

    #[test]
    fn a_complete_provider_loads_with_the_default_scopes() {
        let file = parse(GOOGLE).expect("valid");
        assert_eq!(file.providers[0].scopes, ["openid", "email", "profile"]);
        assert!(file.providers[0].trust_email);
    }

    #[test]
    fn broken_providers_are_refused_by_name() {
        for (broken, reason) in [
            (GOOGLE.replace("id = \"google\"", "id = \"Go ogle\""), "id"),
            (GOOGLE.replace("https://accounts", "http://accounts"), "https"),
            (GOOGLE.replace("client_secret = \"s\"\n", ""), "client_secret"),
            (format!("{GOOGLE}{GOOGLE}"), "duplicate"),
            (format!("{GOOGLE}scopes = [\"email\"]\n"), "openid"),
            (GOOGLE.replace("kind = \"google\"", "kind = \"apple\""), "team_id"),
            (GOOGLE.replace("kind = \"google\"", "kind = \"microsoft\""), "microsoft"),
            (
                GOOGLE.replace("kind = \"google\"", "kind = \"saml\""),
                "unknown variant",
            ),
        ] {
            let error = parse(&broken).expect_err(reason).to_string();
            assert!(error.contains(reason), "{reason}: {error}");
            assert!(!error.contains("= \"s\""), "no secret in {error}");
        }
    }

    #[test]
    fn microsoft_shared_tenants_are_recognised() {
        let common = GOOGLE.replace("kind = \"google\"", "kind = \"microsoft\"").replace(
            "https://accounts.google.com",
            "https://login.microsoftonline.com/common/v2.0",
        );
        assert!(parse(&common).expect("valid").providers[0].microsoft_shared_tenant());
        let tenant = common.replace("/common/", "/0f5c1e2a-4d0e-4a8f-9c1b-3c2a1b0e9f8d/");
        assert!(!parse(&tenant).expect("valid").providers[0].microsoft_shared_tenant());
    }
}
