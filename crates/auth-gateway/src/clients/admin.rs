//! `auth-gateway client …`: register a client, change its settings, rotate its secret, list
//! the registry. A new secret is printed once and only its digest is stored. Every change is
//! validated as the gateway validates the file at start-up before the file is replaced, so a
//! refused change leaves the registry as it was; errors name the client and the field.

use std::path::{Path, PathBuf};

use super::{
    Client, ClientKind, ClientRegistry,
    registry::{DEFAULT_REFRESH_DAYS, DEFAULT_REUSE_GRACE_SECONDS, hash_secret},
};

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
    fn into_option(self) -> Option<T> {
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

/// Runs a client command; returns what to print.
pub fn run(command: ClientCommand) -> anyhow::Result<String> {
    match command {
        ClientCommand::Add {
            file,
            id,
            name,
            redirect_uris,
            post_logout_redirect_uris,
            public,
            require_par,
            settings,
        } => {
            let mut registry = load_or_empty(&file)?;
            anyhow::ensure!(registry.get(&id).is_none(), "client {id} is already registered");
            let secret = (!public).then(generate_secret);
            registry.clients.push(Client {
                id: id.clone(),
                name,
                kind: if public {
                    ClientKind::Public
                } else {
                    ClientKind::Confidential
                },
                secret_hashes: secret.iter().map(|s| hash_secret(s)).collect(),
                redirect_uris,
                post_logout_redirect_uris,
                require_pushed_authorization_requests: require_par,
                backchannel_logout_uri: settings.backchannel_logout_uri,
                backchannel_logout_session_required: settings.backchannel_logout_session_required,
                frontchannel_logout_uri: settings.frontchannel_logout_uri,
                frontchannel_logout_session_required: settings.frontchannel_logout_session_required,
                refresh_token_days: settings.refresh_token_days,
                refresh_reuse_grace_seconds: settings.refresh_reuse_grace_seconds,
                staff: settings.staff,
            });
            registry.save(&file)?;
            Ok(match secret {
                Some(secret) => {
                    format!("client {id} registered\nclient_secret: {secret}\n(shown once; only its digest is stored)")
                }
                None => format!("client {id} registered (public: no secret, PKCE S256 required)"),
            })
        }
        ClientCommand::Update(args) => update(*args),
        ClientCommand::RotateSecret {
            file,
            id,
            keep_previous,
        } => {
            let mut registry = ClientRegistry::load(&file)?;
            let client = registry
                .clients
                .iter_mut()
                .find(|c| c.id == id)
                .ok_or_else(|| anyhow::anyhow!("no client {id}"))?;
            anyhow::ensure!(
                client.kind == ClientKind::Confidential,
                "client {id} is public and has no secret"
            );
            let secret = generate_secret();
            let previous = client.secret_hashes.first().cloned();
            client.secret_hashes = std::iter::once(hash_secret(&secret))
                .chain(previous.filter(|_| keep_previous))
                .collect();
            registry.save(&file)?;
            let overlap = if keep_previous {
                "; the previous secret stays valid until the next rotation"
            } else {
                ""
            };
            Ok(format!(
                "client {id}: new client_secret: {secret}\n(shown once{overlap})"
            ))
        }
        ClientCommand::List { file } => {
            let registry = ClientRegistry::load(&file)?;
            Ok(registry
                .clients
                .iter()
                .map(|c| {
                    let heading = format!("{}\t{:?}\t{}\t{}", c.id, c.kind, c.name, c.redirect_uris.join(" "));
                    let details = described(c)
                        .into_iter()
                        .filter(|(field, _)| !matches!(*field, "name" | "redirect_uris"))
                        .map(|(field, value)| format!("\n  {field}: {value}"));
                    std::iter::once(heading).chain(details).collect::<String>()
                })
                .collect::<Vec<_>>()
                .join("\n"))
        }
    }
}

/// Applies the changes given, validates the whole registry, then replaces the file.
fn update(args: UpdateArgs) -> anyhow::Result<String> {
    let mut registry = ClientRegistry::load(&args.file)?;
    let id = args.id;
    let client = registry
        .clients
        .iter_mut()
        .find(|c| c.id == id)
        .ok_or_else(|| anyhow::anyhow!("client {id} is not registered"))?;
    let before = described(client);
    if let Some(name) = args.name {
        client.name = name;
    }
    edit_list(
        &id,
        "redirect_uris",
        &mut client.redirect_uris,
        args.redirect_uris,
        args.add_redirect_uris,
        args.remove_redirect_uris,
    )?;
    edit_list(
        &id,
        "post_logout_redirect_uris",
        &mut client.post_logout_redirect_uris,
        args.post_logout_redirect_uris,
        args.add_post_logout_redirect_uris,
        args.remove_post_logout_redirect_uris,
    )?;
    if let Some(required) = args.require_par {
        client.require_pushed_authorization_requests = required;
    }
    if let Some(uri) = args.backchannel_logout_uri {
        client.backchannel_logout_uri = uri.into_option();
    }
    if let Some(required) = args.backchannel_logout_session_required {
        client.backchannel_logout_session_required = required;
    }
    if let Some(uri) = args.frontchannel_logout_uri {
        client.frontchannel_logout_uri = uri.into_option();
    }
    if let Some(required) = args.frontchannel_logout_session_required {
        client.frontchannel_logout_session_required = required;
    }
    if let Some(days) = args.refresh_token_days {
        client.refresh_token_days = days.into_option();
    }
    if let Some(seconds) = args.refresh_reuse_grace_seconds {
        client.refresh_reuse_grace_seconds = seconds.into_option();
    }
    let changes: String = before
        .into_iter()
        .zip(described(client))
        .filter(|((_, old), (_, new))| old != new)
        .map(|((field, old), (_, new))| format!("\n  {field}: {old} → {new}"))
        .collect();
    anyhow::ensure!(!changes.is_empty(), "client {id}: nothing to change");
    registry.save(&args.file)?;
    Ok(format!("client {id} updated{changes}"))
}

/// Replaces `list` when `replace` is given, else adds and removes; removing a URI that is not
/// there is refused (a typo would otherwise go unnoticed).
fn edit_list(
    id: &str,
    field: &str,
    list: &mut Vec<String>,
    replace: Vec<String>,
    add: Vec<String>,
    remove: Vec<String>,
) -> anyhow::Result<()> {
    if !replace.is_empty() {
        *list = replace;
    }
    for uri in remove {
        let before = list.len();
        list.retain(|registered| *registered != uri);
        anyhow::ensure!(list.len() < before, "client {id}: {field} has no {uri}");
    }
    for uri in add {
        if !list.contains(&uri) {
            list.push(uri);
        }
    }
    Ok(())
}

/// What `list` shows and `update` compares, field by field, named as in the registry file.
fn described(client: &Client) -> Vec<(&'static str, String)> {
    let uris = |uris: &[String]| match uris {
        [] => "(none)".to_owned(),
        uris => uris.join(" "),
    };
    let or_none = |value: &Option<String>| value.clone().unwrap_or_else(|| "(none)".to_owned());
    let or_default = |value: Option<u32>, default: u32| match value {
        Some(value) => value.to_string(),
        None => format!("{default} (default)"),
    };
    vec![
        ("name", client.name.clone()),
        ("redirect_uris", uris(&client.redirect_uris)),
        ("post_logout_redirect_uris", uris(&client.post_logout_redirect_uris)),
        (
            "require_pushed_authorization_requests",
            client.require_pushed_authorization_requests.to_string(),
        ),
        ("backchannel_logout_uri", or_none(&client.backchannel_logout_uri)),
        (
            "backchannel_logout_session_required",
            client.backchannel_logout_session_required.to_string(),
        ),
        ("frontchannel_logout_uri", or_none(&client.frontchannel_logout_uri)),
        (
            "frontchannel_logout_session_required",
            client.frontchannel_logout_session_required.to_string(),
        ),
        (
            "refresh_token_days",
            or_default(client.refresh_token_days, DEFAULT_REFRESH_DAYS),
        ),
        (
            "refresh_reuse_grace_seconds",
            or_default(client.refresh_reuse_grace_seconds, DEFAULT_REUSE_GRACE_SECONDS),
        ),
    ]
}

fn load_or_empty(file: &Path) -> anyhow::Result<ClientRegistry> {
    if file.exists() {
        Ok(ClientRegistry::load(file)?)
    } else {
        Ok(ClientRegistry::default())
    }
}

/// 256 random bits, base64url without padding.
fn generate_secret() -> String {
    // The system random generator fails only if the OS cannot provide randomness at all.
    crate::secrets::random_token().unwrap_or_else(|| panic!("the system random generator failed"))
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    /// `auth-gateway client …` as the command line parses it.
    #[derive(Debug, clap::Parser)]
    struct Cli {
        #[command(subcommand)]
        command: ClientCommand,
    }

    fn parse(args: &[&str]) -> ClientCommand {
        Cli::try_parse_from(std::iter::once("client").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
            .command
    }

    fn temporary_file() -> PathBuf {
        std::env::temp_dir().join(format!("clients-{}.toml", uuid::Uuid::new_v4().simple()))
    }

    fn secret_from(output: &str) -> String {
        output
            .lines()
            .find_map(|l| l.split("client_secret: ").nth(1))
            .expect("a printed secret")
            .to_owned()
    }

    #[test]
    fn add_and_rotate_round_trip_through_the_file() {
        let file = temporary_file();
        let add = |id: &str, public: bool| ClientCommand::Add {
            file: file.clone(),
            id: id.into(),
            name: "Shop".into(),
            redirect_uris: vec!["https://shop.example.org/cb".into()],
            post_logout_redirect_uris: vec![],
            require_par: false,
            public,
            settings: AddSettings::default(),
        };
        let first = secret_from(&run(add("shop", false)).expect("added"));
        assert!(first.len() >= 43, "256 bits");
        assert!(run(add("shop", false)).is_err(), "ids are unique");
        run(add("web", true)).expect("public client added");
        let stored = std::fs::read_to_string(&file).expect("file");
        assert!(!stored.contains(&first), "only the digest is stored");

        let rotate = |keep_previous| ClientCommand::RotateSecret {
            file: file.clone(),
            id: "shop".into(),
            keep_previous,
        };
        let second = secret_from(&run(rotate(true)).expect("rotated"));
        let registry = ClientRegistry::load(&file).expect("valid registry");
        let shop = registry.get("shop").expect("shop");
        assert!(
            shop.authenticate(&second) && shop.authenticate(&first),
            "overlap while switching"
        );
        let third = secret_from(&run(rotate(false)).expect("rotated"));
        let shop = ClientRegistry::load(&file)
            .expect("valid")
            .get("shop")
            .cloned()
            .expect("shop");
        assert!(shop.authenticate(&third));
        assert!(
            !shop.authenticate(&second) && !shop.authenticate(&first),
            "old secrets retired"
        );
        assert!(
            run(ClientCommand::RotateSecret {
                file: file.clone(),
                id: "web".into(),
                keep_previous: false
            })
            .is_err()
        );
        let listing = run(ClientCommand::List { file: file.clone() }).expect("list");
        assert!(listing.contains("shop") && listing.contains("web") && !listing.contains("sha256"));
        let _ = std::fs::remove_file(&file);
    }

    #[test]
    fn add_takes_every_setting_and_list_shows_them() {
        let file = temporary_file();
        let path = file.to_string_lossy().into_owned();
        let output = run(parse(&[
            "add",
            "--file",
            &path,
            "--id",
            "fan-app",
            "--name",
            "Fan app",
            "--public",
            "--redirect-uri",
            "com.club.app:/callback",
            "--redirect-uri",
            "http://127.0.0.1/cb",
            "--post-logout-redirect-uri",
            "com.club.app:/signed-out",
            "--require-par",
            "--backchannel-logout-uri",
            "https://app.example.org/backchannel",
            "--backchannel-logout-session-required",
            "--frontchannel-logout-uri",
            "https://app.example.org/frontchannel",
            "--frontchannel-logout-session-required",
            "--refresh-token-days",
            "90",
            "--refresh-reuse-grace-seconds",
            "10",
        ]))
        .expect("added");
        assert!(output.contains("public"), "{output}");
        let client = ClientRegistry::load(&file)
            .expect("valid")
            .get("fan-app")
            .cloned()
            .expect("stored");
        assert_eq!(client.kind, ClientKind::Public);
        assert_eq!(client.redirect_uris, ["com.club.app:/callback", "http://127.0.0.1/cb"]);
        assert_eq!(client.post_logout_redirect_uris, ["com.club.app:/signed-out"]);
        assert!(client.require_pushed_authorization_requests);
        assert_eq!(
            client.backchannel_logout_uri.as_deref(),
            Some("https://app.example.org/backchannel")
        );
        assert!(client.backchannel_logout_session_required);
        assert_eq!(
            client.frontchannel_logout_uri.as_deref(),
            Some("https://app.example.org/frontchannel")
        );
        assert!(client.frontchannel_logout_session_required);
        assert_eq!(
            (client.refresh_token_days, client.refresh_reuse_grace_seconds),
            (Some(90), Some(10))
        );

        let listing = run(parse(&["list", "--file", &path])).expect("list");
        for line in [
            "fan-app\tPublic\tFan app\tcom.club.app:/callback http://127.0.0.1/cb",
            "  post_logout_redirect_uris: com.club.app:/signed-out",
            "  require_pushed_authorization_requests: true",
            "  backchannel_logout_uri: https://app.example.org/backchannel",
            "  backchannel_logout_session_required: true",
            "  frontchannel_logout_uri: https://app.example.org/frontchannel",
            "  frontchannel_logout_session_required: true",
            "  refresh_token_days: 90",
            "  refresh_reuse_grace_seconds: 10",
        ] {
            assert!(listing.lines().any(|l| l == line), "{line:?} in\n{listing}");
        }
        let _ = std::fs::remove_file(&file);
    }

    #[test]
    fn update_changes_only_what_it_is_given() {
        let file = temporary_file();
        let path = file.to_string_lossy().into_owned();
        run(parse(&[
            "add",
            "--file",
            &path,
            "--id",
            "fan-app",
            "--name",
            "Fan app",
            "--public",
            "--redirect-uri",
            "com.club.app:/callback",
            "--redirect-uri",
            "http://127.0.0.1/cb",
            "--backchannel-logout-uri",
            "https://app.example.org/backchannel",
            "--refresh-token-days",
            "90",
        ]))
        .expect("added");
        let output = run(parse(&[
            "update",
            "--file",
            &path,
            "--id",
            "fan-app",
            "--remove-redirect-uri",
            "http://127.0.0.1/cb",
            "--add-redirect-uri",
            "http://[::1]/cb",
            "--require-par",
            "true",
            "--backchannel-logout-uri",
            "none",
            "--frontchannel-logout-uri",
            "https://app.example.org/frontchannel",
            "--frontchannel-logout-session-required",
            "true",
            "--refresh-token-days",
            "default",
            "--refresh-reuse-grace-seconds",
            "0",
        ]))
        .expect("updated");
        for change in [
            "redirect_uris: com.club.app:/callback http://127.0.0.1/cb → com.club.app:/callback http://[::1]/cb",
            "backchannel_logout_uri: https://app.example.org/backchannel → (none)",
            "refresh_token_days: 90 → 30 (default)",
            "refresh_reuse_grace_seconds: 5 (default) → 0",
        ] {
            assert!(output.contains(change), "{change:?} in\n{output}");
        }
        assert!(!output.contains("name:"), "unchanged fields are not reported: {output}");
        let client = ClientRegistry::load(&file)
            .expect("valid")
            .get("fan-app")
            .cloned()
            .expect("stored");
        assert_eq!(client.name, "Fan app");
        assert_eq!(client.redirect_uris, ["com.club.app:/callback", "http://[::1]/cb"]);
        assert!(client.require_pushed_authorization_requests);
        assert_eq!(client.backchannel_logout_uri, None);
        assert_eq!(
            client.frontchannel_logout_uri.as_deref(),
            Some("https://app.example.org/frontchannel")
        );
        assert!(client.frontchannel_logout_session_required);
        assert_eq!(
            (client.refresh_token_days, client.refresh_reuse_grace_seconds),
            (None, Some(0))
        );

        run(parse(&[
            "update",
            "--file",
            &path,
            "--id",
            "fan-app",
            "--name",
            "Club app",
            "--redirect-uri",
            "com.club.app:/oauth",
            "--require-par",
            "false",
        ]))
        .expect("updated");
        let client = ClientRegistry::load(&file)
            .expect("valid")
            .get("fan-app")
            .cloned()
            .expect("stored");
        assert_eq!(client.name, "Club app");
        assert_eq!(client.redirect_uris, ["com.club.app:/oauth"], "replaced");
        assert!(!client.require_pushed_authorization_requests);
        let _ = std::fs::remove_file(&file);
    }

    #[test]
    fn a_refused_change_names_the_client_and_the_field_and_leaves_the_file_alone() {
        let file = temporary_file();
        let path = file.to_string_lossy().into_owned();
        run(parse(&[
            "add",
            "--file",
            &path,
            "--id",
            "fan-app",
            "--name",
            "Fan app",
            "--public",
            "--redirect-uri",
            "com.club.app:/callback",
        ]))
        .expect("added");
        let before = std::fs::read(&file).expect("file");
        let update = |extra: &[&str]| {
            let mut args = vec!["update", "--file", &path, "--id", "fan-app"];
            args.extend_from_slice(extra);
            run(parse(&args)).expect_err("refused").to_string()
        };
        for (extra, expected) in [
            (
                &["--refresh-token-days", "400"][..],
                "client fan-app: refresh_token_days must be between 1 and 365",
            ),
            (
                &["--refresh-reuse-grace-seconds", "61"],
                "client fan-app: refresh_reuse_grace_seconds must be at most 60",
            ),
            (
                &["--redirect-uri", "myapp:/callback"],
                "client fan-app: redirect_uris myapp:/callback:",
            ),
            (
                &["--add-post-logout-redirect-uri", "javascript:alert(1)"],
                "client fan-app: post_logout_redirect_uris javascript:alert(1):",
            ),
            (
                &["--backchannel-logout-uri", "http://app.example.org/bc"],
                "client fan-app: backchannel_logout_uri http://app.example.org/bc:",
            ),
            (
                &["--remove-redirect-uri", "com.club.app:/other"],
                "client fan-app: redirect_uris has no com.club.app:/other",
            ),
            (
                &["--remove-redirect-uri", "com.club.app:/callback"],
                "client fan-app: at least one redirect URI",
            ),
            (&[], "client fan-app: nothing to change"),
        ] {
            let error = update(extra);
            assert!(error.contains(expected), "{extra:?}: {error}");
        }
        assert_eq!(std::fs::read(&file).expect("file"), before, "the file is untouched");

        let missing = run(parse(&["update", "--file", &path, "--id", "nobody", "--name", "x"]))
            .expect_err("unknown client")
            .to_string();
        assert!(missing.contains("client nobody is not registered"), "{missing}");
        let confidential = run(parse(&[
            "add",
            "--file",
            &path,
            "--id",
            "server",
            "--name",
            "Server",
            "--redirect-uri",
            "com.club.app:/callback",
        ]))
        .expect_err("a private-use scheme needs a public client")
        .to_string();
        assert!(
            confidential.contains("client server: redirect_uris com.club.app:/callback:"),
            "{confidential}"
        );
        assert_eq!(std::fs::read(&file).expect("file"), before, "the file is untouched");
        let _ = std::fs::remove_file(&file);
    }

    #[test]
    fn every_option_has_a_help_line_and_clearing_values_parse() {
        let command = Cli::command();
        for subcommand in command.get_subcommands() {
            assert!(subcommand.get_about().is_some(), "{}", subcommand.get_name());
            for arg in subcommand.get_arguments() {
                assert!(
                    arg.get_help().is_some_and(|h| !h.to_string().is_empty()),
                    "client {} --{}",
                    subcommand.get_name(),
                    arg.get_id()
                );
            }
        }
        let ClientCommand::Update(args) = parse(&[
            "update",
            "--file",
            "clients.toml",
            "--id",
            "fan-app",
            "--backchannel-logout-uri",
            "none",
            "--refresh-token-days",
            "default",
            "--refresh-reuse-grace-seconds",
            "7",
        ]) else {
            panic!("an update");
        };
        assert_eq!(args.backchannel_logout_uri, Some(Setting::Unset));
        assert_eq!(args.refresh_token_days, Some(Setting::Unset));
        assert_eq!(args.refresh_reuse_grace_seconds, Some(Setting::Set(7)));
        assert!(
            Cli::try_parse_from([
                "client",
                "update",
                "--file",
                "f",
                "--id",
                "a",
                "--refresh-token-days",
                "ninety"
            ])
            .is_err()
        );
        assert!(
            Cli::try_parse_from([
                "client",
                "update",
                "--file",
                "f",
                "--id",
                "a",
                "--redirect-uri",
                "https://a.example/cb",
                "--add-redirect-uri",
                "https://b.example/cb",
            ])
            .is_err(),
            "replacing and adding at once is ambiguous"
        );
    }
}
