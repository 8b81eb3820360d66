//! How the shop ties the identity provider's user (the SSO id, `sub`) to an S-360 contact,
//! with the e-mail as a cross-check (`shared/SECUTIX.md`, "Ticket shop as OIDC relying party"):
//!
//! 1. A contact linked to this SSO id: signed in as that contact, unless its login e-mail
//!    differs from the provider's `email` (red path: [`Linked::EmailMismatch`]).
//! 2. Else an active PUBLIC contact with a login and the same e-mail: S-360 shows its "Link
//!    account" page asking for the S-360 password ([`Linked::LinkAccount`]); in Exclusive mode
//!    such users may have none and are stuck, hence the pre-linking by `addLink` at import.
//! 3. Else a new contact is created from the userinfo claims, with a login, and linked.

use serde_json::{Value, json};

use crate::store::{Record, Store, StoreError, shape};

#[derive(Debug)]
pub enum Linked {
    SignedIn(Record),
    Created(Record),
    EmailMismatch,
    LinkAccount(Record),
}

pub fn link(store: &Store, provider: &str, sub: &str, userinfo: &Value) -> Result<Linked, StoreError> {
    let email = userinfo["email"].as_str().map(|e| e.trim().to_lowercase());
    if let Some(record) = store.find_by_sso(provider, sub) {
        let contact_email = shape::individual(&record.contact, "email").map(|e| e.trim().to_lowercase());
        return Ok(match (&email, &contact_email) {
            (Some(a), Some(b)) if a != b => Linked::EmailMismatch,
            _ => Linked::SignedIn(record),
        });
    }
    if let Some(email) = &email
        && let Some(record) = store.find_by_login_email(email)
    {
        return Ok(Linked::LinkAccount(record));
    }
    let text = |key: &str| userinfo[key].as_str().map(str::to_owned);
    let record = store.create(&json!({
        "individualContact": {
            "firstname": text("given_name"),
            "lastname": text("family_name"),
            "email": text("email"),
            "languageCode": text("locale"),
            "role": "PUBLIC",
            "hasLogin": true,
        }
    }))?;
    let record = store.add_link(&record.contact_number, provider, sub)?;
    Ok(Linked::Created(record))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store {
        let store = Store::new();
        crate::demo::seed(&store, 2).expect("seeded");
        store
    }

    #[test]
    fn linked_contacts_sign_in_when_the_email_matches() {
        let store = store();
        store.add_link("0009000001", "idp", "sub-1").expect("linked");
        let same = json!({ "sub": "sub-1", "email": "JEAN.dupont.1@example.org" });
        assert!(
            matches!(link(&store, "idp", "sub-1", &same), Ok(Linked::SignedIn(r)) if r.contact_number == "0009000001")
        );
        let other = json!({ "sub": "sub-1", "email": "someone@example.org" });
        assert!(matches!(
            link(&store, "idp", "sub-1", &other),
            Ok(Linked::EmailMismatch)
        ));
    }

    #[test]
    fn an_unlinked_contact_with_the_email_needs_linking_and_strangers_get_a_contact() {
        let store = store();
        let anna = json!({ "sub": "sub-2", "email": "anna.dupont.2@example.org" });
        assert!(
            matches!(link(&store, "idp", "sub-2", &anna), Ok(Linked::LinkAccount(r)) if r.contact_number == "0009000002")
        );
        let stranger = json!({ "sub": "sub-3", "email": "new@example.org", "given_name": "Nia", "family_name": "Neu" });
        let Ok(Linked::Created(record)) = link(&store, "idp", "sub-3", &stranger) else {
            panic!("a contact is created");
        };
        assert_eq!(record.contact["individualContact"]["firstname"], "Nia");
        assert!(matches!(
            link(&store, "idp", "sub-3", &stranger),
            Ok(Linked::SignedIn(_))
        ));
    }
}
