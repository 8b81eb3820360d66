//! The contact-creation task of `sync-worker run`: gets each verified sign-up account its
//! S-360 contact (`contact_creations`, one row per account, inserted by the gateway when the
//! fan verifies the address). For each due `pending` row, S-360 is searched by the login
//! e-mail (`searchContact`):
//!
//! - exactly one contact, not linked to an SSO id and without an account here: `addLink`, then
//!   the account is attached (`email_match`);
//! - several, or one already linked or owned: `ambiguous`, for an operator, nothing guessed;
//! - none: with `CONTACT_CREATION=api` the contact is created (`saveIndividualContactData`
//!   without a contact number, from the account's sign-up profile), linked and attached
//!   (`api_created`); with `shop` the row waits (`waiting`) for the contact the ticket shop
//!   creates at the fan's first SSO sign-in, which the apply path attaches when S-360's webhook
//!   brings it (`sso_link`, `crate::apply::attach`).
//!
//! The contact chosen (found or created) is stored on the row (`contact_number`,
//! `attached_by`) before `addLink`, so a retry after a crash links and attaches that one: it
//! never creates a second contact. Rows are claimed `FOR UPDATE SKIP LOCKED` with a lease, like
//! the link and write-back tasks; transient failures (outages, 5xx, rate limit after the
//! client's own waiting) are retried 30 s later, doubling, at most an hour apart; S-360's
//! other refusals end as `failed` with their code. Every call goes through the process's one
//! client, and so through the installation's shared budget.

mod steps;

use std::time::Duration;

use diesel::{
    prelude::*,
    sql_types::{BigInt, Bool, Int4, Nullable, Text, Uuid as SqlUuid, Varchar},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use secutix_client::Client;
use store::{PgPool, schema::contact_creations};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{apply::DetectionRules, links::retry_delay, metrics::WorkerMetrics};
pub use steps::Outcome;

/// Rows claimed per round.
const CLAIM: i64 = 10;
/// How long a claimed row is left alone before another round may take it again.
const LEASE_SECONDS: i32 = 300;

/// What happens when S-360 holds no contact with a sign-up account's e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Wait for the contact the ticket shop creates at the fan's first SSO sign-in.
    Shop,
    /// Create the contact through the contact API and link it.
    Api,
}

/// Settings of the contact-creation task.
#[derive(Debug, Clone, clap::Args)]
pub struct ContactCreationArgs {
    /// How a sign-up account gets its S-360 contact when S-360 has none with its verified
    /// e-mail: `shop` waits for the contact the ticket shop creates at the fan's first SSO
    /// sign-in (attached when S-360's webhook brings it with our link); `api` creates it with
    /// `saveIndividualContactData` and links it with `addLink` (whether S-360's API may create
    /// contacts is not public). In both modes one unlinked contact with the e-mail is linked,
    /// and several are left to an operator (`ambiguous`).
    #[arg(
        long,
        env = "CONTACT_CREATION",
        value_name = "CONTACT_CREATION",
        default_value = "shop"
    )]
    pub contact_creation: Mode,

    /// S-360 authorization code of the club's newsletter: a contact created in `api` mode gets
    /// `{"authorizationCode": <this>, "allowed": <the fan's choice at sign-up>}`.
    #[arg(
        long,
        env = "NEWSLETTER_AUTHORIZATION_CODE",
        value_name = "NEWSLETTER_AUTHORIZATION_CODE",
        default_value = "NEWSLETTER"
    )]
    pub newsletter_authorization_code: String,
}

/// A claimed row with its account's sign-up profile.
#[derive(Debug, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = SqlUuid)]
    pub subject_id: Uuid,
    #[diesel(sql_type = Int4)]
    pub attempts: i32,
    /// The contact chosen before `addLink` by an earlier attempt.
    #[diesel(sql_type = Nullable<Varchar>)]
    pub chosen: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub chosen_by: Option<String>,
    #[diesel(sql_type = Nullable<Varchar>)]
    pub account_contact: Option<String>,
    #[diesel(sql_type = Text)]
    pub login_email: String,
    #[diesel(sql_type = Bool)]
    pub email_verified: bool,
    #[diesel(sql_type = Nullable<Text>)]
    pub given_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub family_name: Option<String>,
    #[diesel(sql_type = Nullable<Varchar>)]
    pub language: Option<String>,
    #[diesel(sql_type = Bool)]
    pub newsletter: bool,
}

/// The task's dependencies.
#[derive(Clone)]
pub struct ContactCreation {
    pub pool: PgPool,
    pub client: Client,
    pub args: ContactCreationArgs,
    pub rules: DetectionRules,
    pub metrics: WorkerMetrics,
}

impl ContactCreation {
    /// Works due rows until cancelled.
    pub async fn run(self, cancel: CancellationToken) {
        tracing::info!(mode = ?self.args.contact_creation, "Contact creation for sign-up accounts started");
        loop {
            let wait = match self.round(&cancel).await {
                Ok(0) => Duration::from_secs(1),
                Ok(_) => Duration::ZERO,
                Err(error) => {
                    tracing::warn!(%error, "Contact-creation round failed; retrying");
                    Duration::from_secs(5)
                }
            };
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Claims due rows and works each; returns how many were claimed.
    pub async fn round(&self, cancel: &CancellationToken) -> anyhow::Result<usize> {
        let mut conn = self.pool.get().await?;
        let claimed: Vec<Claimed> = diesel::sql_query(
            "WITH due AS (
                 SELECT subject_id FROM contact_creations
                 WHERE state = 'pending' AND next_attempt_at <= now()
                 ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
             ), claimed AS (
                 UPDATE contact_creations cc SET attempts = cc.attempts + 1,
                     next_attempt_at = now() + make_interval(secs => $2), updated_at = now()
                 FROM due WHERE cc.subject_id = due.subject_id
                 RETURNING cc.subject_id, cc.attempts, cc.contact_number, cc.attached_by
             )
             SELECT c.subject_id, c.attempts, c.contact_number AS chosen, c.attached_by AS chosen_by,
                    a.contact_number AS account_contact, a.login_email, a.email_verified,
                    a.given_name, a.family_name, a.language, a.newsletter
             FROM claimed c JOIN accounts a ON a.subject_id = c.subject_id",
        )
        .bind::<BigInt, _>(CLAIM)
        .bind::<Int4, _>(LEASE_SECONDS)
        .load(&mut conn)
        .await?;
        let count = claimed.len();
        for row in claimed {
            if cancel.is_cancelled() {
                break;
            }
            let outcome = steps::work(self, &mut conn, &row).await?;
            self.record(&mut conn, &row, outcome).await?;
        }
        Ok(count)
    }

    /// Stores the outcome on the row (never undoing an attachment made meanwhile by the apply
    /// path), logs and counts it.
    async fn record(&self, conn: &mut AsyncPgConnection, row: &Claimed, outcome: Outcome) -> QueryResult<()> {
        let subject_id = row.subject_id;
        let open = contact_creations::table
            .find(subject_id)
            .filter(contact_creations::state.ne("attached"));
        match outcome {
            Outcome::Attached(by, number) => {
                self.metrics.accounts_attached.with_label_values(&[by.as_str()]).inc();
                tracing::info!(contact_number = %number, %subject_id, by = by.as_str(), "Sign-up account attached to its S-360 contact");
            }
            Outcome::AlreadyAttached(number) => {
                diesel::update(open)
                    .set((
                        contact_creations::state.eq("attached"),
                        contact_creations::contact_number.eq(&number),
                        contact_creations::last_error.eq(None::<String>),
                        contact_creations::updated_at.eq(diesel::dsl::now),
                    ))
                    .execute(conn)
                    .await?;
                tracing::info!(contact_number = %number, %subject_id, "Sign-up account already has its contact");
            }
            Outcome::Ambiguous(reason) => {
                self.metrics.contact_creations.with_label_values(&["ambiguous"]).inc();
                tracing::warn!(%subject_id, %reason, "Contact for a sign-up account is ambiguous; left to an operator");
                diesel::update(open)
                    .set((
                        contact_creations::state.eq("ambiguous"),
                        contact_creations::last_error.eq(reason),
                        contact_creations::contact_number.eq(None::<String>),
                        contact_creations::attached_by.eq(None::<String>),
                        contact_creations::updated_at.eq(diesel::dsl::now),
                    ))
                    .execute(conn)
                    .await?;
            }
            Outcome::Waiting(reason) => {
                self.metrics.contact_creations.with_label_values(&["waiting"]).inc();
                tracing::info!(%subject_id, %reason, "Sign-up account waits for the contact the shop creates");
                diesel::update(open)
                    .set((
                        contact_creations::state.eq("waiting"),
                        contact_creations::last_error.eq(reason),
                        contact_creations::contact_number.eq(None::<String>),
                        contact_creations::attached_by.eq(None::<String>),
                        contact_creations::updated_at.eq(diesel::dsl::now),
                    ))
                    .execute(conn)
                    .await?;
            }
            Outcome::Retry { code, forget_chosen } => {
                self.metrics.contact_creations.with_label_values(&["retry"]).inc();
                tracing::warn!(%subject_id, %code, "Contact creation failed; will retry");
                let pending = contact_creations::table
                    .find(subject_id)
                    .filter(contact_creations::state.eq("pending"));
                let next = chrono::Utc::now() + retry_delay(row.attempts);
                if forget_chosen {
                    diesel::update(pending)
                        .set((
                            contact_creations::last_error.eq(code),
                            contact_creations::next_attempt_at.eq(next),
                            contact_creations::contact_number.eq(None::<String>),
                            contact_creations::attached_by.eq(None::<String>),
                            contact_creations::updated_at.eq(diesel::dsl::now),
                        ))
                        .execute(conn)
                        .await?;
                } else {
                    diesel::update(pending)
                        .set((
                            contact_creations::last_error.eq(code),
                            contact_creations::next_attempt_at.eq(next),
                            contact_creations::updated_at.eq(diesel::dsl::now),
                        ))
                        .execute(conn)
                        .await?;
                }
            }
            Outcome::Failed(code) => {
                self.metrics.contact_creations.with_label_values(&["failed"]).inc();
                tracing::warn!(%subject_id, %code, "S-360 refused the contact creation");
                diesel::update(open)
                    .set((
                        contact_creations::state.eq("failed"),
                        contact_creations::last_error.eq(code),
                        contact_creations::updated_at.eq(diesel::dsl::now),
                    ))
                    .execute(conn)
                    .await?;
            }
        }
        Ok(())
    }
}
