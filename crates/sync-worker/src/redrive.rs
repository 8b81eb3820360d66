//! `sync-worker redrive`: moves dead letters back to the contacts exchange, all of them or
//! those matching a reason code, a contact number or message ids, and prints the counts. The
//! work is [`infra::amqp::redrive`], shared with the support console's sync page: each message
//! is re-published with a broker confirm before it is acked, so a crash midway loses nothing;
//! dead letters that do not match go back to the tail of the dead-letter queue.

use infra::{
    amqp::{
        Topology,
        redrive::{self, Selection},
    },
    config::{AmqpArgs, TelemetryArgs},
};

pub use infra::amqp::redrive::RedriveReport;

#[derive(Debug, Clone, clap::Args)]
pub struct RedriveArgs {
    /// Only dead letters with this reason code (ours, e.g. `database` or `payload_not_a_contact`,
    /// or the broker's, e.g. `delivery_limit`).
    #[arg(long)]
    pub reason: Option<String>,
    /// Only dead letters of this contact number.
    #[arg(long)]
    pub contact_number: Option<String>,
    /// Only the dead letters with these message ids (repeat the option for several).
    #[arg(long = "message-id")]
    pub message_ids: Vec<String>,
    /// Report what would be moved without moving anything.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub amqp: AmqpArgs,
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

/// Examines every message in the dead-letter queue once.
pub async fn run(args: &RedriveArgs) -> anyhow::Result<RedriveReport> {
    let selection = Selection {
        message_ids: args.message_ids.clone(),
        reason: args.reason.clone(),
        contact_number: args.contact_number.clone(),
    };
    redrive::redrive(
        &args.amqp.amqp_url,
        &Topology::new(args.amqp.amqp_name_prefix.clone()),
        &selection,
        args.dry_run,
        model::bus::CONTACT_CHANGED_ROUTING_KEY,
        "sync-worker redrive",
    )
    .await
}
