//! Random secrets the gateway hands out come from the one shared source.

pub use infra::secrets::random_token;
