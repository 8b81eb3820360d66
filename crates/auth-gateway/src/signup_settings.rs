//! The sign-up settings: their command-line and environment form ([`SignupArgs`]) and what the
//! handlers share, built once into the gateway's state ([`SignupSettings`]).

/// Sign-up settings.
#[derive(Debug, Clone, clap::Args)]
pub struct SignupArgs {
    /// Sign-ups one source address may make per hour (429 with `Retry-After` past it).
    #[arg(
        long,
        env = "GATEWAY_SIGNUPS_PER_ADDRESS",
        value_name = "GATEWAY_SIGNUPS_PER_ADDRESS",
        default_value_t = 10
    )]
    pub signups_per_address: i32,

    /// Sign-ups per e-mail domain per hour, whatever the source address (a burst of
    /// registrations at one domain is a robot; raise it for a club whose fans share a provider).
    #[arg(
        long,
        env = "GATEWAY_SIGNUPS_PER_DOMAIN",
        value_name = "GATEWAY_SIGNUPS_PER_DOMAIN",
        default_value_t = 200
    )]
    pub signups_per_domain: i32,

    /// A k-anonymity range service for breached passwords (the Pwned Passwords range API
    /// scheme: `<url>/<first 5 hex of the SHA-1>`). Unset: only the built-in list of common
    /// passwords is checked. When it does not answer within 2 s the password is accepted.
    #[arg(
        long,
        env = "GATEWAY_BREACHED_PASSWORDS_URL",
        value_name = "GATEWAY_BREACHED_PASSWORDS_URL"
    )]
    pub breached_passwords_url: Option<url::Url>,
}

/// What the sign-up handlers share, built once from [`SignupArgs`].
pub struct SignupSettings {
    pub per_address: i32,
    pub per_domain: i32,
    pub breached_passwords_url: Option<url::Url>,
    pub http: reqwest::Client,
}

impl SignupSettings {
    pub fn new(args: &SignupArgs) -> anyhow::Result<Self> {
        Ok(Self {
            per_address: args.signups_per_address,
            per_domain: args.signups_per_domain,
            breached_passwords_url: args.breached_passwords_url.clone(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(2))
                .build()?,
        })
    }
}
