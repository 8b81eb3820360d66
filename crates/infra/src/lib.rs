//! Plumbing shared by every secutix-bridge service: configuration arguments, telemetry,
//! the shutdown signal, the operations endpoints (`/healthz`, `/readyz`, `/metrics`) and the
//! RabbitMQ connection, topology and publisher.

pub mod amqp;
pub mod config;
pub mod db;
pub mod healthcheck;
pub mod http;
pub mod secrets;
pub mod shutdown;
pub mod telemetry;
