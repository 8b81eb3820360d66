//! The calls themselves: each attempt waits for a slot of the shared limiter, mints a fresh
//! token, and posts the JSON body. 429/509 pause every caller for `Retry-After`; connection
//! errors, timeouts and 5xx other than 509 are retried after an exponential back-off with
//! jitter; any other 4xx is returned at once.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    Error, RateLimiter, SecutixArgs, api,
    token::{self, Identity},
};

/// First back-off; doubled per attempt up to the configured maximum.
const BASE_BACKOFF: Duration = Duration::from_millis(250);
/// Pause after a 429/509 that carries no usable `Retry-After`.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(5);

/// A client of one S-360 instance. Cheap to clone; clones share the rate limiter.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: url::Url,
    identity: Identity,
    limiter: RateLimiter,
    max_attempts: u32,
    max_backoff: Duration,
    provider: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client from the settings, with its own limiter of `SECUTIX_RATE_PER_MINUTE`; `None`
    /// when no API URL is configured. Build it once per process and clone it.
    pub fn from_args(args: &SecutixArgs) -> Result<Option<Self>, Error> {
        let Some(base) = args.secutix_api_url.clone() else {
            return Ok(None);
        };
        let limiter = RateLimiter::per_minute(args.secutix_rate_per_minute);
        Self::new(args, base, limiter).map(Some)
    }

    /// A client of `base` sharing `limiter`.
    pub fn new(args: &SecutixArgs, mut base: url::Url, limiter: RateLimiter) -> Result<Self, Error> {
        let secret = args
            .secutix_api_secret
            .clone()
            .ok_or_else(|| Error::Config("SECUTIX_API_SECRET is required with SECUTIX_API_URL".into()))?;
        if args.secutix_institution.is_empty()
            || args.secutix_virtual_operator.is_empty()
            || args.secutix_partner.is_empty()
        {
            return Err(Error::Config(
                "SECUTIX_INSTITUTION, SECUTIX_VIRTUAL_OPERATOR and SECUTIX_PARTNER are required with SECUTIX_API_URL"
                    .into(),
            ));
        }
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let http = reqwest::Client::builder()
            .timeout(args.secutix_timeout)
            .connect_timeout(args.secutix_timeout)
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            base,
            identity: Identity {
                institution: args.secutix_institution.clone(),
                virtual_operator: args.secutix_virtual_operator.clone(),
                partner: args.secutix_partner.clone(),
                secret,
                unit: args.secutix_token_time_unit,
                lifetime: args.secutix_token_lifetime,
            },
            limiter,
            max_attempts: args.secutix_max_attempts,
            max_backoff: args.secutix_max_backoff,
            provider: args.secutix_sso_provider.clone(),
        })
    }

    /// The limiter every call of this client (and its clones) waits on.
    pub fn limiter(&self) -> &RateLimiter {
        &self.limiter
    }

    /// `getContactData`: the contact as S-360 holds it, or `None` when S-360 does not know the
    /// number (deleted).
    pub async fn get_contact_data(&self, contact_number: &str) -> Result<Option<Value>, Error> {
        match self
            .call(api::GET_CONTACT_DATA, &api::get_contact_data(contact_number))
            .await
        {
            Ok(body) => api::contact_of(body)
                .map(Some)
                .ok_or_else(|| Error::Decode("getContactData answer holds no contact".into())),
            Err(Error::Rejected { status: 404, code, .. }) if code != "not_configured" => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// `saveIndividualContactData` with S-360 member names and values, based on the
    /// contact's version `base_modified_at` when given (a newer S-360 version refuses it with
    /// [`Error::Rejected`] code [`api::STALE_VERSION`]). Returns the answer.
    pub async fn save_individual_contact_data(
        &self,
        contact_number: &str,
        fields: &serde_json::Map<String, Value>,
        base_modified_at: Option<&str>,
    ) -> Result<Value, Error> {
        self.call(
            api::SAVE_INDIVIDUAL_CONTACT_DATA,
            &api::save_individual_contact_data(contact_number, fields, base_modified_at),
        )
        .await
    }

    /// `saveIndividualContactData` without a contact number: S-360 creates the contact.
    /// Returns the answer (`contactNumber`, `contactData`).
    pub async fn create_individual_contact(&self, fields: &serde_json::Map<String, Value>) -> Result<Value, Error> {
        self.call(
            api::SAVE_INDIVIDUAL_CONTACT_DATA,
            &api::create_individual_contact(fields),
        )
        .await
    }

    /// `searchContact` by e-mail: the active PUBLIC individual contacts with this e-mail, each
    /// saying whether it has an SSO link of our provider.
    pub async fn search_contacts_by_email(&self, email: &str) -> Result<Vec<api::FoundContact>, Error> {
        let answer = self
            .call(api::SEARCH_CONTACT, &api::search_contact(email, &self.provider))
            .await?;
        api::found_contacts(&answer).ok_or_else(|| Error::Decode("searchContact answer holds no contact list".into()))
    }

    /// `addLink`: links our subject id (the SSO id) to the contact under the configured
    /// provider name.
    pub async fn add_link(&self, contact_number: &str, subject_id: &str) -> Result<(), Error> {
        self.call(
            api::ADD_LINK,
            &api::add_link(contact_number, &self.provider, subject_id),
        )
        .await
        .map(drop)
    }

    async fn call(&self, path: &str, body: &Value) -> Result<Value, Error> {
        let url = self
            .base
            .join(path)
            .map_err(|_| Error::Config("SECUTIX_API_URL cannot take a method path".into()))?;
        let method = path.rsplit('/').next().unwrap_or(path);
        let mut last = String::new();
        let mut retry_after = None;
        let mut server_status = None;
        for attempt in 1..=self.max_attempts {
            self.limiter.acquire().await;
            let token = token::mint(&self.identity)?;
            let sent = self.http.post(url.clone()).bearer_auth(token).json(body).send().await;
            let response = match sent {
                Ok(response) => response,
                Err(error) => {
                    last = if error.is_timeout() {
                        "timeout".into()
                    } else {
                        "connection failed".into()
                    };
                    server_status = None;
                    tracing::warn!(method, attempt, reason = %last, "S-360 call failed; retrying");
                    self.back_off(attempt).await;
                    continue;
                }
            };
            let status = response.status();
            let pause = retry_after_of(&response);
            let text = response.bytes().await.unwrap_or_default();
            let json: Value = serde_json::from_slice(&text).unwrap_or(Value::Null);
            match status.as_u16() {
                200..=299 if api::succeeded(&json) => return Ok(json),
                200..=299 => {
                    return Err(Error::Rejected {
                        status: status.as_u16(),
                        code: api::error_code(&json),
                        message: api::error_message(&json),
                    });
                }
                429 | 509 => {
                    let pause = pause.unwrap_or(DEFAULT_RETRY_AFTER);
                    tracing::warn!(
                        method,
                        attempt,
                        status = status.as_u16(),
                        retry_after_s = pause.as_secs_f64(),
                        "S-360 rate limit reached; every call waits"
                    );
                    self.limiter.pause_for(pause).await;
                    retry_after = Some(pause);
                    server_status = Some(status);
                }
                500..=599 => {
                    tracing::warn!(
                        method,
                        attempt,
                        status = status.as_u16(),
                        "S-360 server error; retrying"
                    );
                    server_status = Some(status);
                    self.back_off(attempt).await;
                }
                _ => {
                    return Err(Error::Rejected {
                        status: status.as_u16(),
                        code: api::error_code(&json),
                        message: api::error_message(&json),
                    });
                }
            }
        }
        let attempts = self.max_attempts;
        Err(match server_status {
            Some(s) if s == StatusCode::TOO_MANY_REQUESTS || s.as_u16() == 509 => {
                Error::RateLimited { attempts, retry_after }
            }
            Some(s) => Error::Server {
                status: s.as_u16(),
                attempts,
            },
            None => Error::Unreachable { attempts, reason: last },
        })
    }

    /// Sleeps `BASE_BACKOFF · 2^(attempt-1)`, capped, with full jitter in its upper half.
    async fn back_off(&self, attempt: u32) {
        if attempt >= self.max_attempts {
            return;
        }
        let ceiling = BASE_BACKOFF
            .saturating_mul(1 << attempt.saturating_sub(1).min(16))
            .min(self.max_backoff);
        let jittered = ceiling.mul_f64(0.5 + fastrand::f64() / 2.0);
        tokio::time::sleep(jittered).await;
    }
}

/// `Retry-After` in seconds (S-360 and the simulator send delta-seconds).
fn retry_after_of(response: &reqwest::Response) -> Option<Duration> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}
