//! `webhook-ingest`: authenticates and validates S-360's contact webhooks and hands each
//! contact to RabbitMQ, answering 200 only after the broker confirmed every one.

pub mod app;
pub mod auth;
pub mod cli;
pub mod dedup;
pub mod error;
pub mod events;
pub mod metrics;
pub mod payload;
mod readable;
pub mod routes;

pub use app::Application;
pub use cli::Settings;
