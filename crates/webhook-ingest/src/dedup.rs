//! Suppressing repeated deliveries before they reach the broker: a `webhook-id` already
//! confirmed, or a contact whose payload is identical to the last one confirmed for its
//! number, within a short window. An optimisation only: the cache is per process and bounded,
//! and the worker is idempotent whatever gets through.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use sha2::{Digest, Sha256};

/// Entries kept per map before expired ones are swept (and, if still full, all dropped).
const MAX_ENTRIES: usize = 100_000;

pub struct Dedup {
    window: Duration,
    deliveries: Mutex<HashMap<String, Instant>>,
    /// contact number → digest of the last payload confirmed for it, and when.
    contacts: Mutex<HashMap<String, ([u8; 32], Instant)>>,
}

impl Dedup {
    /// A zero window disables suppression.
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            deliveries: Mutex::default(),
            contacts: Mutex::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        !self.window.is_zero()
    }

    /// Whether this delivery id was confirmed within the window.
    pub fn seen_delivery(&self, id: &str) -> bool {
        let now = Instant::now();
        let map = lock(&self.deliveries);
        map.get(id).is_some_and(|at| now.duration_since(*at) < self.window)
    }

    pub fn record_delivery(&self, id: &str) {
        if !self.enabled() {
            return;
        }
        let mut map = lock(&self.deliveries);
        sweep(&mut map, self.window, |at| *at);
        map.insert(id.to_owned(), Instant::now());
    }

    /// Whether the last payload confirmed for this contact, within the window, is this one.
    pub fn is_repeat(&self, contact_number: &str, payload: &[u8]) -> bool {
        if !self.enabled() {
            return false;
        }
        let now = Instant::now();
        let digest = digest(payload);
        lock(&self.contacts)
            .get(contact_number)
            .is_some_and(|(last, at)| *last == digest && now.duration_since(*at) < self.window)
    }

    pub fn record_contact(&self, contact_number: &str, payload: &[u8]) {
        if !self.enabled() {
            return;
        }
        let mut map = lock(&self.contacts);
        sweep(&mut map, self.window, |(_, at)| *at);
        map.insert(contact_number.to_owned(), (digest(payload), Instant::now()));
    }
}

/// Over the payload's bytes as sent: S-360 re-sends a contact byte for byte.
fn digest(payload: &[u8]) -> [u8; 32] {
    Sha256::digest(payload).into()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding this lock cannot leave the map inconsistent: keep using it.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn sweep<V>(map: &mut HashMap<String, V>, window: Duration, at: impl Fn(&V) -> Instant) {
    if map.len() < MAX_ENTRIES {
        return;
    }
    let now = Instant::now();
    map.retain(|_, v| now.duration_since(at(v)) < window);
    if map.len() >= MAX_ENTRIES {
        map.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeat_is_the_same_payload_as_the_last_one_confirmed() {
        let dedup = Dedup::new(Duration::from_secs(60));
        let a = br#"{"contactNumber":"1","x":1}"#;
        let b = br#"{"contactNumber":"1","x":2}"#;
        assert!(!dedup.is_repeat("1", a));
        dedup.record_contact("1", a);
        assert!(dedup.is_repeat("1", a));
        assert!(!dedup.is_repeat("1", b));
        // A change back to an earlier payload is a real change, not a repeat.
        dedup.record_contact("1", b);
        assert!(!dedup.is_repeat("1", a));
    }

    #[test]
    fn delivery_ids_expire_with_the_window() {
        let dedup = Dedup::new(Duration::from_millis(30));
        dedup.record_delivery("msg_1");
        assert!(dedup.seen_delivery("msg_1"));
        assert!(!dedup.seen_delivery("msg_2"));
        std::thread::sleep(Duration::from_millis(40));
        assert!(!dedup.seen_delivery("msg_1"));
    }

    #[test]
    fn a_zero_window_disables_it() {
        let dedup = Dedup::new(Duration::ZERO);
        dedup.record_delivery("msg_1");
        dedup.record_contact("1", b"{}");
        assert!(!dedup.seen_delivery("msg_1"));
        assert!(!dedup.is_repeat("1", b"{}"));
    }
}
