//! The log of the contact API calls the simulator received, at `GET /admin/calls`: when each
//! came, to which operation, and how it was answered, with the most calls served in any one
//! rate window. A test of the installation's shared budget reads it to show that no window
//! held more than the limit and that no call was refused.

use std::{
    collections::VecDeque,
    sync::Mutex,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use actix_web::{HttpResponse, web};
use serde::Serialize;
use serde_json::json;

use super::Admission;

/// Calls kept; older ones leave the log (a day at 180 per minute is 259,200).
const CAPACITY: usize = 300_000;

/// How a call was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Passed the token check and the rate limit.
    Admitted,
    /// Refused with 509 (or 429): over the rate limit.
    RateLimited,
    /// Refused with 401.
    InvalidToken,
}

#[derive(Debug, Clone, Serialize)]
pub struct Call {
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
    pub operation: &'static str,
    pub outcome: Outcome,
}

#[derive(Default)]
pub struct CallLog {
    calls: Mutex<VecDeque<Call>>,
}

impl CallLog {
    pub fn record(&self, operation: &'static str, outcome: Outcome) {
        let at_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64;
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        if calls.len() >= CAPACITY {
            calls.pop_front();
        }
        calls.push_back(Call {
            at_ms,
            operation,
            outcome,
        });
    }

    fn snapshot(&self) -> Vec<Call> {
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}

/// The most admitted calls in any window of `window` (half-open, as the limiter counts).
pub fn busiest_window(calls: &[Call], window: Duration) -> usize {
    let times: Vec<u64> = calls
        .iter()
        .filter(|c| c.outcome == Outcome::Admitted)
        .map(|c| c.at_ms)
        .collect();
    let width = window.as_millis() as u64;
    let (mut start, mut best) = (0, 0);
    for end in 0..times.len() {
        while times[end] - times[start] >= width {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

/// `GET /admin/calls`.
pub async fn list(admission: web::Data<Admission>) -> HttpResponse {
    let calls = admission.calls.snapshot();
    let count = |outcome| calls.iter().filter(|c| c.outcome == outcome).count();
    HttpResponse::Ok().json(json!({
        "limit": admission.limit,
        "window_seconds": admission.window.as_secs_f64(),
        "admitted": count(Outcome::Admitted),
        "rate_limited": count(Outcome::RateLimited),
        "invalid_token": count(Outcome::InvalidToken),
        "busiest_window": busiest_window(&calls, admission.window),
        "calls": calls,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admitted(at_ms: u64) -> Call {
        Call {
            at_ms,
            operation: "getContactData",
            outcome: Outcome::Admitted,
        }
    }

    #[test]
    fn the_busiest_window_counts_admitted_calls_less_than_a_window_apart() {
        let window = Duration::from_secs(60);
        assert_eq!(busiest_window(&[], window), 0);
        let calls = [
            admitted(0),
            admitted(30_000),
            admitted(59_999),
            admitted(60_000),
            admitted(61_000),
        ];
        // 0, 30 000 and 59 999 share a window; 60 000 starts a new one with 30 000 and 59 999.
        assert_eq!(busiest_window(&calls, window), 4);
        let mut refused = calls.to_vec();
        refused[1].outcome = Outcome::RateLimited;
        assert_eq!(busiest_window(&refused, window), 3);
    }
}
