//! Shared steps of the sign-up contact tests: a verified sign-up account as the gateway leaves
//! it (no contact, its `contact_creations` row pending), and what became of it.

use serde_json::{Value, json};
use tests::TestDatabase;
use uuid::Uuid;

/// A verified sign-up account with its names, language and newsletter choice, and its pending
/// `contact_creations` row.
pub async fn signup_account(db: &TestDatabase, email: &str, names: (&str, &str), newsletter: bool) -> Uuid {
    let subject = Uuid::new_v4();
    db.execute(&format!(
        "INSERT INTO accounts (subject_id, login_email, email_verified, origin, given_name, family_name, \
             language, newsletter, privacy_accepted_at, verified_at) \
         VALUES ('{subject}', '{email}', true, 'signup', '{}', '{}', 'fr', {newsletter}, now(), now())",
        names.0, names.1
    ))
    .await;
    db.execute(&format!(
        "INSERT INTO contact_creations (subject_id) VALUES ('{subject}')"
    ))
    .await;
    subject
}

/// A `contact_creations` row as the tests look at it.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct Creation {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub state: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub attached_by: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub contact_number: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub last_error: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub updated_at: String,
}

pub async fn creation(db: &TestDatabase, subject: Uuid) -> Creation {
    use diesel_async::RunQueryDsl;
    let mut conn = db.pool.get().await.expect("connection");
    diesel::sql_query(
        "SELECT state, attached_by, contact_number::text, last_error, updated_at::text \
         FROM contact_creations WHERE subject_id = $1",
    )
    .bind::<diesel::sql_types::Uuid, _>(subject)
    .get_result(&mut conn)
    .await
    .expect("the account's row")
}

/// The account's `(contact_number, origin_contact_number, updated_at)`.
pub async fn account(db: &TestDatabase, subject: Uuid) -> (Option<String>, Option<String>, String) {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        contact_number: Option<String>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        origin_contact_number: Option<String>,
        #[diesel(sql_type = diesel::sql_types::Text)]
        updated_at: String,
    }
    use diesel_async::RunQueryDsl;
    let mut conn = db.pool.get().await.expect("connection");
    let row: Row = diesel::sql_query(
        "SELECT contact_number::text, origin_contact_number::text, updated_at::text FROM accounts WHERE subject_id = $1",
    )
    .bind::<diesel::sql_types::Uuid, _>(subject)
    .get_result(&mut conn)
    .await
    .expect("the account");
    (row.contact_number, row.origin_contact_number, row.updated_at)
}

/// The row once it left `pending`.
pub async fn settled(db: &TestDatabase, subject: Uuid, state: &str) -> Creation {
    tests::eventually(
        std::time::Duration::from_secs(20),
        &format!("the row of {subject} {state}"),
        || async {
            let row = creation(db, subject).await;
            (row.state == state).then_some(row)
        },
    )
    .await
}

/// A PUBLIC individual contact of the simulator with this e-mail.
pub fn sim_contact(email: &str, has_login: bool) -> Value {
    json!({ "individualContact": { "firstname": "Fan", "lastname": "Known", "email": email,
                                   "role": "PUBLIC", "hasLogin": has_login } })
}

/// The SSO links of a simulator contact.
pub fn links(sim: &secutix_sim::SimHandle, number: &str) -> Value {
    sim.state().store.get(number).expect("in S-360").contact["socialConnections"].clone()
}

/// The link our provider records for `subject`.
pub fn our_link(subject: Uuid) -> Value {
    json!([{ "provider": "secutix-bridge", "providerUserReference": subject.to_string() }])
}

/// The worker's flags for the simulator's contact API in `mode`.
pub fn worker_flags(sim: &secutix_sim::SimHandle, mode: &str) -> Vec<String> {
    let mut flags = crate::import_support::secutix_flags(sim);
    flags.extend(["--contact-creation".to_owned(), mode.to_owned()]);
    flags
}
