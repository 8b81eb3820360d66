//! Convergence at the database: whatever the order or duplication of events, the stored
//! contact is the one of the highest version.

use chrono::{TimeZone, Utc};
use model::secutix;
use sync_worker::apply::{Applied, ContactEvent, apply_contact};
use tests::{TestDatabase, sample_contact};

fn event(name: &str, day: u32, event_id: u128) -> ContactEvent {
    let mut payload = sample_contact("0100");
    payload["individualContact"]["firstname"] = name.into();
    ContactEvent {
        event_id: uuid::Uuid::from_u128(event_id),
        version_time: Utc
            .with_ymd_and_hms(2025, 1, day, 12, 0, 0)
            .single()
            .expect("valid time"),
        source: "webhook",
        contact: secutix::from_get_contact_data(payload).expect("valid contact"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_order_and_duplication_converges_to_the_highest_version() {
    let events = [
        event("Monday", 1, 10),
        event("Tuesday", 2, 5),
        // Same time as Tuesday, higher event id: wins the tie.
        event("Tuesday-bis", 2, 6),
    ];
    let orders: [[usize; 5]; 6] = [
        [0, 1, 2, 2, 0],
        [0, 2, 1, 1, 2],
        [1, 0, 2, 0, 1],
        [1, 2, 0, 2, 2],
        [2, 0, 1, 0, 0],
        [2, 1, 0, 1, 1],
    ];
    for order in orders {
        let db = TestDatabase::create().await;
        let mut conn = db.pool.get().await.expect("connection");
        let mut written = 0;
        for index in order {
            if apply_contact(&mut conn, &events[index])
                .await
                .expect("apply")
                == Applied::Written
            {
                written += 1;
            }
        }
        let row = db.contact("0100").await.expect("row");
        assert_eq!(
            row.first_name.as_deref(),
            Some("Tuesday-bis"),
            "order {order:?}"
        );
        assert_eq!(row.version_event_id, uuid::Uuid::from_u128(6));
        assert!(
            written <= 3,
            "a duplicate was written again in order {order:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_event_changes_nothing() {
    let db = TestDatabase::create().await;
    let mut conn = db.pool.get().await.expect("connection");
    let first = event("Once", 3, 1);
    assert_eq!(
        apply_contact(&mut conn, &first).await.expect("apply"),
        Applied::Written
    );
    let before = db.contact("0100").await.expect("row");
    assert_eq!(
        apply_contact(&mut conn, &first).await.expect("apply"),
        Applied::Stale
    );
    let after = db.contact("0100").await.expect("row");
    assert_eq!(before, after);
}
