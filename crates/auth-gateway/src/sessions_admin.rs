//! `auth-gateway sessions`: an administrator's commands on fans' sessions, for a support desk
//! answering "someone else is signed in as me" or a lost phone. `end` revokes every session and
//! refresh token of one account, with the back-channel logouts of its relying parties queued in
//! the same transaction, exactly as "sign out everywhere" does; `list` shows the live ones.
//! They use the gateway's `DATABASE_URL`.

use diesel_async::{AsyncConnection, AsyncPgConnection};
use store::auth::{accounts, sessions};
use uuid::Uuid;

#[derive(Debug, Clone, clap::Args)]
#[group(required = true, multiple = false)]
pub struct Whose {
    /// The account's subject id (the `sub` of its tokens).
    #[arg(long)]
    pub subject: Option<Uuid>,
    /// The account's login e-mail address.
    #[arg(long)]
    pub email: Option<String>,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum SessionsCommand {
    /// End every session and refresh token of one account, telling its relying parties
    /// (back-channel logout). The fan must sign in again everywhere.
    End(Whose),
    /// List the live sessions of one account: when each began and was last used.
    List(Whose),
}

async fn subject(conn: &mut AsyncPgConnection, whose: &Whose) -> anyhow::Result<Uuid> {
    if let Some(subject) = whose.subject {
        return Ok(subject);
    }
    let email = whose.email.as_deref().unwrap_or_default();
    accounts::find_by_email(conn, email)
        .await?
        .map(|a| a.subject)
        .ok_or_else(|| anyhow::anyhow!("no account signs in with that e-mail address"))
}

/// Runs the command; returns what to print.
pub async fn run(command: SessionsCommand, database: &infra::config::DatabaseArgs) -> anyhow::Result<String> {
    let pool = infra::db::pool(database)?;
    let mut pooled = pool.get().await?;
    let conn: &mut AsyncPgConnection = &mut pooled;
    match command {
        SessionsCommand::List(whose) => {
            let subject = subject(conn, &whose).await?;
            let live = sessions::live(conn, subject).await?;
            let mut out = format!("{} live session(s) of {subject}", live.len());
            for session in live {
                out.push_str(&format!(
                    "\n  sid {}: signed in {}, last used {}",
                    sessions::sid(&session.id),
                    session.created_at.to_rfc3339(),
                    session.last_seen_at.to_rfc3339()
                ));
            }
            Ok(out)
        }
        SessionsCommand::End(whose) => {
            let subject = subject(conn, &whose).await?;
            let live = sessions::live(conn, subject).await?.len();
            conn.transaction::<_, diesel::result::Error, _>(async |tx: &mut AsyncPgConnection| {
                sessions::revoke_all(tx, subject).await
            })
            .await?;
            tracing::info!(%subject, "Sessions ended by an administrator");
            Ok(format!(
                "ended {live} live session(s) and every refresh token of {subject}; their relying parties are told by back-channel logout"
            ))
        }
    }
}
