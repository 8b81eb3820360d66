//! The `/userinfo` cache: access token → the verified token's subject and expiry and the
//! response body built from the contact mirror. It saves the signature check and the database
//! round trips of every repeated request, and is only trusted while this replica listens to
//! PostgreSQL's `gateway_cache` notifications (`listener.rs`): triggers in the database announce
//! every change that can alter a subject's answer (revocation, logout, merge, anonymisation,
//! password change, profile update, any contact update), whoever made it and whichever
//! replica; each replica drops the subject's entries as the notification arrives.
//!
//! Staleness bound: the notification's delivery time (milliseconds) while listening; no cache
//! at all while not (every request then goes to the database, as before). An entry also never
//! outlives its token's `exp` nor `ttl`. A request that read the database before an invalidation
//! but finishes after it does not store its answer (the invalidation epoch changed meanwhile).

pub mod listener;

use std::{
    collections::HashMap,
    sync::{
        Arc, RwLock,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use actix_web::web::Bytes;
use uuid::Uuid;

struct Entry {
    /// The token's `exp` (seconds since the epoch).
    expires: i64,
    cached_at: Instant,
    body: Bytes,
}

#[derive(Default)]
struct Inner {
    tokens: HashMap<Arc<str>, Entry>,
    by_subject: HashMap<Uuid, Vec<Arc<str>>>,
}

pub struct UserinfoCache {
    inner: RwLock<Inner>,
    /// Bumped by every invalidation, so an answer read before it is not stored after it.
    epoch: AtomicU64,
    /// Whether invalidations are being received (the listener is connected and listening).
    live: AtomicBool,
    ttl: Duration,
    capacity: usize,
    metrics: Metrics,
}

/// `auth_gateway_userinfo_cache_requests_total{result}` (`hit` or `miss`) and
/// `auth_gateway_userinfo_cache_live` (1 while invalidations are received; alert when it stays
/// 0 with the cache enabled: every userinfo request then reads the database).
struct Metrics {
    requests: prometheus::IntCounterVec,
    hits: prometheus::IntCounter,
    misses: prometheus::IntCounter,
    live: prometheus::IntGauge,
}

impl Metrics {
    fn new() -> Self {
        let requests = prometheus::IntCounterVec::new(
            prometheus::Opts::new(
                "auth_gateway_userinfo_cache_requests_total",
                "Userinfo requests answered from memory (hit) or from the database (miss)",
            ),
            &["result"],
        )
        .expect("valid metric");
        Self {
            hits: requests.with_label_values(&["hit"]),
            misses: requests.with_label_values(&["miss"]),
            requests,
            live: prometheus::IntGauge::new(
                "auth_gateway_userinfo_cache_live",
                "1 while the userinfo cache receives invalidations and may serve",
            )
            .expect("valid metric"),
        }
    }
}

impl UserinfoCache {
    /// Adds the cache's metrics to `registry`.
    pub fn register(&self, registry: &prometheus::Registry) -> prometheus::Result<()> {
        registry.register(Box::new(self.metrics.requests.clone()))?;
        registry.register(Box::new(self.metrics.live.clone()))
    }

    /// A cache that serves nothing until [`UserinfoCache::set_live`] (a `ttl` of zero: never).
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            inner: RwLock::new(Inner::default()),
            epoch: AtomicU64::new(0),
            live: AtomicBool::new(false),
            ttl,
            capacity,
            metrics: Metrics::new(),
        }
    }

    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    /// The cached body for `token`, if live, unexpired and not invalidated.
    pub fn get(&self, token: &str) -> Option<Bytes> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        let body = {
            let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
            inner
                .tokens
                .get(token)
                .filter(|e| e.cached_at.elapsed() < self.ttl && e.expires > chrono::Utc::now().timestamp())
                .map(|e| e.body.clone())
        };
        match &body {
            Some(_) => self.metrics.hits.inc(),
            None => self.metrics.misses.inc(),
        }
        body
    }

    /// The current invalidation epoch; read it before reading the database.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Stores an answer read from the database after [`UserinfoCache::epoch`] returned `epoch`,
    /// unless an invalidation happened since.
    pub fn insert(&self, token: &str, subject: Uuid, expires: i64, body: Bytes, epoch: u64) {
        if !self.enabled() || !self.live.load(Ordering::Acquire) {
            return;
        }
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if self.epoch.load(Ordering::Acquire) != epoch {
            return;
        }
        if inner.tokens.len() >= self.capacity {
            let now = chrono::Utc::now().timestamp();
            let ttl = self.ttl;
            inner
                .tokens
                .retain(|_, e| e.expires > now && e.cached_at.elapsed() < ttl);
            if inner.tokens.len() >= self.capacity {
                inner.tokens.clear();
            }
            let Inner { tokens, by_subject } = &mut *inner;
            by_subject.retain(|_, list| {
                list.retain(|t| tokens.contains_key(t));
                !list.is_empty()
            });
        }
        let key: Arc<str> = Arc::from(token);
        let entry = Entry {
            expires,
            cached_at: Instant::now(),
            body,
        };
        if inner.tokens.insert(key.clone(), entry).is_none() {
            inner.by_subject.entry(subject).or_default().push(key);
        }
    }

    /// Drops every entry of `subject`.
    pub fn invalidate_subject(&self, subject: Uuid) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Some(tokens) = inner.by_subject.remove(&subject) {
            for token in tokens {
                inner.tokens.remove(&token);
            }
        }
    }

    /// Drops everything.
    pub fn invalidate_all(&self) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        self.epoch.fetch_add(1, Ordering::AcqRel);
        inner.tokens.clear();
        inner.by_subject.clear();
    }

    /// Starts or stops serving from the cache; either way it starts empty, since changes made
    /// while not listening were not seen.
    pub fn set_live(&self, live: bool) {
        self.invalidate_all();
        let live = live && self.enabled();
        self.live.store(live, Ordering::Release);
        self.metrics.live.set(i64::from(live));
    }

    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }

    /// Entries held (for tests and metrics).
    pub fn len(&self) -> usize {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn later() -> i64 {
        chrono::Utc::now().timestamp() + 300
    }

    #[test]
    fn serves_only_while_live_and_forgets_invalidated_subjects() {
        let cache = UserinfoCache::new(Duration::from_secs(60), 10);
        let (alice, bob) = (Uuid::new_v4(), Uuid::new_v4());
        cache.insert("a", alice, later(), Bytes::from_static(b"A"), cache.epoch());
        assert_eq!(cache.get("a"), None, "not live: nothing stored or served");
        cache.set_live(true);
        cache.insert("a", alice, later(), Bytes::from_static(b"A"), cache.epoch());
        cache.insert("b", bob, later(), Bytes::from_static(b"B"), cache.epoch());
        assert_eq!(cache.get("a").as_deref(), Some(&b"A"[..]));
        cache.invalidate_subject(alice);
        assert_eq!(cache.get("a"), None);
        assert_eq!(cache.get("b").as_deref(), Some(&b"B"[..]));
        cache.set_live(false);
        assert_eq!(cache.get("b"), None, "not listening: not trusted");
    }

    #[test]
    fn an_answer_read_before_an_invalidation_is_not_stored() {
        let cache = UserinfoCache::new(Duration::from_secs(60), 10);
        cache.set_live(true);
        let subject = Uuid::new_v4();
        let epoch = cache.epoch();
        cache.invalidate_subject(subject);
        cache.insert("a", subject, later(), Bytes::from_static(b"old"), epoch);
        assert_eq!(cache.get("a"), None);
    }

    #[test]
    fn expired_tokens_are_not_served_and_capacity_is_bounded() {
        let cache = UserinfoCache::new(Duration::from_secs(60), 2);
        cache.set_live(true);
        let past = chrono::Utc::now().timestamp() - 1;
        cache.insert("old", Uuid::new_v4(), past, Bytes::from_static(b"x"), cache.epoch());
        assert_eq!(cache.get("old"), None);
        for token in ["a", "b", "c"] {
            cache.insert(token, Uuid::new_v4(), later(), Bytes::from_static(b"x"), cache.epoch());
        }
        assert!(cache.len() <= 2);
        assert!(cache.get("c").is_some());
        let disabled = UserinfoCache::new(Duration::ZERO, 10);
        disabled.set_live(true);
        disabled.insert("a", Uuid::new_v4(), later(), Bytes::from_static(b"x"), disabled.epoch());
        assert_eq!(disabled.get("a"), None);
    }
}
