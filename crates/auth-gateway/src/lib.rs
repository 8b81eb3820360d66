//! `auth-gateway`: the OpenID Connect provider of secutix-bridge.

pub mod app;
pub mod cli;

pub use app::Application;
pub use cli::Settings;
