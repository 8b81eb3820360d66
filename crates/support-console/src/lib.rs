//! `support-console`: the club staff's console. Staff sign in through the auth-gateway (this
//! service is its OIDC client, a staff client: password and TOTP on the gateway's staff page),
//! find a fan, read why something went wrong and fix it, each action behind its role, CSRF
//! protected and recorded in the append-only staff audit.

pub mod actions;
pub mod app;
pub mod audit;
pub mod cli;
pub mod guard;
pub mod mail;
pub mod metrics;
pub mod oidc;
pub mod pages;
pub mod queues;
pub mod session;
pub mod staff_add;
pub mod state;
pub mod views;

pub use app::Application;
pub use cli::Settings;
