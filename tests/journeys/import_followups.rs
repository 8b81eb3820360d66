//! The mails and links an import owes are queued by the running worker as its queues empty:
//! never more than the low-water mark ahead of the mailer, never for an account that has set a
//! password meanwhile, never for a contact anonymised meanwhile, and each link lives its full
//! lifetime from the moment it is queued.

use sync_worker::followups::{LOW_WATER, expand_links, expand_mails};
use tests::TestDatabase;

use crate::import_support::*;

const CONTACTS: usize = 2000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owed_mails_and_links_fill_their_queues_only_as_they_empty() {
    let db = TestDatabase::create().await;
    let contacts: Vec<_> = (0..CONTACTS)
        .map(|i| web_contact(&format!("F{i:06}"), &format!("fan{i}@example.org")))
        .collect();
    let file = write_file("jsonl", &jsonl(&contacts));
    let report = import(
        &db.url,
        &[
            "--file",
            file.to_str().expect("path"),
            "--batch-size",
            "500",
            "--link-lifetime",
            "7days",
        ],
    )
    .await;
    assert_eq!(report.counts.accounts_created, CONTACTS as u64, "{report}");
    assert_eq!((report.mails_owed, report.links_owed), (2000, 2000));
    assert_eq!(db.count("SELECT count(*) AS n FROM import_followups").await, 4);

    // Between the import and the mail: one fan sets a password through a forgotten-password
    // link, one contact of the first chunk is anonymised in S-360.
    db.execute("UPDATE accounts SET password_hash = 'set-by-the-fan' WHERE contact_number = 'F000001'")
        .await;
    db.execute("DELETE FROM accounts WHERE contact_number = 'F000002'")
        .await;
    db.execute("UPDATE contacts SET state = 'anonymised', email = NULL WHERE contact_number = 'F000002'")
        .await;

    let pool = store::pool(&tests::database::database_args(&db.url)).expect("pool");
    let owed_mails = || async {
        let mut conn = <diesel_async::AsyncPgConnection as diesel_async::AsyncConnection>::establish(&db.url)
            .await
            .expect("connects");
        sync_worker::followups::owed(&mut conn).await.expect("owed").0
    };
    assert_eq!(
        expand_mails(&pool).await.expect("expanded"),
        498,
        "the first chunk, less two"
    );
    assert_eq!(expand_mails(&pool).await.expect("expanded"), 500);
    assert_eq!(
        expand_mails(&pool).await.expect("expanded"),
        500,
        "998 wait: below the mark"
    );
    assert_eq!(
        expand_mails(&pool).await.expect("expanded"),
        0,
        "1,498 wait: at or above the mark ({LOW_WATER}), the last chunk stays owed"
    );
    assert_eq!(owed_mails().await, 500);
    db.execute("UPDATE mail_outbox SET sent_at = now() WHERE contact_number < 'F000600'")
        .await;
    assert_eq!(
        expand_mails(&pool).await.expect("expanded"),
        500,
        "the mailer caught up"
    );
    assert_eq!(owed_mails().await, 0);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM mail_outbox WHERE contact_number IN ('F000001', 'F000002')")
            .await,
        0,
        "no mail for a password already set or an anonymised contact"
    );
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM password_tokens WHERE purpose = 'first' \
             AND expires_at BETWEEN now() + interval '167 hours' AND now() + interval '169 hours'"
        )
        .await,
        1998,
        "each link lives its full lifetime from the moment its mail is queued"
    );
    assert_eq!(
        db.count("SELECT count(DISTINCT recipient) AS n FROM mail_outbox").await,
        1998
    );

    // The link queue fills the same way.
    assert_eq!(expand_links(&pool).await.expect("expanded"), 499);
    assert_eq!(expand_links(&pool).await.expect("expanded"), 500);
    assert_eq!(
        expand_links(&pool).await.expect("expanded"),
        500,
        "999 wait: below the mark"
    );
    assert_eq!(expand_links(&pool).await.expect("expanded"), 0, "1,499 wait");
    db.execute("UPDATE import_links SET state = 'linked' WHERE contact_number < 'F000600'")
        .await;
    assert_eq!(expand_links(&pool).await.expect("expanded"), 500);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM import_followups").await,
        0,
        "every follow-up done"
    );
    assert_eq!(
        db.count("SELECT count(DISTINCT subject_id) AS n FROM import_links")
            .await,
        1999,
        "one link per account whose contact is active"
    );
}
