//! `auth-gateway`: the OpenID Connect provider of secutix-bridge.

pub mod app;
pub mod cli;
pub mod clients;
pub mod keys;
pub mod routes;
pub mod state;

pub use app::Application;
pub use cli::Settings;
