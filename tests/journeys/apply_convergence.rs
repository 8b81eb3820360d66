//! Convergence at the database, as a property: random updates, merges and anonymisations,
//! shuffled, duplicated and applied in random batches, give the same contacts as applying
//! each once in version order; and no account survives on a merged or anonymised contact.

use chrono::{TimeZone, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use sync_worker::apply::{ContactEvent, apply_batch};
use tests::{
    TestDatabase,
    events::{anonymise, event, merge, update},
};

const CONTACTS: [&str; 4] = ["P1", "P2", "P3", "P4"];

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn random_events(rng: &mut Rng, count: usize) -> Vec<ContactEvent> {
    (0..count)
        .map(|i| {
            let number = CONTACTS[rng.below(CONTACTS.len())];
            let payload = match rng.below(10) {
                0..=5 => update(number, &format!("name-{i}")),
                6 | 7 => {
                    let others: Vec<&str> = CONTACTS.iter().copied().filter(|c| *c != number).collect();
                    merge(number, others[rng.below(others.len())])
                }
                _ => anonymise(number),
            };
            let day = 1 + rng.below(5) as u32;
            let version = Utc
                .with_ymd_and_hms(2025, 3, day, rng.below(3) as u32, 0, 0)
                .single()
                .expect("valid time");
            event(payload, version, (u128::from(rng.next()) << 16) | i as u128)
        })
        .collect()
}

async fn seed_accounts(db: &TestDatabase) {
    for (i, number) in CONTACTS.iter().take(3).enumerate() {
        db.create_account(number, &format!("user{i}@example.org")).await;
    }
}

async fn apply_in_transaction(db: &TestDatabase, events: &[ContactEvent]) {
    let mut pooled = db.pool.get().await.expect("connection");
    let conn: &mut AsyncPgConnection = &mut pooled;
    conn.transaction::<_, diesel::result::Error, _>(async |tx: &mut AsyncPgConnection| {
        apply_batch(tx, events).await.map(drop)
    })
    .await
    .expect("batch applies");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_order_and_duplication_gives_the_version_order_result() {
    for seed in 1..=10u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let events = random_events(&mut rng, 14);

        let reference = TestDatabase::create().await;
        seed_accounts(&reference).await;
        let mut ordered = events.clone();
        ordered.sort_by_key(|e| (e.version_time, e.event_id));
        for event in &ordered {
            apply_in_transaction(&reference, std::slice::from_ref(event)).await;
        }

        let shuffled_db = TestDatabase::create().await;
        seed_accounts(&shuffled_db).await;
        let mut deliveries: Vec<ContactEvent> = Vec::new();
        for event in &events {
            for _ in 0..=rng.below(2) {
                deliveries.push(event.clone());
            }
        }
        for i in (1..deliveries.len()).rev() {
            deliveries.swap(i, rng.below(i + 1));
        }
        let mut rest = deliveries.as_slice();
        while !rest.is_empty() {
            let size = (1 + rng.below(5)).min(rest.len());
            apply_in_transaction(&shuffled_db, &rest[..size]).await;
            rest = &rest[size..];
        }

        let expected = reference.contacts().await;
        assert_eq!(shuffled_db.contacts().await, expected, "seed {seed}");

        for db in [&reference, &shuffled_db] {
            for (subject, number) in db.accounts().await {
                let holder = expected.iter().find(|c| c.contact_number == number);
                assert!(
                    holder.is_none_or(|c| c.state == "active"),
                    "seed {seed}: account {subject} left on a {} contact",
                    holder.map(|c| c.state.as_str()).unwrap_or("missing")
                );
            }
        }
        for contact in expected.iter().filter(|c| c.state == "anonymised") {
            assert_eq!(contact.first_name, None, "seed {seed}");
            assert_eq!(contact.email, None, "seed {seed}");
            assert!(
                !contact.raw.to_string().contains("Dupont"),
                "seed {seed}: {}",
                contact.raw
            );
        }
    }
}
