//! The Contact Webhook V2 queue: contact numbers in the order they first changed, each with
//! its failed attempts. A contact is in it at most once; what is sent is read from the store at
//! send time, so only the latest state goes out.

use std::collections::{HashMap, VecDeque};

use serde_json::Value;

/// One contact taken for delivery: its version, to tell whether it changed while in flight.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub contact_number: String,
    pub version: u64,
    pub payload: Value,
}

#[derive(Debug, Default)]
pub struct Outbox {
    order: VecDeque<String>,
    attempts: HashMap<String, u32>,
}

impl Outbox {
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Queues a contact unless it already waits (it then keeps its place and its attempts).
    pub fn enqueue(&mut self, number: &str) {
        if !self.attempts.contains_key(number) {
            self.attempts.insert(number.to_owned(), 0);
            self.order.push_back(number.to_owned());
        }
    }

    pub fn remove(&mut self, number: &str) {
        if self.attempts.remove(number).is_some() {
            self.order.retain(|n| n != number);
        }
    }

    /// The first `limit` numbers, in queue order.
    pub fn head(&self, limit: usize) -> Vec<String> {
        self.order.iter().take(limit).cloned().collect()
    }

    /// Counts a failed delivery; `true` when the contact reached `max_attempts` and was dropped.
    pub fn failed(&mut self, number: &str, max_attempts: u32) -> bool {
        let Some(attempts) = self.attempts.get_mut(number) else {
            return false;
        };
        *attempts += 1;
        if *attempts >= max_attempts {
            self.remove(number);
            return true;
        }
        // Failed contacts go to the back, so a stuck head cannot starve the rest of the queue.
        self.order.retain(|n| n != number);
        self.order.push_back(number.to_owned());
        false
    }

    pub fn attempts(&self, number: &str) -> Option<u32> {
        self.attempts.get(number).copied()
    }
}
