//! The relying party the gateway is for passkeys: its id (the domain a passkey is bound to),
//! the origins whose pages may use them, and the name an authenticator shows. From
//! `GATEWAY_PASSKEY_RP_ID`, `GATEWAY_PASSKEY_RP_ORIGINS` and `GATEWAY_PASSKEY_RP_NAME`,
//! defaulting to the issuer's host, the issuer's origin and the theme's organisation; checked at
//! start-up (an origin outside the id is an error). A passkey is bound to its relying-party id
//! for life: changing it orphans every passkey enrolled before, so set it once, to the
//! registrable domain the sign-in pages will keep (e.g. `example.org` for
//! `https://login.example.org`).

use url::Url;
use webauthn_rs::{Webauthn, WebauthnBuilder};

#[derive(Debug, Clone, clap::Args)]
pub struct PasskeyArgs {
    /// Relying-party id of passkeys: the gateway's domain or a registrable parent of it
    /// (never an IP address). Default: the issuer's host, when it is a domain name; an issuer
    /// on an IP address (local development) has no passkeys unless this is set.
    #[arg(long, env = "GATEWAY_PASSKEY_RP_ID", value_name = "GATEWAY_PASSKEY_RP_ID")]
    pub passkey_rp_id: Option<String>,

    /// Origins (scheme, host and port) whose pages may enrol and use passkeys, comma-separated;
    /// each must be the relying-party id or under it. Default: the issuer's origin.
    #[arg(
        long,
        env = "GATEWAY_PASSKEY_RP_ORIGINS",
        value_name = "GATEWAY_PASSKEY_RP_ORIGINS",
        value_delimiter = ','
    )]
    pub passkey_rp_origins: Vec<Url>,

    /// The name authenticators show beside a passkey. Default: the theme's organisation.
    #[arg(long, env = "GATEWAY_PASSKEY_RP_NAME", value_name = "GATEWAY_PASSKEY_RP_NAME")]
    pub passkey_rp_name: Option<String>,
}

/// The relying party of `args`, the issuer's defaults filled in. Passkeys are off (`Ok(None)`,
/// with a warning) when nothing is configured and the issuer cannot serve them (an IP address,
/// or plain HTTP off `localhost`); settings given explicitly must be right, or start-up fails.
pub fn relying_party(args: &PasskeyArgs, issuer: &Url, organisation: &str) -> anyhow::Result<Option<Webauthn>> {
    let configured = args.passkey_rp_id.is_some() || !args.passkey_rp_origins.is_empty();
    match build(args, issuer, organisation) {
        Err(error) if !configured => {
            tracing::warn!(%error, "Passkeys off: set GATEWAY_PASSKEY_RP_ID and GATEWAY_PASSKEY_RP_ORIGINS");
            Ok(None)
        }
        built => built,
    }
}

fn build(args: &PasskeyArgs, issuer: &Url, organisation: &str) -> anyhow::Result<Option<Webauthn>> {
    let rp_id = match (&args.passkey_rp_id, issuer.domain()) {
        (Some(id), _) => id.trim().to_ascii_lowercase(),
        (None, Some(domain)) => domain.to_ascii_lowercase(),
        (None, None) => {
            anyhow::ensure!(
                args.passkey_rp_origins.is_empty(),
                "GATEWAY_PASSKEY_RP_ORIGINS needs GATEWAY_PASSKEY_RP_ID when the issuer is an IP address"
            );
            tracing::warn!("Passkeys off: the issuer is an IP address and GATEWAY_PASSKEY_RP_ID is not set");
            return Ok(None);
        }
    };
    anyhow::ensure!(
        !rp_id.is_empty() && rp_id.parse::<std::net::IpAddr>().is_err() && !rp_id.contains(['/', ':']),
        "GATEWAY_PASSKEY_RP_ID must be a domain name, not {rp_id:?}"
    );
    let origins: Vec<Url> = if args.passkey_rp_origins.is_empty() {
        vec![origin(issuer)]
    } else {
        args.passkey_rp_origins.iter().map(origin).collect()
    };
    for origin in &origins {
        // Browsers offer WebAuthn on secure contexts only: HTTPS, or a `localhost` name.
        let host = origin.host_str().unwrap_or_default();
        let secure = origin.scheme() == "https" || host == "localhost" || host.ends_with(".localhost");
        anyhow::ensure!(
            secure,
            "passkey origin {origin} must be https (or http://localhost for development)"
        );
    }
    let name = args.passkey_rp_name.as_deref().unwrap_or(organisation);
    let mut builder = WebauthnBuilder::new(&rp_id, &origins[0])
        .map_err(|_| {
            anyhow::anyhow!(
                "passkey origin {} is not under the relying-party id {rp_id}",
                origins[0]
            )
        })?
        .rp_name(name);
    for extra in &origins[1..] {
        let host = extra.domain().unwrap_or_default();
        anyhow::ensure!(
            host == rp_id || host.ends_with(&format!(".{rp_id}")),
            "passkey origin {extra} is not under the relying-party id {rp_id}"
        );
        builder = builder.append_allowed_origin(extra);
    }
    let webauthn = builder.build().map_err(|e| anyhow::anyhow!("passkey settings: {e}"))?;
    tracing::info!(rp_id, origins = ?origins.iter().map(Url::as_str).collect::<Vec<_>>(), "Passkeys on");
    Ok(Some(webauthn))
}

/// The origin of a URL (its scheme, host and port), as browsers put it in `clientDataJSON`.
fn origin(url: &Url) -> Url {
    let mut origin = url.clone();
    origin.set_path("/");
    origin.set_query(None);
    origin.set_fragment(None);
    origin
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(id: Option<&str>, origins: &[&str]) -> PasskeyArgs {
        PasskeyArgs {
            passkey_rp_id: id.map(str::to_owned),
            passkey_rp_origins: origins.iter().map(|o| o.parse().expect("url")).collect(),
            passkey_rp_name: None,
        }
    }

    #[test]
    fn the_relying_party_defaults_to_the_issuer_and_refuses_origins_outside_its_id() {
        let issuer: Url = "https://login.example.org/".parse().expect("url");
        assert!(
            relying_party(&args(None, &[]), &issuer, "Club")
                .expect("valid")
                .is_some()
        );
        let parent = args(
            Some("example.org"),
            &["https://login.example.org", "https://www.example.org"],
        );
        assert!(relying_party(&parent, &issuer, "Club").expect("valid").is_some());
        for wrong in [
            args(Some("other.org"), &[]),
            args(
                Some("example.org"),
                &["https://login.example.org", "https://evil.example"],
            ),
            args(Some("example.org"), &["http://login.example.org"]),
            args(Some("127.0.0.1"), &[]),
        ] {
            assert!(relying_party(&wrong, &issuer, "Club").is_err(), "{wrong:?}");
        }
        let loopback: Url = "http://127.0.0.1:8080".parse().expect("url");
        assert!(
            relying_party(&args(None, &[]), &loopback, "Club")
                .expect("off")
                .is_none()
        );
        let local = args(Some("localhost"), &["http://localhost:8080"]);
        assert!(relying_party(&local, &loopback, "Club").expect("valid").is_some());
        let plain: Url = "http://gateway.internal:8080".parse().expect("url");
        assert!(relying_party(&args(None, &[]), &plain, "Club").expect("off").is_none());
        let compose: Url = "http://auth-gateway.localhost:8080".parse().expect("url");
        assert!(
            relying_party(&args(None, &[]), &compose, "Club")
                .expect("valid")
                .is_some()
        );
    }
}
