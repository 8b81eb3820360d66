//! The in-memory contact store: S-360's truth. Every contact is kept as its `getContactData`
//! JSON (see [`shape`]) with a version and modification time that move on every change, and
//! a lifecycle state. Every change also queues the contact for Contact Webhook V2 (the
//! [`outbox`]); the queue holds contact numbers, so a delivery always sends the latest state.

mod outbox;
pub mod shape;

use std::{
    collections::{BTreeMap, HashMap},
    sync::Mutex,
};

use actix_web::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

pub use outbox::{Outbox, Outgoing};

/// Where a contact is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactState {
    Active,
    /// Absorbed into another contact (the head of the duplicate).
    Merged,
    /// Anonymised (GDPR): only country, town and post code remain.
    Anonymised,
    /// A prospect deleted outright; nothing of it is sent anywhere any more.
    Deleted,
}

/// One contact as the admin API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub contact_number: String,
    pub state: ContactState,
    /// The head contact, for a merged contact.
    pub merged_into: Option<String>,
    /// Starts at 1; every change adds 1.
    pub version: u64,
    /// S-360's modification time, also in the payload as `lastModificationDate`.
    pub modified_at: DateTime<Utc>,
    /// The `getContactData` JSON (`null` once deleted).
    pub contact: Value,
}

/// What the store refuses, each with a stable code and status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("no contact has this contact number")]
    NotFound,
    #[error("a contact with this contact number already exists")]
    AlreadyExists,
    #[error("contactNumber: {0}")]
    InvalidContactNumber(String),
    #[error("{0}: {1}")]
    InvalidField(&'static str, &'static str),
    #[error("{0} is maintained by S-360 and cannot be written")]
    ReadOnlyField(&'static str),
    #[error("the contact was merged into another contact")]
    Merged,
    #[error("the contact is anonymised")]
    Anonymised,
    #[error("the contact was deleted")]
    Deleted,
    #[error("another PUBLIC contact already has a web login with this e-mail")]
    LoginEmailTaken,
    #[error("only prospects (contacts without a web login) can be deleted; anonymise the others")]
    NotAProspect,
    #[error("a contact cannot be merged into itself")]
    SameContact,
    #[error("the contact changed since the given lastModificationDate; read it again")]
    StaleVersion,
    #[error("this SSO id is already linked to another contact")]
    SsoIdLinkedElsewhere,
    #[error("the contact is already linked to another SSO id of this provider")]
    ContactAlreadyLinked,
}

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "contact_not_found",
            Self::AlreadyExists => "contact_exists",
            Self::InvalidContactNumber(_) => "invalid_contact_number",
            Self::InvalidField(..) => "invalid_field",
            Self::ReadOnlyField(_) => "read_only_field",
            Self::Merged => "contact_merged",
            Self::Anonymised => "contact_anonymised",
            Self::Deleted => "contact_deleted",
            Self::LoginEmailTaken => "login_email_taken",
            Self::NotAProspect => "not_a_prospect",
            Self::SameContact => "same_contact",
            Self::StaleVersion => "stale_version",
            Self::SsoIdLinkedElsewhere => "sso_id_already_linked",
            Self::ContactAlreadyLinked => "contact_already_linked",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound | Self::Deleted => StatusCode::NOT_FOUND,
            Self::InvalidContactNumber(_) | Self::InvalidField(..) | Self::ReadOnlyField(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::Anonymised => StatusCode::GONE,
            _ => StatusCode::CONFLICT,
        }
    }
}

/// The store: contacts, the webhook queue and the clock, behind one lock so a change and its
/// queueing are one step.
#[derive(Default)]
pub struct Store {
    inner: Mutex<Inner>,
}

#[derive(Default)]
pub(crate) struct Inner {
    pub(crate) contacts: BTreeMap<String, Record>,
    pub(crate) outbox: Outbox,
    /// Login e-mail (lower-cased) → the active PUBLIC contact that logs in with it; kept by
    /// [`Inner::touch`], through which every change goes.
    logins: HashMap<String, String>,
    /// The reverse of `logins`: contact number → its login e-mail.
    login_of: HashMap<String, String>,
    next_id: i64,
    last_modified: Option<DateTime<Utc>>,
}

impl Inner {
    /// Strictly increasing modification times (milliseconds), even within one millisecond.
    fn tick(&mut self) -> DateTime<Utc> {
        // S-360 writes milliseconds; keep exactly what the payload says.
        let now = Utc::now();
        let now = DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
        let now = match self.last_modified {
            Some(last) if now <= last => last + Duration::milliseconds(1),
            _ => now,
        };
        self.last_modified = Some(now);
        now
    }

    fn active_mut(&mut self, number: &str) -> Result<&mut Record, StoreError> {
        let record = self.contacts.get_mut(number).ok_or(StoreError::NotFound)?;
        match record.state {
            ContactState::Active => Ok(record),
            ContactState::Merged => Err(StoreError::Merged),
            ContactState::Anonymised => Err(StoreError::Anonymised),
            ContactState::Deleted => Err(StoreError::Deleted),
        }
    }

    /// Records a change: new version and modification time, queued for the webhook.
    fn touch(&mut self, number: &str) -> Record {
        let now = self.tick();
        let record = self.contacts.get_mut(number).expect("touched contact exists");
        record.version += 1;
        record.modified_at = now;
        if record.state != ContactState::Deleted {
            record.contact["lastModificationDate"] = Value::String(shape::format_time(now));
            self.outbox.enqueue(number);
        } else {
            self.outbox.remove(number);
        }
        let record = record.clone();
        if let Some(old) = self.login_of.remove(number) {
            self.logins.remove(&old);
        }
        if record.state == ContactState::Active
            && let Some(email) = shape::login_email(&record.contact)
        {
            self.logins.insert(email.clone(), number.to_owned());
            self.login_of.insert(number.to_owned(), email);
        }
        record
    }

    /// Refuses a login e-mail another active PUBLIC contact already logs in with (`except`:
    /// contacts that do not count, such as the contact itself).
    fn check_login_email(&self, contact: &Value, except: &[&str]) -> Result<(), StoreError> {
        let taken = shape::login_email(contact)
            .and_then(|email| self.logins.get(&email))
            .is_some_and(|holder| !except.contains(&holder.as_str()));
        if taken {
            Err(StoreError::LoginEmailTaken)
        } else {
            Ok(())
        }
    }

    fn next_number(&mut self) -> String {
        loop {
            self.next_id += 1;
            let number = format!("{:010}", 1_000_000 + self.next_id);
            if !self.contacts.contains_key(&number) {
                return number;
            }
        }
    }
}

mod operations;

#[cfg(test)]
mod tests;

impl Store {
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent data (every change is one
        // assignment), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn get(&self, number: &str) -> Option<Record> {
        self.lock().contacts.get(number).cloned()
    }

    /// Every contact ever created, in contact-number order (the truth tests compare to).
    pub fn list(&self) -> Vec<Record> {
        self.lock().contacts.values().cloned().collect()
    }

    /// Contacts waiting for the webhook.
    pub fn pending(&self) -> usize {
        self.lock().outbox.len()
    }

    /// The contact whose SSO links include `(provider, reference)`.
    pub fn find_by_sso(&self, provider: &str, reference: &str) -> Option<Record> {
        self.lock()
            .contacts
            .values()
            .find(|r| {
                shape::links(&r.contact)
                    .iter()
                    .any(|(p, s)| p == provider && s == reference)
            })
            .cloned()
    }

    /// `searchContact`: the active PUBLIC individual contacts with this e-mail (any letter
    /// case, with or without a login), in contact-number order, each with whether it has an SSO
    /// link of `provider` (of any provider when `None`).
    pub fn search_by_email(&self, email: &str, provider: Option<&str>) -> Vec<(Record, bool)> {
        let wanted = email.trim().to_lowercase();
        if wanted.is_empty() {
            return Vec::new();
        }
        self.lock()
            .contacts
            .values()
            .filter(|r| r.state == ContactState::Active)
            .filter(|r| r.contact.get("individualContact").is_some_and(Value::is_object))
            .filter(|r| shape::individual(&r.contact, "role").is_none_or(|role| role == "PUBLIC"))
            .filter(|r| shape::individual(&r.contact, "email").is_some_and(|e| e.trim().to_lowercase() == wanted))
            .map(|r| {
                let linked = shape::links(&r.contact)
                    .iter()
                    .any(|(p, _)| provider.is_none_or(|wanted| p == wanted));
                (r.clone(), linked)
            })
            .collect()
    }

    /// The active PUBLIC contact with a login and this e-mail (any letter case).
    pub fn find_by_login_email(&self, email: &str) -> Option<Record> {
        let inner = self.lock();
        let number = inner.logins.get(&email.trim().to_lowercase())?;
        inner.contacts.get(number).cloned()
    }
}

fn as_object<'a>(value: &'a Value, what: &'static str) -> Result<&'a Map<String, Value>, StoreError> {
    value
        .as_object()
        .ok_or(StoreError::InvalidField(what, "must be a JSON object"))
}
