//! `auth-gateway`: the OpenID Connect provider of secutix-bridge.

pub mod account;
pub mod app;
pub mod backchannel;
pub mod cache;
pub mod cli;
pub mod clients;
pub mod commands;
pub mod csrf;
pub mod email_change;
pub mod email_code;
pub mod federation;
pub mod grants;
pub mod hash_pool;
pub mod host_cookie;
pub mod keys;
pub mod loopback;
pub mod pages;
pub mod passkeys;
pub mod password_policy;
pub mod passwords;
pub mod profile;
pub mod routes;
pub mod secrets;
pub mod session_cookie;
pub mod sessions_admin;
pub mod signup;
pub mod signup_form;
pub mod signup_settings;
pub mod social;
pub mod state;
pub mod theme;
pub mod tokens;

pub use app::Application;
pub use cli::Settings;
