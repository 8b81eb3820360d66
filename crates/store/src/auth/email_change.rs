//! A fan's change of login e-mail: asked on the profile page (`pending_email`), applied once
//! the new address is proven by a mailed link (purpose `email`). An address that another
//! account signs in with is never taken over: the change is refused when asked, and reported
//! (`crate::account_issues`) when it became taken meanwhile.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::{
    account_issues::{self, ChangedBy},
    schema::accounts,
};

/// Stores `new_email` as the account's pending address. False (nothing stored) when another
/// account signs in with it.
pub async fn request(conn: &mut AsyncPgConnection, subject: Uuid, new_email: &str) -> QueryResult<bool> {
    if account_issues::login_owner(conn, new_email, subject).await?.is_some() {
        return Ok(false);
    }
    diesel::update(accounts::table.find(subject))
        .set((
            accounts::pending_email.eq(new_email),
            accounts::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await
        .map(|n| n == 1)
}

/// What using an e-mail link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The login e-mail is now `new`; `old` gets a notice, S-360 the new address.
    Changed {
        old: String,
        new: String,
        contact_number: Option<String>,
        language: Option<String>,
    },
    /// Another account signed in with the address meanwhile: reported, nothing changed.
    Clash,
    /// No change was waiting (it was applied or withdrawn already).
    Nothing,
}

/// The login e-mail, the pending one, the contact number and the sign-up language.
type Pending = (String, Option<String>, Option<String>, Option<String>);

/// Applies the account's pending address, in the caller's transaction.
pub async fn apply(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<Applied> {
    let row: Option<Pending> = accounts::table
        .find(subject)
        .select((
            accounts::login_email,
            accounts::pending_email,
            accounts::contact_number,
            accounts::language,
        ))
        .for_update()
        .first(conn)
        .await
        .optional()?;
    let Some((old, Some(new), contact_number, language)) = row else {
        return Ok(Applied::Nothing);
    };
    let clear = diesel::update(accounts::table.find(subject)).set(accounts::pending_email.eq(None::<String>));
    if let Some(other) = account_issues::login_owner(conn, &new, subject).await? {
        clear.execute(conn).await?;
        account_issues::email_clash(conn, subject, contact_number.as_deref(), ChangedBy::Fan, other).await?;
        return Ok(Applied::Clash);
    }
    diesel::update(accounts::table.find(subject))
        .set((
            accounts::login_email.eq(&new),
            accounts::pending_email.eq(None::<String>),
            // The link proved the new mailbox.
            accounts::email_verified.eq(true),
            accounts::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await?;
    // The notice goes out in the language of the fan's contact, if they have one.
    let language = match (&language, &contact_number) {
        (None, Some(number)) => super::mail_language::contact_language(conn, number).await?,
        _ => language,
    };
    Ok(Applied::Changed {
        old,
        new,
        contact_number,
        language,
    })
}
