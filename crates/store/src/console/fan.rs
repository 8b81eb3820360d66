//! A fan's page in the console: the mirrored contact and its last reconciliation, the account,
//! its lock, passkeys, linked providers, sessions and refresh-token families, sign-ins, mails,
//! S-360 tasks and the contact's timeline. Reads only; each list is bounded.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::{
    console::tasks::TaskRef,
    schema::{
        accounts, contact_audit, contact_checks, contact_creations, contacts, import_links, login_throttle,
        mail_outbox, refresh_tokens, writeback_outbox,
    },
};

/// Rows shown per list.
const LIST_LIMIT: i64 = 20;

/// How a fan is named in the console's URLs: the account's subject id, or a contact number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FanKey {
    Subject(Uuid),
    Contact(String),
}

impl FanKey {
    pub fn parse(text: &str) -> Option<Self> {
        if let Ok(subject) = Uuid::parse_str(text) {
            return Some(Self::Subject(subject));
        }
        (!text.is_empty() && text.len() <= 20 && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| Self::Contact(text.to_owned()))
    }
}

impl std::fmt::Display for FanKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Subject(subject) => write!(f, "{subject}"),
            Self::Contact(number) => f.write_str(number),
        }
    }
}

#[derive(Debug, Clone, Queryable)]
pub struct Contact {
    pub contact_number: String,
    pub state: String,
    pub head_contact_number: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: Option<String>,
    pub version_time: DateTime<Utc>,
    pub source: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable)]
pub struct Account {
    pub subject_id: Uuid,
    pub contact_number: Option<String>,
    pub login_email: String,
    pub email_verified: bool,
    pub password_set: bool,
    pub origin: String,
    pub created_at: DateTime<Utc>,
    /// The language chosen at sign-up (accounts without a contact yet).
    pub language: Option<String>,
}

#[derive(Debug, Clone, Queryable)]
pub struct Family {
    pub family_id: Uuid,
    pub client_id: String,
    pub created_at: DateTime<Utc>,
    pub live: bool,
}

#[derive(Debug, Clone, Queryable)]
pub struct Mail {
    pub template: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A task owed to S-360 for this fan: a write-back, the contact creation or the import's link.
#[derive(Debug, Clone)]
pub struct Task {
    /// How the console's forms name it.
    pub task: TaskRef,
    pub kind: &'static str,
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct Fan {
    pub contact: Option<Contact>,
    pub account: Option<Account>,
    /// When the account's sign-in lock ends, if it is locked.
    pub locked_until: Option<DateTime<Utc>>,
    pub sessions: Vec<crate::auth::sessions::Live>,
    pub families: Vec<Family>,
    pub sign_ins: Vec<(DateTime<Utc>, String)>,
    pub mails: Vec<Mail>,
    pub tasks: Vec<Task>,
    /// When the contact was last reconciled with S-360, and what that found (`in_step`,
    /// `updated`, `merged`, ...: `contact_checks`).
    pub checked: Option<(DateTime<Utc>, String)>,
    pub passkeys: Vec<crate::auth::passkeys::StoredPasskey>,
    pub providers: Vec<crate::auth::federation::Linked>,
    /// `(when, action)` of the contact's audit (merged, anonymised).
    pub timeline: Vec<(DateTime<Utc>, String)>,
}

/// A task's state, attempts, last error and creation time.
type TaskRow = (String, i32, Option<String>, DateTime<Utc>);

/// The throttle key of an account's sign-ins, as the gateway counts them.
pub fn lock_key(login_email: &str) -> String {
    format!("account:{}", login_email.to_lowercase())
}

pub async fn account(conn: &mut AsyncPgConnection, key: &FanKey) -> QueryResult<Option<Account>> {
    let mut query = accounts::table.into_boxed();
    query = match key {
        FanKey::Subject(subject) => query.filter(accounts::subject_id.eq(*subject)),
        FanKey::Contact(number) => query.filter(accounts::contact_number.eq(number.clone())),
    };
    query
        .select((
            accounts::subject_id,
            accounts::contact_number,
            accounts::login_email,
            accounts::email_verified,
            accounts::password_hash.is_not_null(),
            accounts::origin,
            accounts::created_at,
            accounts::language,
        ))
        .first(conn)
        .await
        .optional()
}

/// Everything the page shows; `None` when neither a contact nor an account answers the key.
pub async fn load(conn: &mut AsyncPgConnection, key: &FanKey) -> QueryResult<Option<Fan>> {
    let account = account(conn, key).await?;
    let number = match key {
        FanKey::Contact(number) => Some(number.clone()),
        FanKey::Subject(_) => account.as_ref().and_then(|a| a.contact_number.clone()),
    };
    let contact: Option<Contact> = match &number {
        Some(number) => contacts::table
            .find(number)
            .select((
                contacts::contact_number,
                contacts::state,
                contacts::head_contact_number,
                contacts::first_name,
                contacts::last_name,
                contacts::email,
                contacts::phone,
                contacts::language,
                contacts::version_time,
                contacts::source,
                contacts::updated_at,
            ))
            .first(conn)
            .await
            .optional()?,
        None => None,
    };
    if contact.is_none() && account.is_none() {
        return Ok(None);
    }
    let mut fan = Fan::default();
    if let Some(account) = &account {
        let subject = account.subject_id;
        fan.locked_until = login_throttle::table
            .find(lock_key(&account.login_email))
            .filter(login_throttle::locked_until.gt(Utc::now()))
            .select(login_throttle::locked_until)
            .first::<Option<DateTime<Utc>>>(conn)
            .await
            .optional()?
            .flatten();
        fan.sessions = crate::auth::sessions::live(conn, subject).await?;
        fan.families = refresh_tokens::table
            .filter(refresh_tokens::subject_id.eq(subject))
            .group_by((refresh_tokens::family_id, refresh_tokens::client_id))
            .select((
                refresh_tokens::family_id,
                refresh_tokens::client_id,
                diesel::dsl::min(refresh_tokens::created_at).assume_not_null(),
                diesel::dsl::sql::<diesel::sql_types::Bool>("bool_or(refresh_tokens.revoked_at IS NULL AND refresh_tokens.used_at IS NULL AND refresh_tokens.expires_at > now())"),
            ))
            .limit(LIST_LIMIT)
            .load(conn)
            .await?;
        fan.sign_ins = crate::auth::sign_in_audit::history(conn, subject, LIST_LIMIT).await?;
        fan.passkeys = crate::auth::passkeys::list(conn, subject).await?;
        fan.providers = crate::auth::federation::list(conn, subject).await?;
        let creations: Vec<TaskRow> = contact_creations::table
            .find(subject)
            .select((
                contact_creations::state,
                contact_creations::attempts,
                contact_creations::last_error,
                contact_creations::created_at,
            ))
            .load(conn)
            .await?;
        fan.tasks.extend(
            creations
                .into_iter()
                .map(|(state, attempts, last_error, created_at)| Task {
                    task: TaskRef::Creation,
                    kind: "contact creation",
                    state,
                    attempts,
                    last_error,
                    created_at,
                }),
        );
    }
    if let Some(number) = &number {
        fan.mails = mail_outbox::table
            .filter(mail_outbox::contact_number.eq(number))
            .order(mail_outbox::created_at.desc())
            .select((mail_outbox::template, mail_outbox::created_at, mail_outbox::sent_at))
            .limit(LIST_LIMIT)
            .load(conn)
            .await?;
        let writebacks: Vec<(i64, TaskRow)> = writeback_outbox::table
            .filter(writeback_outbox::contact_number.eq(number))
            .order(writeback_outbox::created_at.desc())
            .select((
                writeback_outbox::id,
                (
                    writeback_outbox::state,
                    writeback_outbox::attempts,
                    writeback_outbox::last_error,
                    writeback_outbox::created_at,
                ),
            ))
            .limit(LIST_LIMIT)
            .load(conn)
            .await?;
        fan.tasks.extend(
            writebacks
                .into_iter()
                .map(|(id, (state, attempts, last_error, created_at))| Task {
                    task: TaskRef::WriteBack(id),
                    kind: "write-back",
                    state,
                    attempts,
                    last_error,
                    created_at,
                }),
        );
        let links: Vec<TaskRow> = import_links::table
            .find(number)
            .select((
                import_links::state,
                import_links::attempts,
                import_links::last_error,
                import_links::created_at,
            ))
            .load(conn)
            .await?;
        fan.tasks
            .extend(links.into_iter().map(|(state, attempts, last_error, created_at)| Task {
                task: TaskRef::Link,
                kind: "S-360 link",
                state,
                attempts,
                last_error,
                created_at,
            }));
        fan.checked = contact_checks::table
            .find(number)
            .select((contact_checks::verified_at, contact_checks::outcome))
            .first(conn)
            .await
            .optional()?;
        fan.timeline = contact_audit::table
            .filter(contact_audit::contact_number.eq(number))
            .order(contact_audit::at.desc())
            .select((contact_audit::at, contact_audit::action))
            .limit(LIST_LIMIT)
            .load(conn)
            .await?;
    }
    fan.contact = contact;
    fan.account = account;
    Ok(Some(fan))
}
