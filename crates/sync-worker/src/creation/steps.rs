//! One claimed row's work against S-360: search by e-mail, decide, create (in `api` mode), link,
//! attach. Returns what happened; `super::ContactCreation::record` stores it.

use diesel::{prelude::*, result::Error as DbError};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use secutix_client::{Error, api};
use serde_json::{Map, Value, json};
use store::schema::{accounts, contact_creations};

use super::{Claimed, ContactCreation, Mode};
use crate::apply::{
    ContactEvent, apply_event,
    attach::{AttachedBy, Attachment, attach},
    find,
};

/// What working a row came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The account took the contact (the row was marked in the same transaction).
    Attached(AttachedBy, String),
    /// The account has a contact already (attached by the apply path meanwhile).
    AlreadyAttached(String),
    /// Nothing may be guessed: why, with contact numbers only.
    Ambiguous(String),
    /// `shop` mode: the shop will create the contact.
    Waiting(String),
    /// Try again later; `forget_chosen` when the contact chosen earlier is gone.
    Retry { code: String, forget_chosen: bool },
    /// S-360 refused for good: its code.
    Failed(String),
}

/// Works one row.
pub async fn work(task: &ContactCreation, conn: &mut AsyncPgConnection, row: &Claimed) -> anyhow::Result<Outcome> {
    if let Some(number) = &row.account_contact {
        return Ok(Outcome::AlreadyAttached(number.clone()));
    }
    if !row.email_verified {
        return Ok(retry("email_not_verified".into()));
    }
    // An earlier attempt chose a contact and may have crashed before attaching it: finish that.
    if let Some(number) = &row.chosen {
        let by = row
            .chosen_by
            .as_deref()
            .and_then(AttachedBy::parse)
            .unwrap_or(AttachedBy::EmailMatch);
        return link_and_attach(task, conn, row, number, by).await;
    }
    let found = match task.client.search_contacts_by_email(&row.login_email).await {
        Ok(found) => found,
        Err(error) => return Ok(classify(&error)),
    };
    match found.as_slice() {
        [] => match task.args.contact_creation {
            Mode::Shop => Ok(Outcome::Waiting(
                "no contact has the e-mail in S-360; the shop creates one at the first SSO sign-in".into(),
            )),
            Mode::Api => create(task, conn, row).await,
        },
        // Linked already: to this account when the shop created the contact at the fan's first
        // SSO sign-in (`addLink` of the same pair succeeds, and the account is attached as the
        // webhook would), else `addLink` refuses and the row is ambiguous.
        [one] if one.linked => {
            choose(conn, row, &one.contact_number, AttachedBy::SsoLink, None, task).await?;
            link_and_attach(task, conn, row, &one.contact_number, AttachedBy::SsoLink).await
        }
        [one] => {
            if owned(conn, &one.contact_number).await? {
                return Ok(Outcome::Ambiguous(format!(
                    "the one contact with the e-mail, {}, already has an account",
                    one.contact_number
                )));
            }
            choose(conn, row, &one.contact_number, AttachedBy::EmailMatch, None, task).await?;
            link_and_attach(task, conn, row, &one.contact_number, AttachedBy::EmailMatch).await
        }
        several => {
            let numbers: Vec<&str> = several.iter().map(|c| c.contact_number.as_str()).collect();
            Ok(Outcome::Ambiguous(format!(
                "{} contacts have the e-mail: {}",
                numbers.len(),
                numbers.join(", ")
            )))
        }
    }
}

/// `api` mode: creates the contact from the account's sign-up profile, stores its number on
/// the row (with the contact itself in the mirror), then links and attaches it.
async fn create(task: &ContactCreation, conn: &mut AsyncPgConnection, row: &Claimed) -> anyhow::Result<Outcome> {
    let answer = match task.client.create_individual_contact(&fields(row, task)).await {
        Ok(answer) => answer,
        Err(Error::Rejected { code, .. }) if code == api::LOGIN_EMAIL_TAKEN => {
            return Ok(Outcome::Ambiguous(
                "S-360 refused to create a contact: another contact logs in with the e-mail, which the search did not return"
                    .into(),
            ));
        }
        Err(error) => return Ok(classify(&error)),
    };
    let contact = answer.get("contactData").cloned();
    let number = answer["contactNumber"]
        .as_str()
        .or_else(|| contact.as_ref().and_then(|c| c["contactNumber"].as_str()))
        .map(str::to_owned);
    let Some(number) = number else {
        return Ok(Outcome::Failed("create_answer_without_contact_number".into()));
    };
    tracing::info!(contact_number = %number, subject_id = %row.subject_id, "Contact created in S-360 for a sign-up account");
    choose(conn, row, &number, AttachedBy::ApiCreated, contact, task).await?;
    link_and_attach(task, conn, row, &number, AttachedBy::ApiCreated).await
}

/// `saveIndividualContactData` members of a new contact: the sign-up profile, a PUBLIC
/// individual with a login, and the newsletter choice as an authorization.
fn fields(row: &Claimed, task: &ContactCreation) -> Map<String, Value> {
    let mut fields = Map::new();
    for (name, value) in [
        ("firstname", &row.given_name),
        ("lastname", &row.family_name),
        ("languageCode", &row.language),
    ] {
        if let Some(value) = value {
            fields.insert(name.into(), json!(value));
        }
    }
    fields.insert("email".into(), json!(row.login_email));
    fields.insert("role".into(), json!("PUBLIC"));
    fields.insert("hasLogin".into(), json!(true));
    fields.insert(
        "authorizations".into(),
        json!([{ "authorizationCode": task.args.newsletter_authorization_code, "allowed": row.newsletter }]),
    );
    fields
}

/// Stores the chosen contact on the row before `addLink`, with the contact S-360 answered
/// (a created one) applied to the mirror, in one transaction.
async fn choose(
    conn: &mut AsyncPgConnection,
    row: &Claimed,
    number: &str,
    by: AttachedBy,
    contact: Option<Value>,
    task: &ContactCreation,
) -> anyhow::Result<()> {
    let event = contact.and_then(|contact| match crate::remote::event(contact, &task.rules) {
        Ok(event) => Some(event),
        Err(error) => {
            tracing::warn!(%error, "S-360 answered a created contact that does not map");
            None
        }
    });
    let subject_id = row.subject_id;
    conn.transaction::<_, DbError, _>(async |tx: &mut AsyncPgConnection| {
        diesel::update(
            contact_creations::table
                .find(subject_id)
                .filter(contact_creations::state.eq("pending")),
        )
        .set((
            contact_creations::contact_number.eq(number),
            contact_creations::attached_by.eq(by.as_str()),
            contact_creations::updated_at.eq(diesel::dsl::now),
        ))
        .execute(tx)
        .await?;
        if let Some(event) = &event {
            apply_event(tx, event).await?;
        }
        Ok(())
    })
    .await?;
    Ok(())
}

/// `addLink(contact, subject)`, then the attachment.
async fn link_and_attach(
    task: &ContactCreation,
    conn: &mut AsyncPgConnection,
    row: &Claimed,
    number: &str,
    by: AttachedBy,
) -> anyhow::Result<Outcome> {
    let subject = row.subject_id.to_string();
    match task.client.add_link(number, &subject).await {
        Ok(()) => {}
        Err(Error::Rejected { code, .. }) if code == api::SSO_ID_ALREADY_LINKED => {
            // The shop linked our subject to a contact of its own meanwhile: that contact's
            // webhook attaches the account (sso_link).
            tracing::warn!(contact_number = number, subject_id = %row.subject_id, "S-360 links the account's SSO id to another contact already");
            return Ok(Outcome::Waiting(format!(
                "S-360 refused to link contact {number}: the SSO id is linked to another contact, whose webhook attaches it"
            )));
        }
        Err(Error::Rejected { code, .. }) if code == api::CONTACT_ALREADY_LINKED => {
            return Ok(Outcome::Ambiguous(format!(
                "contact {number} is already linked to another SSO id"
            )));
        }
        Err(Error::Rejected { status, code, .. })
            if status == 404 || status == 410 || code == "contact_merged" || code == "contact_deleted" =>
        {
            // The contact chosen is gone (merged, anonymised, deleted): search again later.
            return Ok(Outcome::Retry {
                code: format!("contact {number} is gone ({code}); searching again"),
                forget_chosen: true,
            });
        }
        Err(error) => return Ok(classify(&error)),
    }
    let contact = missing_contact(task, conn, number).await?;
    let pair = [(number, row.subject_id)];
    let outcome = conn
        .transaction::<_, DbError, _>(async |tx: &mut AsyncPgConnection| {
            let outcome = attach(tx, &pair, by, false).await?;
            // After the attachment, so the contact's own SSO link finds it done.
            if let Some(event) = &contact {
                apply_event(tx, event).await?;
            }
            Ok(outcome)
        })
        .await?;
    Ok(match outcome.into_iter().next().map(|o| o.attachment) {
        Some(Attachment::Attached) => Outcome::Attached(by, number.to_owned()),
        Some(Attachment::Already) => Outcome::AlreadyAttached(number.to_owned()),
        Some(Attachment::HasOther) => {
            let current = accounts::table
                .find(row.subject_id)
                .select(accounts::contact_number)
                .first::<Option<String>>(conn)
                .await
                .optional()?
                .flatten()
                .unwrap_or_default();
            Outcome::AlreadyAttached(current)
        }
        Some(Attachment::Taken { .. }) => {
            Outcome::Ambiguous(format!("contact {number} is already the contact of another account"))
        }
        Some(Attachment::Raced) => retry("attach_raced".into()),
        // The account was deleted meanwhile: its row went with it.
        None => retry("account_gone".into()),
    })
}

/// The contact as an event to apply when the mirror does not hold it yet (a contact found by
/// e-mail that no webhook brought so far), so the account never points at a contact the
/// gateway cannot read. One `getContactData` call; without an answer the webhook brings it.
async fn missing_contact(
    task: &ContactCreation,
    conn: &mut AsyncPgConnection,
    number: &str,
) -> QueryResult<Option<ContactEvent>> {
    if find(conn, number).await?.is_some() {
        return Ok(None);
    }
    match task.client.get_contact_data(number).await {
        Ok(Some(contact)) => Ok(crate::remote::event(contact, &task.rules)
            .inspect_err(|error| tracing::warn!(%error, "S-360 answered a contact that does not map"))
            .ok()),
        Ok(None) => Ok(None),
        Err(error) => {
            tracing::warn!(contact_number = number, code = %error.code(), "Contact not read; its webhook brings it");
            Ok(None)
        }
    }
}

/// Whether an account here holds the contact, or was created for it.
async fn owned(conn: &mut AsyncPgConnection, number: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        accounts::table.filter(
            accounts::contact_number
                .eq(number)
                .or(accounts::origin_contact_number.eq(number)),
        ),
    ))
    .get_result(conn)
    .await
}

fn retry(code: String) -> Outcome {
    Outcome::Retry {
        code,
        forget_chosen: false,
    }
}

/// Outages, server errors and the rate limit (after the client's own waiting) are retried;
/// any other refusal is final.
fn classify(error: &Error) -> Outcome {
    if error.is_transient() {
        retry(error.code())
    } else {
        Outcome::Failed(error.code())
    }
}
