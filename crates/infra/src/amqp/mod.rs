//! RabbitMQ: connecting, the topology every service declares, the confirmed publisher,
//! trace-context propagation through message headers, and the dead letters (their reason
//! headers, listing and redrive).

mod connect;
pub mod deadletter;
pub mod propagation;
pub mod publisher;
pub mod redrive;
pub mod topology;

pub use connect::{connect, connect_with_retry};
pub use publisher::{OutgoingMessage, PublishError, Publisher, PublisherOptions};
pub use topology::Topology;
