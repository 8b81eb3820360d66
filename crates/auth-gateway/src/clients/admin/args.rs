//! The command line of `auth-gateway client …`: each subcommand, its options and how a
//! setting is told apart from "back to the default" (`Setting`).

use std::path::PathBuf;

#[derive(Debug, Clone, clap::Subcommand)]
pub enum ClientCommand {
    /// Register a client and print its secret (confidential clients) once.
    Add {
        /// The client registry file the gateway reads (created when absent).
        #[arg(long, env = "GATEWAY_CLIENTS_FILE", value_name = "GATEWAY_CLIENTS_FILE")]
        file: PathBuf,
        /// The client id relying parties send (`client_id`).
        #[arg(long)]
        id: String,
        /// A human-readable name, shown on the login page.
        #[arg(long)]
        name: String,
        /// An allowed redirect URI, matched exactly (a loopback IP one without a port at any
        /// port; a native app's `com.example.app:/callback` for public clients); repeat for
        /// several.
        #[arg(long = "redirect-uri", value_name = "URI", required = true)]
        redirect_uris: Vec<String>,
        /// An allowed redirect URI after logout; repeat for several.
        #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
        post_logout_redirect_uris: Vec<String>,
        /// A public client (browser or native app): no secret, PKCE required.
        #[arg(long)]
        public: bool,
        /// Accept authorization requests from this client only when pushed to `/par` first
        /// (RFC 9126), so their parameters never travel in the browser's URL.
        #[arg(long)]
        require_par: bool,
        #[command(flatten)]
        settings: AddSettings,
    },
    /// Change settings or redirect URIs of a registered client (only those given).
    Update(Box<UpdateArgs>),
    /// Give a confidential client a new secret and print it once.
    RotateSecret {
        /// The client registry file the gateway reads (created when absent).
        #[arg(long, env = "GATEWAY_CLIENTS_FILE", value_name = "GATEWAY_CLIENTS_FILE")]
        file: PathBuf,
        /// The id of the client whose secret changes.
        #[arg(long)]
        id: String,
        /// Keep accepting the current secret too, until the next rotation (for a switch-over
        /// without downtime).
        #[arg(long)]
        keep_previous: bool,
    },
    /// List the registered clients: ids, kinds, names, redirect URIs and settings (never
    /// secrets).
    List {
        /// The client registry file the gateway reads (created when absent).
        #[arg(long, env = "GATEWAY_CLIENTS_FILE", value_name = "GATEWAY_CLIENTS_FILE")]
        file: PathBuf,
    },
}

/// The logout and refresh-token settings of a new client (absent: off, or the default).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AddSettings {
    /// OIDC Back-Channel Logout: where a logout token is POSTed when a session in which this
    /// client signed a fan in ends (HTTPS).
    #[arg(long, value_name = "URI")]
    pub backchannel_logout_uri: Option<String>,
    /// The client requires the session's `sid` in logout tokens (they always carry it).
    #[arg(long)]
    pub backchannel_logout_session_required: bool,
    /// OIDC Front-Channel Logout: a page of the client the sign-out page loads in an iframe,
    /// for clients that cannot receive back-channel calls (HTTPS).
    #[arg(long, value_name = "URI")]
    pub frontchannel_logout_uri: Option<String>,
    /// Give the front-channel logout page `iss` and `sid` in its query.
    #[arg(long)]
    pub frontchannel_logout_session_required: bool,
    /// How long this client's refresh tokens live, in days: 1 to 365 [default: 30].
    #[arg(long, value_name = "DAYS")]
    pub refresh_token_days: Option<u32>,
    /// Seconds during which a spent refresh token presented again by this client gets the same
    /// successor instead of ending the grant (a lost response): 0 (off) to 60 [default: 5].
    #[arg(long, value_name = "SECONDS")]
    pub refresh_reuse_grace_seconds: Option<u32>,
    /// A staff client (the support console): its users sign in with a staff account, password
    /// and TOTP, never as fans. Confidential only.
    #[arg(long)]
    pub staff: bool,
}

/// `client update`: every option is a change; what is not given stays as it is.
#[derive(Debug, Clone, clap::Args)]
pub struct UpdateArgs {
    /// The client registry file the gateway reads.
    #[arg(long, env = "GATEWAY_CLIENTS_FILE", value_name = "GATEWAY_CLIENTS_FILE")]
    pub file: PathBuf,
    /// The id of the client to change.
    #[arg(long)]
    pub id: String,
    /// A new human-readable name.
    #[arg(long)]
    pub name: Option<String>,
    /// Replace all redirect URIs with these; repeat for several.
    #[arg(long = "redirect-uri", value_name = "URI", conflicts_with_all = ["add_redirect_uris", "remove_redirect_uris"])]
    pub redirect_uris: Vec<String>,
    /// Add a redirect URI; repeat for several.
    #[arg(long = "add-redirect-uri", value_name = "URI")]
    pub add_redirect_uris: Vec<String>,
    /// Remove a redirect URI; repeat for several.
    #[arg(long = "remove-redirect-uri", value_name = "URI")]
    pub remove_redirect_uris: Vec<String>,
    /// Replace all post-logout redirect URIs with these; repeat for several.
    #[arg(
        long = "post-logout-redirect-uri",
        value_name = "URI",
        conflicts_with_all = ["add_post_logout_redirect_uris", "remove_post_logout_redirect_uris"]
    )]
    pub post_logout_redirect_uris: Vec<String>,
    /// Add a post-logout redirect URI; repeat for several.
    #[arg(long = "add-post-logout-redirect-uri", value_name = "URI")]
    pub add_post_logout_redirect_uris: Vec<String>,
    /// Remove a post-logout redirect URI; repeat for several.
    #[arg(long = "remove-post-logout-redirect-uri", value_name = "URI")]
    pub remove_post_logout_redirect_uris: Vec<String>,
    /// Whether authorization requests must be pushed to `/par` first (RFC 9126).
    #[arg(long, value_name = "true|false")]
    pub require_par: Option<bool>,
    /// The back-channel logout URI, or `none` to stop back-channel logouts.
    #[arg(long, value_name = "URI|none", value_parser = parse_uri_setting)]
    pub backchannel_logout_uri: Option<Setting<String>>,
    /// Whether the client requires the session's `sid` in logout tokens.
    #[arg(long, value_name = "true|false")]
    pub backchannel_logout_session_required: Option<bool>,
    /// The front-channel logout URI, or `none` to stop front-channel logouts.
    #[arg(long, value_name = "URI|none", value_parser = parse_uri_setting)]
    pub frontchannel_logout_uri: Option<Setting<String>>,
    /// Whether the front-channel logout page gets `iss` and `sid` in its query.
    #[arg(long, value_name = "true|false")]
    pub frontchannel_logout_session_required: Option<bool>,
    /// Refresh-token lifetime in days (1 to 365), or `default` (30).
    #[arg(long, value_name = "DAYS|default", value_parser = parse_number_setting)]
    pub refresh_token_days: Option<Setting<u32>>,
    /// Refresh-token reuse grace in seconds (0 to 60), or `default` (5).
    #[arg(long, value_name = "SECONDS|default", value_parser = parse_number_setting)]
    pub refresh_reuse_grace_seconds: Option<Setting<u32>>,
}

/// A new value for an optional setting, or back to its absence (`none`, `default`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting<T> {
    Set(T),
    Unset,
}

impl<T> Setting<T> {
    pub(super) fn into_option(self) -> Option<T> {
        match self {
            Self::Set(value) => Some(value),
            Self::Unset => None,
        }
    }
}

fn parse_uri_setting(value: &str) -> Result<Setting<String>, String> {
    Ok(match value {
        "none" => Setting::Unset,
        uri => Setting::Set(uri.to_owned()),
    })
}

fn parse_number_setting(value: &str) -> Result<Setting<u32>, String> {
    match value {
        "default" => Ok(Setting::Unset),
        number => number
            .parse()
            .map(Setting::Set)
            .map_err(|_| format!("{number} is neither a whole number nor `default`")),
    }
}
