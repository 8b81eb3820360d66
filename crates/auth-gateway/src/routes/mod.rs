//! HTTP routes of `auth-gateway`.

pub mod discovery;
