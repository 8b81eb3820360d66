//! Which contacts have a web account (PUBLIC role with a login e-mail, and not marked as
//! having no login), and which login e-mails several contacts of one file share: those are
//! reported, never guessed between. The first pass over the file only keeps a 64-bit hash
//! per e-mail, so a million contacts cost a few tens of megabytes.

use std::{
    collections::HashMap,
    hash::{DefaultHasher, Hash, Hasher},
};

use model::Contact;

/// Why a contact of the file gets no account.
pub fn refusal(contact: &Contact) -> Option<&'static str> {
    if !contact
        .role
        .as_deref()
        .is_some_and(|r| r.eq_ignore_ascii_case("PUBLIC"))
    {
        return Some("not_public");
    }
    if contact.has_login == Some(false) {
        return Some("no_login");
    }
    if contact.email.is_none() {
        return Some("no_email");
    }
    None
}

/// A web account of the file: its login e-mail and, when other contacts of the file share
/// it, the group they form.
pub struct WebAccount {
    pub email: String,
    pub duplicate_group: Option<String>,
}

/// Login e-mails seen in the file, by hash, with the contacts holding each.
#[derive(Default)]
pub struct Emails {
    seen: HashMap<u64, Holders>,
}

#[derive(Clone, Copy)]
struct Holders {
    first_contact: u64,
    shared: bool,
}

impl Emails {
    /// Records a web account of the first pass (the same contact twice is one holder).
    pub fn add(&mut self, contact: &Contact) {
        let Some(email) = &contact.email else { return };
        let number = hash(contact.contact_number.as_str());
        self.seen
            .entry(hash(&email.as_str().to_lowercase()))
            .and_modify(|h| h.shared |= h.first_contact != number)
            .or_insert(Holders {
                first_contact: number,
                shared: false,
            });
    }

    /// How many e-mails several contacts share.
    pub fn shared(&self) -> usize {
        self.seen.values().filter(|h| h.shared).count()
    }

    /// The web account of a contact that passed [`refusal`].
    pub fn account(&self, contact: &Contact) -> Option<WebAccount> {
        let email = contact.email.as_ref()?.as_str().to_owned();
        let key = hash(&email.to_lowercase());
        let shared = self.seen.get(&key).is_some_and(|h| h.shared);
        Some(WebAccount {
            email,
            duplicate_group: shared.then(|| format!("{key:016x}")),
        })
    }
}

fn hash(value: &str) -> u64 {
    // SipHash with fixed keys: the same value hashes the same in every run of this binary,
    // which a resumed import relies on for its e-mail groups.
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}
