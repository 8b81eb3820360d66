//! What can happen to a contact in S-360: creation, partial update (back office or
//! `saveIndividualContactData`), merge, anonymisation, deletion of a prospect, an SSO link;
//! and the webhook's view of the queue. Each change bumps the version and queues the contact.

use model::ContactNumber;
use serde_json::{Map, Value};

use super::{ContactState, Outgoing, Record, Store, StoreError, as_object, shape};

impl Store {
    /// Creates a contact from a (possibly partial) `getContactData` object. Without a
    /// `contactNumber` one is allocated (`0001000001`, `0001000002`, ...).
    pub fn create(&self, given: &Value) -> Result<Record, StoreError> {
        let given = as_object(given, "$")?;
        let mut fields = given.clone();
        let number = fields.remove("contactNumber");
        shape::check_writable(&fields)?;
        let mut inner = self.lock();
        let number = match number {
            None | Some(Value::Null) => inner.next_number(),
            Some(Value::String(number)) => ContactNumber::parse(number.as_str())
                .map_err(|e| StoreError::InvalidContactNumber(e.to_string()))?
                .as_str()
                .to_owned(),
            Some(_) => return Err(StoreError::InvalidContactNumber("must be a string".into())),
        };
        if inner.contacts.contains_key(&number) {
            return Err(StoreError::AlreadyExists);
        }
        inner.next_id += 1;
        let contact = shape::new_contact(&number, inner.next_id, chrono::Utc::now(), &fields);
        inner.check_login_email(&contact, &[&number])?;
        inner.contacts.insert(
            number.clone(),
            Record {
                contact_number: number.clone(),
                state: ContactState::Active,
                merged_into: None,
                version: 0,
                modified_at: chrono::Utc::now(),
                contact,
            },
        );
        Ok(inner.touch(&number))
    }

    /// Applies a partial update to an active contact (objects merged member by member,
    /// arrays replaced). With `base` (a `lastModificationDate` the caller read), the update is
    /// refused when the contact changed since: optimistic concurrency, no silent overwrite.
    pub fn update(&self, number: &str, patch: &Value, base: Option<&str>) -> Result<Record, StoreError> {
        let patch = as_object(patch, "$")?;
        let mut fields: Map<String, Value> = patch.clone();
        if let Some(given) = fields.remove("contactNumber")
            && given.as_str() != Some(number)
        {
            return Err(StoreError::InvalidField("contactNumber", "cannot be changed"));
        }
        shape::check_writable(&fields)?;
        let mut inner = self.lock();
        let record = inner.active_mut(number)?;
        if let Some(base) = base
            && record.contact["lastModificationDate"].as_str() != Some(base)
        {
            return Err(StoreError::StaleVersion);
        }
        let mut contact = record.contact.clone();
        shape::merge(&mut contact, &Value::Object(fields));
        inner.check_login_email(&contact, &[number])?;
        inner.active_mut(number)?.contact = contact;
        Ok(inner.touch(number))
    }

    /// Merges `absorbed` into `head`: the absorbed contact names its head in
    /// `mergedIntoContactNumber` and stops being active; the head takes over its web login and
    /// SSO links when it has none of its own. Both are queued.
    pub fn merge(&self, absorbed: &str, head: &str) -> Result<(Record, Record), StoreError> {
        if absorbed == head {
            return Err(StoreError::SameContact);
        }
        let mut inner = self.lock();
        let mut head_value = inner.active_mut(head)?.contact.clone();
        let absorbed_contact = inner.active_mut(absorbed)?.contact.clone();
        if !shape::has_login(&head_value) && shape::has_login(&absorbed_contact) {
            head_value["individualContact"]["hasLogin"] = Value::Bool(true);
            if shape::individual(&head_value, "email").is_none() {
                head_value["individualContact"]["email"] = absorbed_contact["individualContact"]["email"].clone();
            }
        }
        let mut links = shape::links(&head_value);
        for (provider, reference) in shape::links(&absorbed_contact) {
            if !links.iter().any(|(p, _)| *p == provider) {
                links.push((provider, reference));
            }
        }
        shape::set_links(&mut head_value, &links);
        // The login the head takes over must not clash with a third contact's (the absorbed
        // contact's own stops counting once it is merged).
        inner.check_login_email(&head_value, &[head, absorbed])?;

        let absorbed_record = inner.active_mut(absorbed)?;
        absorbed_record.state = ContactState::Merged;
        absorbed_record.merged_into = Some(head.to_owned());
        let absorbed_value = &mut absorbed_record.contact;
        absorbed_value["mergedIntoContactNumber"] = Value::String(head.to_owned());
        absorbed_value["individualContact"]["hasLogin"] = Value::Bool(false);
        shape::set_links(absorbed_value, &[]);
        inner.active_mut(head)?.contact = head_value;
        let absorbed = inner.touch(absorbed);
        let head = inner.touch(head);
        Ok((absorbed, head))
    }

    /// Anonymises an active or merged contact: irreversible; only country, town and post
    /// code remain, with `anonymized: true`.
    pub fn anonymise(&self, number: &str) -> Result<Record, StoreError> {
        let mut inner = self.lock();
        let now = chrono::Utc::now();
        let record = inner.contacts.get_mut(number).ok_or(StoreError::NotFound)?;
        match record.state {
            ContactState::Anonymised => return Err(StoreError::Anonymised),
            ContactState::Deleted => return Err(StoreError::Deleted),
            ContactState::Active | ContactState::Merged => {}
        }
        record.contact = shape::anonymised(&record.contact, now);
        record.state = ContactState::Anonymised;
        record.merged_into = None;
        Ok(inner.touch(number))
    }

    /// Deletes a prospect (a contact without a web login). Nothing is sent for it: S-360
    /// documents no deletion in the webhook, so receivers learn of it through the contact API.
    pub fn delete(&self, number: &str) -> Result<Record, StoreError> {
        let mut inner = self.lock();
        let record = inner.active_mut(number)?;
        if shape::has_login(&record.contact) {
            return Err(StoreError::NotAProspect);
        }
        record.state = ContactState::Deleted;
        record.contact = Value::Null;
        Ok(inner.touch(number))
    }

    /// Links an SSO id to an active contact (`addLink`). Linking the same id again is a
    /// no-op; an id linked to another contact, or a contact already linked to another id of
    /// the provider, is refused.
    pub fn add_link(&self, number: &str, provider: &str, reference: &str) -> Result<Record, StoreError> {
        let mut inner = self.lock();
        let owner = inner.contacts.values().find(|r| {
            shape::links(&r.contact)
                .iter()
                .any(|(p, s)| p == provider && s == reference)
        });
        match owner {
            Some(owner) if owner.contact_number != number => return Err(StoreError::SsoIdLinkedElsewhere),
            Some(_) => return Ok(inner.active_mut(number)?.clone()),
            None => {}
        }
        let record = inner.active_mut(number)?;
        let mut links = shape::links(&record.contact);
        if links.iter().any(|(p, _)| p == provider) {
            return Err(StoreError::ContactAlreadyLinked);
        }
        links.push((provider.to_owned(), reference.to_owned()));
        shape::set_links(&mut record.contact, &links);
        Ok(inner.touch(number))
    }

    /// The first `limit` queued contacts with their current payloads.
    pub fn outgoing(&self, limit: usize) -> Vec<Outgoing> {
        let inner = self.lock();
        inner
            .outbox
            .head(limit)
            .into_iter()
            .filter_map(|number| {
                let record = inner.contacts.get(&number)?;
                Some(Outgoing {
                    contact_number: number,
                    version: record.version,
                    payload: record.contact.clone(),
                })
            })
            .collect()
    }

    /// A delivery succeeded: the contact leaves the queue unless it changed meanwhile.
    pub fn delivered(&self, number: &str, version: u64) {
        let mut inner = self.lock();
        if inner.contacts.get(number).is_some_and(|r| r.version == version) {
            inner.outbox.remove(number);
        }
    }

    /// A delivery failed; `true` when the contact is now abandoned.
    pub fn delivery_failed(&self, number: &str, max_attempts: u32) -> bool {
        self.lock().outbox.failed(number, max_attempts)
    }

    /// Failed attempts of a queued contact (`None` when not queued).
    pub fn attempts(&self, number: &str) -> Option<u32> {
        self.lock().outbox.attempts(number)
    }
}
