//! The gateway as the relying party of upstream OpenID providers (social sign-in): their
//! configuration ([`config`]), the `openidconnect` client of each ([`upstream`]), the browser
//! binding of a sign-in under way ([`binding`]) and the linking of an upstream identity once
//! the fan signed in to the existing account ([`pending`]). A leaf of the gateway: the pages
//! and handlers that use it are in `crate::social`.

pub mod apple;
pub mod binding;
pub mod config;
pub mod microsoft;
pub mod pending;
pub mod upstream;

use std::{collections::HashMap, sync::Arc, sync::OnceLock};

use self::upstream::Upstream;

/// The configured upstream providers.
#[derive(Clone, Default)]
pub struct Providers {
    by_id: HashMap<String, Arc<Upstream>>,
}

impl Providers {
    /// The providers of the upstreams file; their buttons, in the file's order, are installed
    /// for the sign-in page ([`buttons`]).
    pub fn new(file: config::UpstreamsFile) -> anyhow::Result<Self> {
        let buttons = file.providers.iter().map(|p| (p.id.clone(), p.name.clone())).collect();
        let mut by_id = HashMap::new();
        for provider in file.providers {
            by_id.insert(provider.id.clone(), Arc::new(Upstream::new(provider)?));
        }
        if BUTTONS.set(buttons).is_err() {
            tracing::debug!("Sign-in buttons were already installed; keeping them");
        }
        Ok(Self { by_id })
    }

    pub fn get(&self, id: &str) -> Option<&Arc<Upstream>> {
        self.by_id.get(id)
    }

    /// A provider's display name, or its id if it is no longer configured.
    pub fn name<'a>(&'a self, id: &'a str) -> &'a str {
        self.get(id).map(|u| u.config.name.as_str()).unwrap_or(id)
    }
}

/// (id, name) of each provider, for the sign-in page, which is rendered without the state.
static BUTTONS: OnceLock<Vec<(String, String)>> = OnceLock::new();

/// (id, name) of each configured provider, in the file's order.
pub fn buttons() -> &'static [(String, String)] {
    BUTTONS.get().map(Vec::as_slice).unwrap_or_default()
}

/// The callback URL registered at the provider `id`.
pub fn redirect_uri(issuer: &str, id: &str) -> String {
    format!("{issuer}/login/social/{id}/callback")
}
