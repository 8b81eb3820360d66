//! The RabbitMQ topology of ARCHITECTURE.md, declared idempotently by every service at
//! start-up. Re-declaring with identical arguments is a no-op; changing an argument of an
//! existing queue is refused by the broker (PRECONDITION_FAILED), so arguments only change
//! together with a migration plan.

use lapin::{
    Channel, ExchangeKind,
    options::{
        ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
    },
    types::{AMQPValue, FieldTable, LongString, ShortString},
};

/// How often the broker redelivers a message before dead-lettering it.
pub const DELIVERY_LIMIT: i64 = 20;
/// How long the `contacts.log` stream keeps events for replay.
pub const LOG_RETENTION: &str = "7D";

/// Exchange and queue names, all behind an optional prefix so several isolated stacks can
/// share one broker.
#[derive(Debug, Clone)]
pub struct Topology {
    prefix: String,
}

impl Topology {
    pub fn new(prefix: impl Into<String>) -> Self {
        Self { prefix: prefix.into() }
    }

    fn name(&self, base: &str) -> String {
        format!("{}{base}", self.prefix)
    }

    /// Topic exchange for contact events; routing keys name the event kind (`contact.changed`).
    pub fn contacts_exchange(&self) -> String {
        self.name("contacts")
    }

    /// Where the worker queue dead-letters messages that can never be applied.
    pub fn dead_letter_exchange(&self) -> String {
        self.name("contacts.dead-letter")
    }

    /// The worker's queue of contact events.
    pub fn worker_queue(&self) -> String {
        self.name("sync-worker.contacts")
    }

    /// Dead letters of the worker queue, kept until an operator redrives them.
    pub fn dead_letter_queue(&self) -> String {
        self.name("sync-worker.contacts.dlq")
    }

    /// Every contact event, retained by age, for `sync-worker replay`.
    pub fn log_stream(&self) -> String {
        self.name("contacts.log")
    }

    /// Topic exchange for commands from `auth-gateway` to `sync-worker` (profile changes).
    pub fn commands_exchange(&self) -> String {
        self.name("contact-commands")
    }

    /// The worker's queue of commands.
    pub fn commands_queue(&self) -> String {
        self.name("sync-worker.commands")
    }

    /// Declares every exchange, queue and binding. Safe to call on every start.
    pub async fn declare(&self, channel: &Channel) -> lapin::Result<()> {
        let durable = ExchangeDeclareOptions {
            durable: true,
            ..Default::default()
        };
        for (exchange, kind) in [
            (self.contacts_exchange(), ExchangeKind::Topic),
            (self.dead_letter_exchange(), ExchangeKind::Fanout),
            (self.commands_exchange(), ExchangeKind::Topic),
        ] {
            channel
                .exchange_declare(exchange.as_str().into(), kind, durable, FieldTable::default())
                .await?;
        }

        self.declare_queue(channel, &self.worker_queue(), self.work_queue_arguments())
            .await?;
        self.bind(channel, &self.worker_queue(), &self.contacts_exchange(), "contact.#")
            .await?;

        self.declare_queue(channel, &self.dead_letter_queue(), quorum()).await?;
        self.bind(channel, &self.dead_letter_queue(), &self.dead_letter_exchange(), "")
            .await?;

        let mut stream = FieldTable::default();
        // A stream is an append-only log read from any offset: the replay source.
        insert(&mut stream, "x-queue-type", string("stream"));
        // Retention by age; segments older than this are deleted.
        insert(&mut stream, "x-max-age", string(LOG_RETENTION));
        self.declare_queue(channel, &self.log_stream(), stream).await?;
        self.bind(channel, &self.log_stream(), &self.contacts_exchange(), "#")
            .await?;

        self.declare_queue(channel, &self.commands_queue(), self.work_queue_arguments())
            .await?;
        self.bind(channel, &self.commands_queue(), &self.commands_exchange(), "#")
            .await?;
        Ok(())
    }

    /// Deletes every queue and exchange of this topology (test and benchmark namespaces);
    /// their messages go with them. Never called on the production topology by the services.
    pub async fn delete(&self, channel: &Channel) -> lapin::Result<()> {
        for queue in [
            self.worker_queue(),
            self.dead_letter_queue(),
            self.log_stream(),
            self.commands_queue(),
        ] {
            channel
                .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
                .await?;
        }
        for exchange in [
            self.contacts_exchange(),
            self.dead_letter_exchange(),
            self.commands_exchange(),
        ] {
            channel
                .exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default())
                .await?;
        }
        Ok(())
    }

    /// Arguments of a worker queue: quorum (replicated, durable), a delivery limit after which
    /// a poison message is dead-lettered instead of looping forever, and at-least-once
    /// dead-lettering so a dead letter cannot be lost between the two queues.
    fn work_queue_arguments(&self) -> FieldTable {
        let mut args = quorum();
        insert(&mut args, "x-delivery-limit", AMQPValue::LongLongInt(DELIVERY_LIMIT));
        insert(
            &mut args,
            "x-dead-letter-exchange",
            string(&self.dead_letter_exchange()),
        );
        insert(&mut args, "x-dead-letter-strategy", string("at-least-once"));
        // at-least-once dead-lettering requires the reject-publish overflow behaviour.
        insert(&mut args, "x-overflow", string("reject-publish"));
        args
    }

    async fn declare_queue(&self, channel: &Channel, queue: &str, args: FieldTable) -> lapin::Result<()> {
        let options = QueueDeclareOptions {
            durable: true,
            ..Default::default()
        };
        channel.queue_declare(queue.into(), options, args).await?;
        Ok(())
    }

    async fn bind(&self, channel: &Channel, queue: &str, exchange: &str, key: &str) -> lapin::Result<()> {
        channel
            .queue_bind(
                queue.into(),
                exchange.into(),
                key.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
    }
}

fn quorum() -> FieldTable {
    let mut args = FieldTable::default();
    insert(&mut args, "x-queue-type", string("quorum"));
    args
}

fn insert(table: &mut FieldTable, key: &str, value: AMQPValue) {
    table.insert(ShortString::from(key), value);
}

fn string(value: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(value))
}
