//! `cargo run -p tests --example dead_letter -- <message id>`: publishes one message the worker
//! can never apply (not a `ContactChanged`) to the contacts exchange of the broker at
//! `AMQP_URL` (`AMQP_NAME_PREFIX`), with a publisher confirm, so that the running worker
//! dead-letters it (reason `undecodable`). The console walk (`scripts/console_walk.py`) uses it
//! to have a dead letter to redrive against `make run`.

use lapin::{
    BasicProperties,
    options::{BasicPublishOptions, ConfirmSelectOptions},
};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let message_id = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: dead_letter <message id>"))?;
    let url = std::env::var("AMQP_URL").unwrap_or_else(|_| infra::config::DEFAULT_AMQP_URL.into());
    let topology = infra::amqp::Topology::new(std::env::var("AMQP_NAME_PREFIX").unwrap_or_default());
    let connection = lapin::Connection::connect(&url, lapin::ConnectionProperties::default()).await?;
    let channel = connection.create_channel().await?;
    channel.confirm_select(ConfirmSelectOptions::default()).await?;
    let confirmation = channel
        .basic_publish(
            topology.contacts_exchange().as_str().into(),
            model::bus::CONTACT_CHANGED_ROUTING_KEY.into(),
            BasicPublishOptions {
                mandatory: true,
                ..Default::default()
            },
            b"\xff\xfe not a ContactChanged message",
            BasicProperties::default()
                .with_delivery_mode(2)
                .with_message_id(message_id.as_str().into()),
        )
        .await?
        .await?;
    anyhow::ensure!(
        matches!(confirmation, lapin::Confirmation::Ack(None)),
        "not confirmed: {confirmation:?}"
    );
    println!("published {message_id}");
    let _ = connection.close(200, "done".into()).await;
    Ok(())
}
