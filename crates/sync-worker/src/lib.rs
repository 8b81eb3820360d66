//! `sync-worker`: owns the PostgreSQL schema, applies contact events from RabbitMQ and runs
//! the sync jobs as subcommands. `main.rs` only parses the command line and calls in here.

pub mod app;
pub mod apply;
pub mod budget;
pub mod cli;
pub mod commands;
pub mod consumer;
pub mod creation;
pub mod followups;
pub mod import;
pub mod links;
pub mod mail_templates;
pub mod mailer;
pub mod metrics;
pub mod profile;
pub mod reconcile;
pub mod redrive;
pub mod remote;
pub mod replay;
mod replay_command;
pub mod replay_diff;
pub mod secutix_tasks;
pub mod writeback;
pub mod writer;

pub use app::Worker;
