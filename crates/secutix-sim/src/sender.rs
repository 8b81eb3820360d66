//! How the simulator's webhooks (Contact Webhook V2 and Data Export) authenticate and are
//! posted, with exactly the methods `webhook-ingest` accepts: none, HTTP Basic, a static bearer
//! token, or Standard Webhooks signatures (made by the `standard-webhooks` crate the ingest
//! verifies with, so both sides cannot drift apart).

use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use standard_webhooks::{ID_HEADER, SIGNATURE_HEADER, StandardWebhooks, TIMESTAMP_HEADER};

use crate::config::SenderAuthConfig;

#[derive(Clone)]
pub enum SenderAuth {
    None,
    Basic { user: String, password: SecretString },
    Bearer(SecretString),
    Hmac(Vec<u8>),
}

impl SenderAuth {
    /// At most one method may be configured; a malformed credential fails at start-up.
    pub fn from_config(config: &SenderAuthConfig) -> anyhow::Result<Self> {
        let configured = [
            config.webhook_basic_auth.is_some(),
            config.webhook_token.is_some(),
            config.webhook_hmac_secret.is_some(),
        ];
        if configured.iter().filter(|set| **set).count() > 1 {
            anyhow::bail!("set at most one of SIM_WEBHOOK_BASIC_AUTH, SIM_WEBHOOK_TOKEN, SIM_WEBHOOK_HMAC_SECRET");
        }
        if let Some(basic) = &config.webhook_basic_auth {
            let (user, password) = basic
                .expose_secret()
                .split_once(':')
                .filter(|(u, p)| !u.is_empty() && !p.is_empty())
                .ok_or_else(|| anyhow::anyhow!("SIM_WEBHOOK_BASIC_AUTH must be `user:password`"))?;
            return Ok(Self::Basic {
                user: user.to_owned(),
                password: SecretString::from(password.to_owned()),
            });
        }
        if let Some(token) = &config.webhook_token {
            return Ok(Self::Bearer(token.clone()));
        }
        if let Some(secret) = &config.webhook_hmac_secret {
            let key = secret
                .expose_secret()
                .trim()
                .strip_prefix("whsec_")
                .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
                .filter(|key| !key.is_empty())
                .ok_or_else(|| anyhow::anyhow!("SIM_WEBHOOK_HMAC_SECRET must be `whsec_<base64>`"))?;
            return Ok(Self::Hmac(key));
        }
        Ok(Self::None)
    }

    /// Adds the credentials for `body` to a request.
    pub fn apply(&self, request: reqwest::RequestBuilder, body: &[u8]) -> reqwest::RequestBuilder {
        match self {
            Self::None => request,
            Self::Basic { user, password } => request.basic_auth(user, Some(password.expose_secret())),
            Self::Bearer(token) => request.bearer_auth(token.expose_secret()),
            Self::Hmac(key) => {
                let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
                let timestamp = chrono::Utc::now().timestamp();
                let signature = StandardWebhooks::sign(key, &id, timestamp, body);
                request
                    .header(ID_HEADER, id)
                    .header(TIMESTAMP_HEADER, timestamp.to_string())
                    .header(SIGNATURE_HEADER, signature)
            }
        }
    }
}

/// POSTs a JSON body; `Err` with a short reason (no payload) unless the answer is 200
/// (S-360 requires exactly 200; a receiver answering 202 or 204 is treated as failing).
pub async fn post_json(
    client: &reqwest::Client,
    url: &url::Url,
    auth: &SenderAuth,
    body: Vec<u8>,
) -> Result<(), String> {
    let request = client
        .post(url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json");
    let request = auth.apply(request, &body).body(body);
    match request.send().await {
        Ok(response) if response.status() == reqwest::StatusCode::OK => Ok(()),
        Ok(response) => Err(format!("answered {}", response.status().as_u16())),
        Err(error) if error.is_timeout() => Err("timed out".into()),
        Err(error) if error.is_connect() => Err("connection failed".into()),
        Err(_) => Err("request failed".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimConfig;

    #[test]
    fn at_most_one_well_formed_method() {
        let mut config = SimConfig::default().webhook.auth;
        assert!(matches!(SenderAuth::from_config(&config), Ok(SenderAuth::None)));
        config.webhook_token = Some("a-token-of-some-length".to_owned().into());
        assert!(matches!(SenderAuth::from_config(&config), Ok(SenderAuth::Bearer(_))));
        config.webhook_basic_auth = Some("user:pass".to_owned().into());
        assert!(SenderAuth::from_config(&config).is_err(), "two methods");
        config.webhook_token = None;
        assert!(matches!(SenderAuth::from_config(&config), Ok(SenderAuth::Basic { .. })));
        config.webhook_basic_auth = Some("no-colon".to_owned().into());
        assert!(SenderAuth::from_config(&config).is_err());
        config.webhook_basic_auth = None;
        for bad in ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!", "whsec_"] {
            config.webhook_hmac_secret = Some(bad.to_owned().into());
            assert!(SenderAuth::from_config(&config).is_err(), "{bad}");
        }
        config.webhook_hmac_secret = Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned().into());
        assert!(matches!(SenderAuth::from_config(&config), Ok(SenderAuth::Hmac(_))));
    }
}
