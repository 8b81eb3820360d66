//! RabbitMQ: connecting, the topology every service declares, the confirmed publisher and
//! trace-context propagation through message headers.

mod connect;
pub mod propagation;
pub mod publisher;
pub mod topology;

pub use connect::{connect, connect_with_retry};
pub use publisher::{OutgoingMessage, PublishError, Publisher, PublisherOptions};
pub use topology::Topology;
