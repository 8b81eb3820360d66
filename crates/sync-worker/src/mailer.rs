//! The mailer: sends what waits in `mail_outbox` over SMTP, a few at a time, each row locked
//! (`FOR UPDATE SKIP LOCKED`, so several workers never send the same mail) until it is sent and
//! marked, as plain text with an HTML alternative in the contact's language (`mail_templates`).
//! After sending, the payload (which may hold a single-use link) is cleared. A failure
//! leaves the row unsent for the next round, after a back-off.

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
};
use secrecy::{ExposeSecret, SecretString};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use store::{PgPool, schema::mail_outbox};

/// Mail settings of the worker.
#[derive(Debug, Clone, clap::Args)]
pub struct MailArgs {
    /// SMTP server, `smtp://host:port` (STARTTLS when offered), `smtps://host:465` (TLS), with
    /// `user:password@` when it needs authentication; `smtp://127.0.0.1:1025` is a local catcher.
    #[arg(long, env = "SMTP_URL", value_name = "SMTP_URL", default_value = "smtp://127.0.0.1:1025",
          hide_env_values = true, value_parser = |s: &str| Ok::<_, String>(SecretString::from(s.to_owned())))]
    pub smtp_url: SecretString,

    /// Sender of every mail, `Name <address>` or a bare address.
    #[arg(
        long,
        env = "MAIL_FROM",
        value_name = "MAIL_FROM",
        default_value = "secutix-bridge <no-reply@localhost>"
    )]
    pub mail_from: String,

    /// The organisation's name, at the end of every mail's subject and as its signature; set it
    /// to the `organisation` of the gateway's theme (`GATEWAY_THEME_DIR`).
    #[arg(
        long,
        env = "MAIL_ORGANISATION",
        value_name = "MAIL_ORGANISATION",
        default_value = "Ticket office"
    )]
    pub mail_organisation: String,

    /// The colour of the mails' buttons, `#rrggbb`; set it to the `primary` colour of the
    /// gateway's theme.
    #[arg(long, env = "MAIL_ACCENT_COLOUR", value_name = "MAIL_ACCENT_COLOUR", default_value = crate::mail_templates::DEFAULT_ACCENT,
          value_parser = |s: &str| if crate::mail_templates::is_hex_colour(s) { Ok(s.to_owned()) } else { Err("a colour as #rrggbb".to_owned()) })]
    pub mail_accent_colour: String,

    /// The logo shown at the top of every mail, an absolute URL such as the gateway's
    /// `https://login.example.org/theme/logo`. Unset: no logo.
    #[arg(long, env = "MAIL_LOGO_URL", value_name = "MAIL_LOGO_URL")]
    pub mail_logo_url: Option<url::Url>,
}

/// Mails sent per round.
const BATCH: i64 = 20;

pub struct Mailer {
    pool: PgPool,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    brand: crate::mail_templates::Brand,
}

#[derive(Queryable)]
struct Pending {
    id: Uuid,
    recipient: String,
    template: String,
    payload: serde_json::Value,
}

impl Mailer {
    pub fn new(pool: PgPool, args: &MailArgs) -> anyhow::Result<Self> {
        let url = args.smtp_url.expose_secret();
        // A plain smtp:// URL to a loopback catcher needs no TLS.
        let transport = if url.starts_with("smtp://127.0.0.1") || url.starts_with("smtp://localhost") {
            let parsed = url::Url::parse(url).map_err(|_| anyhow::anyhow!("SMTP_URL is not a URL"))?;
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(parsed.host_str().unwrap_or("127.0.0.1"))
                .port(parsed.port().unwrap_or(25))
                .build()
        } else {
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map_err(|_| anyhow::anyhow!("SMTP_URL is not a valid SMTP URL"))?
                .build()
        };
        let from = args
            .mail_from
            .parse()
            .map_err(|_| anyhow::anyhow!("MAIL_FROM is not a mailbox"))?;
        Ok(Self {
            pool,
            transport,
            from,
            brand: crate::mail_templates::Brand {
                organisation: args.mail_organisation.clone(),
                accent: args.mail_accent_colour.clone(),
                logo_url: args.mail_logo_url.as_ref().map(url::Url::to_string),
            },
        })
    }

    /// Sends until cancelled, queuing the mails imports owe as the outbox empties
    /// (`followups`).
    pub async fn run(self, cancel: CancellationToken) {
        let mut delay = Duration::from_millis(500);
        loop {
            if let Err(error) = crate::followups::expand_mails(&self.pool).await {
                tracing::warn!(%error, "Imported accounts' mails not queued yet; retrying");
            }
            let wait = match self.send_round().await {
                Ok(sent) if sent > 0 => Duration::ZERO,
                Ok(_) => Duration::from_millis(500),
                Err(error) => {
                    tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "Mail not sent; retrying");
                    delay = (delay * 2).min(Duration::from_secs(30));
                    delay
                }
            };
            if wait.is_zero() {
                delay = Duration::from_millis(500);
            }
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    async fn send_round(&self) -> anyhow::Result<usize> {
        let mut pooled = self.pool.get().await?;
        let conn: &mut AsyncPgConnection = &mut pooled;
        conn.transaction::<_, anyhow::Error, _>(async |tx: &mut AsyncPgConnection| {
            let pending: Vec<Pending> = mail_outbox::table
                .filter(mail_outbox::sent_at.is_null())
                .order(mail_outbox::created_at)
                .limit(BATCH)
                .select((
                    mail_outbox::id,
                    mail_outbox::recipient,
                    mail_outbox::template,
                    mail_outbox::payload,
                ))
                .for_update()
                .skip_locked()
                .load(tx)
                .await?;
            for mail in &pending {
                let rendered = crate::mail_templates::render(
                    &mail.template,
                    mail.payload["locale"].as_str().unwrap_or_default(),
                    mail.payload["link"].as_str().unwrap_or_default(),
                    mail.payload["reference"].as_str().unwrap_or_default(),
                    &self.brand,
                );
                let message = Message::builder()
                    .from(self.from.clone())
                    .to(mail
                        .recipient
                        .parse()
                        .map_err(|_| anyhow::anyhow!("mail {}: invalid recipient", mail.id))?)
                    .subject(rendered.subject)
                    .multipart(MultiPart::alternative_plain_html(rendered.text, rendered.html))?;
                self.transport.send(message).await?;
                diesel::update(mail_outbox::table.find(mail.id))
                    .set((
                        mail_outbox::sent_at.eq(diesel::dsl::now),
                        mail_outbox::payload.eq(serde_json::json!({})),
                    ))
                    .execute(tx)
                    .await?;
                tracing::info!(mail_id = %mail.id, template = %mail.template, "Mail sent");
            }
            Ok(pending.len())
        })
        .await
    }
}
