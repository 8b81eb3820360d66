//! `secutix-sim`: a stand-in for SecuTix S-360, faithful to what S-360 publishes
//! (`shared/SECUTIX.md`), for the local stack, the end-to-end tests and integrators' own tests.
//!
//! # Starting it
//!
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! use secutix_sim::{SimConfig, Simulator};
//! let sim = Simulator::start(SimConfig::ephemeral()).await?;
//! println!("{}", sim.base_url());
//! sim.state().store.create(&serde_json::json!({ "contactNumber": "0001" }))?;
//! sim.stop().await?;
//! # Ok(()) }
//! ```
//!
//! [`SimConfig::default`] is what `secutix-sim run` without flags would use: the documented
//! defaults, overridden by any `SIM_*` (and `LISTEN_ADDR`) variable set in the environment;
//! [`SimConfig::ephemeral`] also listens on a free port. Every option is listed in the crate's
//! README and by `--help`.
//!
//! # What it serves
//!
//! - The **contact store** ([`store`]): every contact as its `getContactData` JSON with a
//!   version and `lastModificationDate` that move on every change, and a state (active, merged,
//!   anonymised, deleted). Merges write `mergedIntoContactNumber`, anonymisations `anonymized:
//!   true` (what `sync-worker`'s detection reads by default).
//! - The **admin API** under `/admin` ([`admin`]): create, update, merge, anonymise, delete,
//!   list (the truth), seed demo contacts ([`demo`]), counters, run the webhooks now, export.
//! - The **contact API** ([`api`]): `getContactData`, `saveIndividualContactData`,
//!   `searchContact`, `addLink`,
//!   HS256 tokens checked as S-360 does, one shared rate limit (509 or 429 + `Retry-After`).
//! - **Contact Webhook V2** ([`webhook`]) and the **Data Export** webhook ([`export`]), with the
//!   authentication methods `webhook-ingest` accepts ([`sender`]).
//! - The **ticket shop** ([`shop`]) at `/shop`: an OpenID Connect relying party of the
//!   identity provider that links the SSO id to a contact as S-360 does.
//!
//! The library API ([`Simulator`], [`SimConfig`], [`SimHandle`], [`SimState`], [`store::Store`])
//! is stable: tests of other crates use it.
//!
//! # How the modules depend on each other
//!
//! [`app`] starts everything and is the only module that names the route modules ([`admin`],
//! [`api`], [`export`], [`shop`], [`webhook`]) together. They share [`state::SimState`], which
//! names none of them, and whatever two of them share has its own module ([`sender`] for the
//! webhooks' authentication, [`error`] for the HTTP errors and JSON bodies), so the modules
//! form no import cycle (the layout test checks it, `docs/architecture.md`).

pub mod admin;
pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
pub mod export;
pub mod sender;
pub mod shop;
pub mod state;
pub mod stats;
pub mod store;
pub mod webhook;

pub use app::{SimHandle, Simulator};
pub use config::SimConfig;
pub use state::SimState;
