//! Authentication settings of the ingest, and their validation at start-up.

use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};

use super::{Authenticator, StandardWebhooks, digest, source::SourceFilter};

/// How S-360 proves it is S-360. At least one of Basic, bearer, HMAC or an address allow-list
/// must be set, or unauthenticated posting explicitly allowed.
#[derive(Debug, Clone, clap::Args)]
pub struct AuthArgs {
    /// HTTP Basic credentials S-360 sends, as `user:password`.
    #[arg(long, env = "INGEST_BASIC_AUTH", hide_env_values = true, value_name = "INGEST_BASIC_AUTH", value_parser = parse_basic)]
    pub basic_auth: Option<SecretString>,

    /// Static token S-360 sends as `Authorization: Bearer <token>`.
    #[arg(long, env = "INGEST_BEARER_TOKEN", hide_env_values = true, value_name = "INGEST_BEARER_TOKEN", value_parser = parse_token)]
    pub bearer_token: Option<SecretString>,

    /// Standard Webhooks signing secrets (`whsec_<base64>`), comma-separated; several are
    /// accepted at once so a secret can be rotated without downtime.
    #[arg(long, env = "INGEST_HMAC_SECRETS", hide_env_values = true, value_name = "INGEST_HMAC_SECRETS", value_parser = parse_hmac_secrets)]
    pub hmac_secrets: Option<HmacSecrets>,

    /// Source addresses allowed to post, comma-separated CIDRs or addresses (e.g.
    /// `203.0.113.0/24,2001:db8::1`). Empty: any address.
    #[arg(long, env = "INGEST_ALLOW_CIDRS", value_name = "INGEST_ALLOW_CIDRS", value_delimiter = ',', value_parser = parse_net)]
    pub allow_cidrs: Vec<IpNet>,

    /// Reverse proxies whose `X-Forwarded-For` is believed when checking the allow-list,
    /// comma-separated CIDRs or addresses.
    #[arg(long, env = "INGEST_TRUSTED_PROXIES", value_name = "INGEST_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_net)]
    pub trusted_proxies: Vec<IpNet>,

    /// Accept webhooks without any authentication. Only for closed networks; a warning is
    /// logged at every start.
    #[arg(long, env = "INGEST_ALLOW_UNAUTHENTICATED", value_name = "INGEST_ALLOW_UNAUTHENTICATED",
          default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_unauthenticated: bool,
}

/// Decoded HMAC keys.
#[derive(Clone)]
pub struct HmacSecrets(Vec<Vec<u8>>);

impl std::fmt::Debug for HmacSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HmacSecrets([{} redacted])", self.0.len())
    }
}

impl AuthArgs {
    /// Builds the authenticator, refusing a configuration that authenticates nobody unless
    /// that was explicitly asked for.
    pub fn build(&self) -> anyhow::Result<Authenticator> {
        let any_method = self.basic_auth.is_some()
            || self.bearer_token.is_some()
            || self.hmac_secrets.is_some()
            || !self.allow_cidrs.is_empty();
        if !any_method && !self.allow_unauthenticated {
            anyhow::bail!(
                "no webhook authentication configured: set INGEST_BASIC_AUTH, INGEST_BEARER_TOKEN, \
                 INGEST_HMAC_SECRETS or INGEST_ALLOW_CIDRS, or INGEST_ALLOW_UNAUTHENTICATED=true"
            );
        }
        if self.allow_unauthenticated {
            tracing::warn!("INGEST_ALLOW_UNAUTHENTICATED=true: anyone who can reach this service can post contacts");
        }
        let has_credentials = self.basic_auth.is_some() || self.bearer_token.is_some() || self.hmac_secrets.is_some();
        Ok(Authenticator {
            basic: self.basic_auth.as_ref().map(|s| digest(s.expose_secret().as_bytes())),
            bearer: self.bearer_token.as_ref().map(|s| digest(s.expose_secret().as_bytes())),
            hmac: self.hmac_secrets.as_ref().map(|s| StandardWebhooks::new(s.0.clone())),
            source: SourceFilter::new(self.allow_cidrs.clone(), self.trusted_proxies.clone()),
            // With only an allow-list, the address is the credential.
            unauthenticated: self.allow_unauthenticated || !has_credentials,
        })
    }
}

fn parse_basic(value: &str) -> Result<SecretString, String> {
    match value.split_once(':') {
        Some((user, password)) if !user.is_empty() && !password.is_empty() => Ok(SecretString::from(value.to_owned())),
        _ => Err("must be `user:password` with both parts non-empty".into()),
    }
}

fn parse_token(value: &str) -> Result<SecretString, String> {
    if value.len() < 16 || value.chars().any(char::is_whitespace) {
        return Err("must be at least 16 characters without whitespace".into());
    }
    Ok(SecretString::from(value.to_owned()))
}

fn parse_hmac_secrets(value: &str) -> Result<HmacSecrets, String> {
    use base64::Engine;
    let mut keys = Vec::new();
    for (index, secret) in value.split(',').map(str::trim).filter(|s| !s.is_empty()).enumerate() {
        let encoded = secret
            .strip_prefix("whsec_")
            .ok_or_else(|| format!("secret {} must start with `whsec_`", index + 1))?;
        let key = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| format!("secret {} is not base64 after `whsec_`", index + 1))?;
        if !(24..=64).contains(&key.len()) {
            return Err(format!("secret {} must decode to 24 to 64 bytes", index + 1));
        }
        keys.push(key);
    }
    if keys.is_empty() {
        return Err("must list at least one `whsec_` secret".into());
    }
    Ok(HmacSecrets(keys))
}

fn parse_net(value: &str) -> Result<IpNet, String> {
    let value = value.trim();
    value
        .parse::<IpNet>()
        .or_else(|_| value.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| "must be an IP address or CIDR such as 203.0.113.0/24".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_validated_without_echoing_them() {
        let error = parse_hmac_secrets("whsec_c2hvcnQ=").expect_err("too short");
        assert_eq!(error, "secret 1 must decode to 24 to 64 bytes");
        assert!(parse_hmac_secrets("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        assert!(
            parse_hmac_secrets("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
                .is_ok()
        );
        assert!(parse_basic("s360:").is_err());
        assert!(parse_basic("s360:a-long-password").is_ok());
        assert!(parse_token("short").is_err());
        assert_eq!(
            parse_net("10.0.0.1").map(|n| n.to_string()),
            Ok("10.0.0.1/32".to_owned())
        );
        assert!(parse_net("10.0.0.0/33").is_err());
    }
}
