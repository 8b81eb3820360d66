//! Which contacts have a web account (PUBLIC role with a login e-mail, and not marked as
//! having no login), and which login e-mails several contacts of one file share: those are
//! reported, never guessed between. The first pass over the file only keeps a 64-bit hash
//! per e-mail, so a million contacts cost a few tens of megabytes.

use std::{
    collections::HashMap,
    hash::{DefaultHasher, Hash, Hasher},
};

use model::Contact;

/// The first pass over the file: counts its records and finds the login e-mails several web
/// accounts share. A JSON-lines file is read in two parts on threads of their own, each line
/// only for its essentials (`source::essentials`).
pub fn scan(path: &std::path::Path, format: super::Format) -> anyhow::Result<(Emails, u64)> {
    let count = |contacts: &mut dyn Iterator<Item = Option<Contact>>| {
        let mut emails = Emails::default();
        let mut total = 0u64;
        for contact in contacts {
            if let Some(contact) = contact
                && refusal(&contact).is_none()
            {
                emails.add(&contact);
            }
            total += 1;
        }
        (emails, total)
    };
    if format != super::Format::Jsonl {
        return Ok(count(
            &mut super::source::read(path, format)?.map(|item| item.ok().map(|record| record.contact)),
        ));
    }
    let parts = super::source::jsonl_parts(path, 2)?;
    let scanned: Vec<(Emails, u64)> = std::thread::scope(|scope| {
        let threads: Vec<_> = parts
            .into_iter()
            .map(|part| {
                scope.spawn(move || {
                    let mut lines = super::source::record_lines(part)
                        .map(|line| line.ok().and_then(|l| super::source::essentials(&l)));
                    count(&mut lines)
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join()).collect::<Result<_, _>>()
    })
    .map_err(|_| anyhow::anyhow!("the first pass failed"))?;
    let mut all = Emails::default();
    let mut total = 0;
    for (emails, count) in scanned {
        all.merge(emails);
        total += count;
    }
    Ok((all, total))
}

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

    /// Adds what the first pass saw in a later part of the file.
    pub fn merge(&mut self, later: Emails) {
        for (key, holders) in later.seen {
            self.seen
                .entry(key)
                .and_modify(|h| h.shared |= holders.shared || h.first_contact != holders.first_contact)
                .or_insert(holders);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(number: &str, email: &str) -> Contact {
        model::secutix::from_get_contact_data(serde_json::json!({
            "contactNumber": number,
            "individualContact": { "email": email, "role": "PUBLIC" },
        }))
        .expect("valid")
    }

    #[test]
    fn parts_merged_in_order_find_the_same_shared_emails_as_one_pass() {
        let contacts = [
            contact("1", "a@example.org"),
            contact("2", "A@example.org"),
            contact("3", "b@example.org"),
            contact("3", "b@example.org"),
            contact("4", "c@example.org"),
            contact("5", "d@example.org"),
            contact("4", "c@example.org"),
            contact("6", "d@example.org"),
        ];
        let verdicts = |emails: &Emails| {
            let groups: Vec<bool> = contacts
                .iter()
                .map(|c| emails.account(c).expect("web account").duplicate_group.is_some())
                .collect();
            (emails.shared(), groups)
        };
        let mut whole = Emails::default();
        contacts.iter().for_each(|c| whole.add(c));
        assert_eq!(
            verdicts(&whole),
            (2, vec![true, true, false, false, false, true, false, true])
        );
        for split in 0..=contacts.len() {
            let (mut first, mut second) = (Emails::default(), Emails::default());
            contacts[..split].iter().for_each(|c| first.add(c));
            contacts[split..].iter().for_each(|c| second.add(c));
            first.merge(second);
            assert_eq!(verdicts(&first), verdicts(&whole), "split at {split}");
        }
    }
}
