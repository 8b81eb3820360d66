//! The import from export files: every format lands the same contacts; only web accounts are
//! imported; login e-mails shared by several contacts are reported, not guessed between; a
//! second run imports nothing; each account gets its first-password token, mail and link.

use serde_json::{Value, json};
use tests::TestDatabase;

use crate::import_support::*;

/// Five web accounts, two contacts sharing one login e-mail, a RELAY contact, a contact
/// without login, a PUBLIC contact without e-mail, and one unreadable record.
fn contacts() -> Vec<Value> {
    let mut all: Vec<Value> = (1..=5)
        .map(|i| web_contact(&format!("00000{i}"), &format!("fan{i}@example.org")))
        .collect();
    all.push(web_contact("000010", "Shared@example.org"));
    all.push(web_contact("000011", "shared@EXAMPLE.org"));
    let mut relay = web_contact("000020", "relay@example.org");
    relay["individualContact"]["role"] = json!("RELAY");
    let mut no_login = web_contact("000021", "nologin@example.org");
    no_login["individualContact"]["hasLogin"] = json!(false);
    let mut no_email = web_contact("000022", "x@example.org");
    no_email["individualContact"]
        .as_object_mut()
        .expect("object")
        .remove("email");
    all.extend([relay, no_login, no_email]);
    all
}

async fn assert_imported(db: &TestDatabase, report: &sync_worker::import::Report) {
    let c = &report.counts;
    assert_eq!(c.accounts_created, 5, "{report}");
    assert_eq!((c.mailed, c.links_queued), (5, 5));
    assert_eq!(c.skipped.get("duplicate_email"), Some(&2));
    assert_eq!(c.skipped.get("not_public"), Some(&1));
    assert_eq!(c.skipped.get("no_login"), Some(&1));
    assert_eq!(c.skipped.get("no_email"), Some(&1));
    assert_eq!(report.duplicates, vec![vec!["000010".to_owned(), "000011".to_owned()]]);
    let text = report.to_string();
    assert!(text.contains("000010, 000011") && !text.contains("shared@"), "{text}");
    let accounts: Vec<String> = db.accounts().await.into_iter().map(|(_, n)| n).collect();
    assert_eq!(accounts, ["000001", "000002", "000003", "000004", "000005"]);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM accounts WHERE password_hash IS NULL")
            .await,
        5
    );
    // The import owes the mails and links; the running worker queues them.
    assert!(text.contains("5 still to be handed to the mailer"), "{text}");
    assert_eq!(db.count("SELECT count(*) AS n FROM mail_outbox").await, 0);
    assert_eq!(expand_followups(&db.url).await, (5, 5));
    assert_eq!(
        db.count("SELECT count(*) AS n FROM import_followups").await,
        0,
        "a follow-up expanded into both queues is done"
    );
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM password_tokens WHERE purpose = 'first' AND used_at IS NULL \
                  AND expires_at BETWEEN now() + interval '71 hours' AND now() + interval '73 hours'"
        )
        .await,
        5
    );
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM mail_outbox WHERE template = 'set-password' \
                  AND payload->>'link' LIKE 'https://id.example.org/password/reset?token=%'"
        )
        .await,
        5
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM import_links WHERE state = 'pending'")
            .await,
        5
    );
    // Web accounts and duplicates are in the mirror; non-web contacts are not.
    let numbers: Vec<String> = db.contacts().await.into_iter().map(|c| c.contact_number).collect();
    assert_eq!(
        numbers,
        ["000001", "000002", "000003", "000004", "000005", "000010", "000011"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_lines_import_web_accounts_once_and_report_shared_emails() {
    let db = TestDatabase::create().await;
    let mut content = jsonl(&contacts());
    content.push_str("{ not json\n");
    let file = write_file("jsonl", &content);
    let path = file.to_str().expect("path");
    let flags = [
        "--file",
        path,
        "--gateway-issuer",
        "https://id.example.org",
        "--batch-size",
        "3",
    ];
    let report = import(&db.url, &flags).await;
    assert_eq!(report.counts.skipped.get("invalid"), Some(&1));
    assert_imported(&db, &report).await;
    assert_eq!(
        db.contact("000002").await.expect("imported").raw,
        contacts()[1],
        "the payload stored as the file holds it"
    );

    // fan1 has set a password meanwhile: a second run leaves it alone.
    db.execute("UPDATE accounts SET password_hash = 'set-by-the-fan' WHERE contact_number = '000001'")
        .await;
    let again = import(&db.url, &flags).await;
    assert_eq!(
        db.count("SELECT count(*) AS n FROM accounts WHERE password_hash = 'set-by-the-fan'")
            .await,
        1,
        "a re-import never overwrites a password already set"
    );
    assert_eq!(again.counts.accounts_created, 0, "{again}");
    assert_eq!(again.counts.mailed, 0);
    assert_eq!(again.counts.contacts_written, 0, "same versions: nothing rewritten");
    assert_eq!(again.counts.skipped.get("already_imported"), Some(&5));
    assert_eq!(expand_followups(&db.url).await, (0, 0), "nothing more is owed");
    assert_eq!(db.count("SELECT count(*) AS n FROM mail_outbox").await, 5);
    assert_eq!(db.count("SELECT count(*) AS n FROM password_tokens").await, 5);
    assert_eq!(db.count("SELECT count(*) AS n FROM import_links").await, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_array_of_contacts_imports_the_same() {
    let db = TestDatabase::create().await;
    let file = write_file("json", &Value::Array(contacts()).to_string());
    let report = import(
        &db.url,
        &[
            "--file",
            file.to_str().expect("path"),
            "--gateway-issuer",
            "https://id.example.org",
        ],
    )
    .await;
    assert_imported(&db, &report).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_with_bulk_import_columns_imports_the_same() {
    let db = TestDatabase::create().await;
    let mut csv = String::from("contactNumber,firstname,lastname,email,role,hasLogin,languageCode,town,countryCode\n");
    for contact in contacts() {
        let i = &contact["individualContact"];
        let field = |k: &str| i[k].as_str().unwrap_or_default().to_owned();
        csv.push_str(&format!(
            "{},{},{},{},{},{},fr,Lausanne,CH\n",
            contact["contactNumber"].as_str().expect("number"),
            field("firstname"),
            field("lastname"),
            field("email"),
            field("role"),
            i["hasLogin"].as_bool().unwrap_or(false)
        ));
    }
    // The extension decides the format; --format overrides it.
    let file = write_file("txt", &csv);
    let report = import(
        &db.url,
        &[
            "--file",
            file.to_str().expect("path"),
            "--format",
            "csv",
            "--gateway-issuer",
            "https://id.example.org",
        ],
    )
    .await;
    assert_imported(&db, &report).await;
    let contact = db.contact("000001").await.expect("imported");
    assert_eq!(contact.addresses[0]["town"], "Lausanne");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_export_rows_import_and_respect_existing_accounts() {
    let db = TestDatabase::create().await;
    // Someone already holds fan2's address with another contact: reported, not taken over.
    db.execute(
        "INSERT INTO contacts (contact_number, email, raw, version_time, version_event_id, source) \
         VALUES ('999999', 'fan2@example.org', '{}', now(), gen_random_uuid(), 'webhook')",
    )
    .await;
    db.create_account("999999", "FAN2@example.org").await;
    let rows: Vec<Value> = (1..=3)
        .map(|i| {
            json!({
                "contactNumber": format!("00000{i}"), "role": "PUBLIC", "type": "INDIVIDUAL",
                "individualFirstname": "Fan", "individualLastname": format!("Number {i}"),
                "email": format!("fan{i}@example.org"), "individualCountryCode": "CH",
            })
        })
        .chain([json!({ "contactNumber": "000009", "role": "RELAY", "email": "relay@example.org" })])
        .collect();
    let file = write_file("json", &Value::Array(rows).to_string());
    let report = import(&db.url, &["--file", file.to_str().expect("path")]).await;
    assert_eq!(report.counts.accounts_created, 2, "{report}");
    assert_eq!(report.email_taken, ["000002"]);
    assert_eq!(report.counts.skipped.get("not_public"), Some(&1));
    let contact = db.contact("000003").await.expect("imported");
    assert_eq!(contact.last_name.as_deref(), Some("Number 3"));
    let accounts: Vec<String> = db.accounts().await.into_iter().map(|(_, n)| n).collect();
    assert_eq!(accounts, ["000001", "000003", "999999"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_extension_or_missing_file_is_refused_clearly() {
    let db = TestDatabase::create().await;
    let file = write_file("txt", "x");
    let args = import_args(&db.url, &["--file", file.to_str().expect("path")]);
    let error = sync_worker::import::run(&args, &tokio_util::sync::CancellationToken::new())
        .await
        .expect_err("no format");
    assert!(error.to_string().contains("--format"), "{error}");
    let args = import_args(&db.url, &["--file", "/nonexistent/contacts.jsonl"]);
    let error = sync_worker::import::run(&args, &tokio_util::sync::CancellationToken::new())
        .await
        .expect_err("no file");
    assert!(error.to_string().contains("cannot"), "{error}");
}

/// An export holding merged and anonymised contacts, in chunks of two so that the contacts of
/// one chunk are written while the accounts of the previous one are created: each contact
/// lands in its state, only active ones get an account, and a head named before it appears
/// still ends up with its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merged_and_anonymised_contacts_land_in_their_state_without_accounts() {
    let db = TestDatabase::create().await;
    let contact = |number: &str| web_contact(number, &format!("{}@example.org", number.to_lowercase()));
    let merged = |number: &str, head: &str| {
        let mut c = contact(number);
        c["mergedIntoContactNumber"] = json!(head);
        c
    };
    let mut anonymised = contact("M004");
    anonymised["individualContact"]["anonymized"] = json!(true);
    let export = [
        contact("M001"),
        merged("M002", "M001"),
        contact("M003"),
        anonymised,
        merged("M005", "M006"),
        contact("M006"),
        contact("M007"),
    ];
    let file = write_file("jsonl", &jsonl(&export));
    let flags = ["--file", file.to_str().expect("path"), "--batch-size", "2"];
    let report = import(&db.url, &flags).await;
    assert_eq!(report.counts.read, 7, "{report}");
    assert_eq!(report.counts.accounts_created, 4, "{report}");
    assert_eq!(report.counts.skipped.get("not_active"), Some(&3), "{report}");

    let state = |number: &'static str| {
        let db = &db;
        async move {
            let row = db.contact(number).await.expect("mirrored");
            (row.state, row.head_contact_number)
        }
    };
    assert_eq!(state("M002").await, ("merged".to_owned(), Some("M001".to_owned())));
    assert_eq!(state("M005").await, ("merged".to_owned(), Some("M006".to_owned())));
    assert_eq!(state("M004").await, ("anonymised".to_owned(), None));
    let anonymised = db.contact("M004").await.expect("mirrored");
    assert_eq!(
        (anonymised.email, anonymised.first_name),
        (None, None),
        "no personal data kept"
    );
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM accounts WHERE contact_number IN ('M001', 'M003', 'M006', 'M007') \
             AND origin_contact_number = contact_number"
        )
        .await,
        4
    );
    expand_followups(&db.url).await;
    for table in ["accounts", "password_tokens", "mail_outbox", "import_links"] {
        assert_eq!(
            db.count(&format!("SELECT count(*) AS n FROM {table}")).await,
            4,
            "{table}"
        );
    }
    assert_eq!(
        db.count("SELECT count(*) AS n FROM mail_outbox WHERE recipient IN ('m002@example.org', 'm004@example.org')")
            .await,
        0,
        "no mail to a merged or anonymised contact"
    );

    let again = import(&db.url, &flags).await;
    assert_eq!(
        (again.counts.accounts_created, again.counts.contacts_written),
        (0, 0),
        "{again}"
    );
}
