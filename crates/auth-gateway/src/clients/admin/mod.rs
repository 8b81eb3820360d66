//! `auth-gateway client …`: register a client, change its settings, rotate its secret, list
//! the registry. A new secret is printed once and only its digest is stored. Every change is
//! validated as the gateway validates the file at start-up before the file is replaced, so a
//! refused change leaves the registry as it was; errors name the client and the field.

mod args;
#[cfg(test)]
mod tests;

use std::path::Path;

use super::{
    Client, ClientKind, ClientRegistry,
    registry::{DEFAULT_REFRESH_DAYS, DEFAULT_REUSE_GRACE_SECONDS, hash_secret},
};

pub use args::{AddSettings, ClientCommand, Setting, UpdateArgs};

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
