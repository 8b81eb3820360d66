//! A RabbitMQ name prefix per test, so tests share the broker without seeing each other's
//! messages; its queues and exchanges are deleted when the test ends.

use infra::amqp::Topology;
use lapin::{
    Channel, Connection, ConnectionProperties,
    options::{BasicGetOptions, QueueDeclareOptions},
    types::FieldTable,
};

use crate::amqp_url;

pub struct TestBroker {
    pub prefix: String,
    pub topology: Topology,
    pub connection: Connection,
    pub channel: Channel,
}

impl TestBroker {
    /// Connects and declares this test's topology.
    pub async fn create() -> Self {
        let prefix = format!("test-{}.", uuid::Uuid::new_v4().simple());
        let topology = Topology::new(prefix.clone());
        let connection = Connection::connect(&amqp_url(), ConnectionProperties::default())
            .await
            .expect("RabbitMQ reachable");
        let channel = connection.create_channel().await.expect("channel");
        topology.declare(&channel).await.expect("topology declared");
        Self {
            prefix,
            topology,
            connection,
            channel,
        }
    }

    /// Messages ready in a queue of this test.
    pub async fn ready_count(&self, queue: &str) -> u32 {
        let options = QueueDeclareOptions {
            passive: true,
            ..Default::default()
        };
        self.channel
            .queue_declare(queue.into(), options, FieldTable::default())
            .await
            .expect("queue exists")
            .message_count()
    }

    /// Takes one message from a queue (acked), if any.
    pub async fn get(&self, queue: &str) -> Option<lapin::message::BasicGetMessage> {
        self.channel
            .basic_get(queue.into(), BasicGetOptions { no_ack: true })
            .await
            .expect("basic.get")
    }
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        let topology = self.topology.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let Ok(connection) = Connection::connect(&amqp_url(), ConnectionProperties::default()).await else {
                    return;
                };
                let Ok(channel) = connection.create_channel().await else {
                    return;
                };
                let _ = topology.delete(&channel).await;
                let _ = connection.close(200, "test done".into()).await;
            });
        })
        .join();
    }
}
