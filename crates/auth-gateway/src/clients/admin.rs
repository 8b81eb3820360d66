//! `auth-gateway client …`: register a client and rotate its secret. A new secret is printed
//! once and only its digest is stored.

use std::path::{Path, PathBuf};

use super::{Client, ClientKind, ClientRegistry, registry::hash_secret};

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
        /// An allowed redirect URI, matched exactly; repeat for several.
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// An allowed redirect URI after logout; repeat for several.
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        /// A public client (browser app): no secret, PKCE required.
        #[arg(long)]
        public: bool,
        /// Accept authorization requests from this client only when pushed to `/par` first
        /// (RFC 9126), so their parameters never travel in the browser's URL.
        #[arg(long)]
        require_par: bool,
    },
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
    /// List the registered clients (ids, kinds, redirect URIs; never secrets).
    List {
        /// The client registry file the gateway reads (created when absent).
        #[arg(long, env = "GATEWAY_CLIENTS_FILE", value_name = "GATEWAY_CLIENTS_FILE")]
        file: PathBuf,
    },
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
                ..Default::default()
            });
            registry.save(&file)?;
            Ok(match secret {
                Some(secret) => {
                    format!("client {id} registered\nclient_secret: {secret}\n(shown once; only its digest is stored)")
                }
                None => format!("client {id} registered (public: no secret, PKCE S256 required)"),
            })
        }
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
                .map(|c| format!("{}\t{:?}\t{}\t{}", c.id, c.kind, c.name, c.redirect_uris.join(" ")))
                .collect::<Vec<_>>()
                .join("\n"))
        }
    }
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
    use super::*;

    fn secret_from(output: &str) -> String {
        output
            .lines()
            .find_map(|l| l.split("client_secret: ").nth(1))
            .expect("a printed secret")
            .to_owned()
    }

    #[test]
    fn add_and_rotate_round_trip_through_the_file() {
        let file = std::env::temp_dir().join(format!("clients-{}.toml", uuid::Uuid::new_v4().simple()));
        let add = |id: &str, public: bool| ClientCommand::Add {
            file: file.clone(),
            id: id.into(),
            name: "Shop".into(),
            redirect_uris: vec!["https://shop.example.org/cb".into()],
            post_logout_redirect_uris: vec![],
            require_par: false,
            public,
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
}
