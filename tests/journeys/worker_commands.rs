//! `UpdateProfile` commands at the worker, published as the gateway does: a redelivered
//! command applies once, a merged contact's command changes nothing, and a database outage is
//! waited out with the command held rather than dead-lettered.

use std::time::Duration;

use prost::Message;
use tests::{TestBroker, eventually, spawn_worker};

use crate::gateway_support::*;

fn command(id: &str, subject: uuid::Uuid, first_name: &str) -> model::bus::UpdateProfile {
    model::bus::UpdateProfile {
        command_id: id.into(),
        contact_number: "0001234567".into(),
        subject_id: subject.to_string(),
        base_modified_at: None,
        changes: Some(model::bus::ProfileChanges {
            first_name: Some(first_name.into()),
            ..Default::default()
        }),
    }
}

async fn publish(broker: &TestBroker, command: &model::bus::UpdateProfile) {
    let publisher = infra::amqp::Publisher::new(
        tests::amqp_url().into(),
        broker.topology.clone(),
        infra::amqp::PublisherOptions::default(),
    );
    let message = infra::amqp::OutgoingMessage {
        exchange: broker.topology.commands_exchange(),
        routing_key: model::bus::UPDATE_PROFILE_ROUTING_KEY.into(),
        payload: command.encode_to_vec(),
        message_id: command.command_id.clone(),
        timestamp: 0,
        content_type: model::bus::UPDATE_PROFILE_CONTENT_TYPE,
        headers: Default::default(),
    };
    publisher.publish_all(vec![message]).await.expect("confirmed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_command_applies_once_and_merged_contacts_cannot_update() {
    let broker = TestBroker::create().await;
    let s = setup_with(&["--amqp-name-prefix", &broker.prefix]).await;
    let _worker = spawn_worker(&broker.prefix, &s.db.url).await;
    let first = uuid::Uuid::new_v4().to_string();
    let second = uuid::Uuid::new_v4().to_string();
    publish(&broker, &command(&first, s.subject, "Jeanne")).await;
    publish(&broker, &command(&second, s.subject, "Janine")).await;
    // The first command again, as after a lost acknowledgement.
    publish(&broker, &command(&first, s.subject, "Jeanne")).await;
    let marker = uuid::Uuid::new_v4().to_string();
    publish(&broker, &command(&marker, uuid::Uuid::new_v4(), "Someone else")).await;
    eventually(Duration::from_secs(15), "every command consumed", || async {
        (broker.ready_count(&broker.topology.commands_queue()).await == 0).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        s.db.count("SELECT count(*) AS n FROM writeback_outbox").await,
        2,
        "one row per command"
    );
    let contact = s.db.contact("0001234567").await.expect("contact");
    assert_eq!(
        contact.first_name.as_deref(),
        Some("Janine"),
        "the redelivery changed nothing"
    );

    s.db.execute("UPDATE contacts SET state = 'merged', head_contact_number = '0009999999'")
        .await;
    publish(
        &broker,
        &command(&uuid::Uuid::new_v4().to_string(), s.subject, "Merged"),
    )
    .await;
    s.db.execute("UPDATE contacts SET state = 'anonymised', head_contact_number = NULL")
        .await;
    publish(&broker, &command(&uuid::Uuid::new_v4().to_string(), s.subject, "Gone")).await;
    eventually(Duration::from_secs(15), "every command consumed", || async {
        (broker.ready_count(&broker.topology.commands_queue()).await == 0).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(s.db.count("SELECT count(*) AS n FROM writeback_outbox").await, 2);
    let contact = s.db.contact("0001234567").await.expect("contact");
    assert_eq!(
        contact.first_name.as_deref(),
        Some("Janine"),
        "merged and anonymised contacts do not change"
    );
}

/// A command that arrives while the database is down is held by the worker (retried in place,
/// never handed back to the broker, whose delivery limit would dead-letter it) and applied once
/// the database answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_waits_out_a_database_outage_without_being_dead_lettered() {
    let broker = TestBroker::create().await;
    let db = tests::TestDatabase::create().await;
    let subject = seed_account(&db).await;
    let proxy = tests::TcpProxy::start("127.0.0.1:5432".parse().expect("address")).await;
    let through_proxy = db.url.replace("127.0.0.1:5432", &format!("127.0.0.1:{}", proxy.port));
    let worker = tests::spawn_worker_with(&broker.prefix, &through_proxy, &["--database-acquire-timeout", "1"]).await;
    let retries = || tests::metric(&worker.base_url, "sync_worker_database_retries_total");

    proxy.set_down(true);
    publish(&broker, &command(&uuid::Uuid::new_v4().to_string(), subject, "Patient")).await;
    eventually(
        Duration::from_secs(20),
        "the command held through several attempts",
        || async { (retries().await >= 4).then_some(()) },
    )
    .await;
    assert_eq!(
        broker.ready_count(&broker.topology.commands_queue()).await,
        0,
        "held by the worker, not handed back"
    );
    proxy.set_down(false);
    eventually(Duration::from_secs(20), "the change applied", || async {
        let contact = db.contact("0001234567").await?;
        (contact.first_name.as_deref() == Some("Patient")).then_some(())
    })
    .await;
    assert_eq!(db.count("SELECT count(*) AS n FROM writeback_outbox").await, 1);
    assert_eq!(
        broker.ready_count(&broker.topology.dead_letter_queue()).await,
        0,
        "nothing dead-lettered"
    );
}
