//! Password hashing: argon2id with OWASP's parameters (m=19456 KiB, t=2, p=1), run on the
//! hashing threads of [`HashPool`] (as many as may hash at once, at a lower priority than the
//! rest) so a burst of logins cannot exhaust memory or stall the async workers. Each running hash works in one of `concurrency` memory buffers that are kept
//! and reused, never allocated per hash: the allocator's per-thread arenas would otherwise each
//! keep a freed 19 MiB buffer, and fifty parallel sign-ins grew the process by hundreds of
//! MiB (`tests/journeys/gateway_memory.rs`). Unknown accounts and accounts without a password are checked against a
//! dummy hash, so timing does not reveal whether an account exists. A hash made with older
//! parameters is replaced at the next successful sign-in.
//!
//! Admission control (the on-sale rush): hashes wait for a permit in arrival order (tokio's
//! semaphore is fair), at most [`Admission::max_waiting`] of them and for at most
//! [`Admission::deadline`]; past either, the sign-in is shed with [`Busy`] and the fan gets a
//! page that retries by itself. Nothing else the gateway serves waits on this queue: sessions,
//! silent sign-ins, `/token`, `/userinfo`, JWKS and discovery never hash.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use argon2::{
    Argon2, Block, Params, PasswordHash,
    password_hash::{Output, ParamsString, SaltString},
};
use tokio::sync::Semaphore;

use crate::hash_pool::HashPool;

/// The memory of one running hash (argon2's blocks), grown to the parameters' size on use.
type Memory = Vec<Block>;

/// Longest password accepted, in bytes (longer ones are refused before hashing).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// How many hashes may wait for a permit, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct Admission {
    pub max_waiting: usize,
    pub deadline: Duration,
}

impl Default for Admission {
    /// About ten seconds of work at this machine's ~100 hashes/s, well below the 60 s after
    /// which reverse proxies and browsers give up on a request.
    fn default() -> Self {
        Self {
            max_waiting: 1000,
            deadline: Duration::from_secs(10),
        }
    }
}

/// The sign-in was shed: the hash queue is full, or the hash waited past its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the sign-in queue is full")]
pub struct Busy;

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// As many buffers as permits: a permit holder always finds one.
    memory: Arc<Mutex<Vec<Memory>>>,
    dummy: Arc<String>,
    admission: Admission,
    waiting: Arc<AtomicUsize>,
    metrics: QueueMetrics,
    threads: HashPool,
}

/// The queue as Prometheus sees it.
#[derive(Clone)]
struct QueueMetrics {
    depth: prometheus::IntGauge,
    shed: prometheus::IntCounter,
}

impl Passwords {
    /// `concurrency` hashes may run at once (each in its own 19 MiB buffer), on threads at
    /// [`crate::hash_pool::DEFAULT_NICE`].
    pub fn new(concurrency: usize) -> anyhow::Result<Self> {
        Self::with_nice(concurrency, crate::hash_pool::DEFAULT_NICE)
    }

    /// [`Self::new`] with hashing threads at niceness `nice`.
    pub fn with_nice(concurrency: usize, nice: i32) -> anyhow::Result<Self> {
        let concurrency = concurrency.max(1);
        let dummy = hash_blocking("not a password of anyone", &mut Memory::new())?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(concurrency)),
            memory: Arc::new(Mutex::new((0..concurrency).map(|_| Memory::new()).collect())),
            dummy: Arc::new(dummy),
            admission: Admission::default(),
            waiting: Arc::new(AtomicUsize::new(0)),
            threads: HashPool::new(concurrency, nice)?,
            metrics: QueueMetrics {
                depth: prometheus::IntGauge::new(
                    "auth_gateway_signin_queue_depth",
                    "Password hashes waiting for a hashing thread",
                )?,
                shed: prometheus::IntCounter::new(
                    "auth_gateway_signins_shed_total",
                    "Sign-ins answered with the busy page (queue full or wait past the deadline)",
                )?,
            },
        })
    }

    /// The same hasher with another admission policy.
    pub fn with_admission(mut self, admission: Admission) -> Self {
        self.admission = admission;
        self
    }

    /// Registers the queue's metrics.
    pub fn register(&self, registry: &prometheus::Registry) -> prometheus::Result<()> {
        registry.register(Box::new(self.metrics.depth.clone()))?;
        registry.register(Box::new(self.metrics.shed.clone()))
    }

    /// Whether a new sign-in would be shed now: the page asking for a password is not worth
    /// showing, the busy page is.
    pub fn saturated(&self) -> bool {
        self.waiting.load(Ordering::Relaxed) >= self.admission.max_waiting
    }

    /// Hashes a new password.
    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        anyhow::ensure!(password.len() <= MAX_PASSWORD_BYTES, "password too long");
        let password = password.to_owned();
        self.with_memory(move |memory| hash_blocking(&password, memory)).await?
    }

    /// Whether `password` matches `stored`. Always does the work of one verification, also
    /// when there is no stored hash (unknown account, or no password set yet).
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool, Busy> {
        if password.is_empty() || password.len() > MAX_PASSWORD_BYTES {
            return Ok(false);
        }
        let exists = stored.is_some();
        let hash = stored.map(str::to_owned).unwrap_or_else(|| self.dummy.as_ref().clone());
        let password = password.to_owned();
        let matched = match self
            .with_memory(move |memory| verify_blocking(&password, &hash, memory))
            .await
        {
            Ok(matched) => matched,
            Err(error) if error.is::<Busy>() => return Err(Busy),
            Err(_) => false,
        };
        Ok(exists && matched)
    }

    /// Runs `work` on a hashing thread with a permit and one of the kept buffers. The permit
    /// and the buffer go with the job, so a caller that gives up (a closed connection) cannot
    /// let another hash start while this one still runs.
    async fn with_memory<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let permit = self.admit().await?;
        let buffers = self.memory.clone();
        self.threads
            .run(move || {
                let mut memory = lock(&buffers).pop().unwrap_or_default();
                let result = work(&mut memory);
                lock(&buffers).push(memory);
                drop(permit);
                result
            })
            .await
    }
}

impl Passwords {
    /// A permit, in arrival order, unless the queue is full or the deadline passes first.
    async fn admit(&self) -> anyhow::Result<tokio::sync::OwnedSemaphorePermit> {
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Ok(permit);
        }
        let position = self.waiting.fetch_add(1, Ordering::SeqCst);
        self.metrics.depth.inc();
        let admitted = if position >= self.admission.max_waiting {
            None
        } else {
            tokio::time::timeout(self.admission.deadline, self.permits.clone().acquire_owned())
                .await
                .ok()
        };
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        self.metrics.depth.dec();
        match admitted {
            Some(permit) => Ok(permit?),
            None => {
                self.metrics.shed.inc();
                Err(Busy.into())
            }
        }
    }
}

fn lock(buffers: &Mutex<Vec<Memory>>) -> std::sync::MutexGuard<'_, Vec<Memory>> {
    buffers.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether `stored` was hashed with other parameters than [`Passwords::hash`] uses now (another
/// algorithm, version, memory, iterations or parallelism), so a sign-in should store a new hash.
pub fn needs_rehash(stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return true;
    };
    let current = argon2::Params::default();
    let param = |name: &str| parsed.params.get_decimal(name);
    parsed.algorithm != argon2::Algorithm::Argon2id.ident()
        || parsed.version != Some(argon2::Version::V0x13.into())
        || param("m") != Some(current.m_cost())
        || param("t") != Some(current.t_cost())
        || param("p") != Some(current.p_cost())
}

fn hash_blocking(password: &str, memory: &mut Memory) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| anyhow::anyhow!("no system randomness"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let argon2 = Argon2::default();
    let output = compute(&argon2, password.as_bytes(), salt.as_salt(), memory)?;
    let hash = PasswordHash {
        algorithm: argon2::Algorithm::Argon2id.ident(),
        version: Some(argon2::Version::V0x13.into()),
        params: ParamsString::try_from(argon2.params()).map_err(|e| anyhow::anyhow!("parameters: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// Whether `password` gives `stored`'s output with `stored`'s algorithm, version, parameters
/// (the output length included) and salt, compared in constant time.
fn verify_blocking(password: &str, stored: &str, memory: &mut Memory) -> bool {
    fn matches(password: &str, stored: &str, memory: &mut Memory) -> anyhow::Result<bool> {
        let parsed = PasswordHash::new(stored).map_err(|e| anyhow::anyhow!("{e}"))?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Ok(false);
        };
        let algorithm = argon2::Algorithm::try_from(parsed.algorithm).map_err(|e| anyhow::anyhow!("{e}"))?;
        let version = parsed
            .version
            .map(argon2::Version::try_from)
            .transpose()
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .unwrap_or_default();
        let params = Params::try_from(&parsed).map_err(|e| anyhow::anyhow!("{e}"))?;
        let computed = compute(
            &Argon2::new(algorithm, version, params),
            password.as_bytes(),
            salt,
            memory,
        )?;
        // `Output`'s equality is constant-time.
        Ok(computed == expected)
    }
    matches(password, stored, memory).unwrap_or(false)
}

/// The most memory a stored hash may ask for (256 MiB); a larger one is refused, not computed.
const MAX_BLOCKS: usize = 256 * 1024;

/// argon2's output for `password` and `salt`, computed in `memory` grown up to the current
/// parameters' size; a hash with larger parameters (made before they were lowered) works in a
/// buffer of its own, so the kept ones never outgrow the bound.
fn compute(
    argon2: &Argon2<'_>,
    password: &[u8],
    salt: argon2::password_hash::Salt<'_>,
    memory: &mut Memory,
) -> anyhow::Result<Output> {
    let blocks = argon2.params().block_count();
    anyhow::ensure!(blocks <= MAX_BLOCKS, "a hash asking for {blocks} KiB is refused");
    let mut own = Memory::new();
    let memory = if blocks <= Params::default().block_count() {
        memory
    } else {
        &mut own
    };
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let mut salt_bytes = [0u8; 64];
    let salt = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let length = argon2.params().output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    Output::init_with(length, |out| {
        argon2
            .hash_password_into_with_memory(password, salt, out, &mut memory[..])
            .map_err(Into::into)
    })
    .map_err(|e| anyhow::anyhow!("hash: {e}"))
}

#[cfg(test)]
mod tests {
    use argon2::{PasswordHasher, PasswordVerifier};

    use super::*;

    /// `password` hashed by the argon2 crate's own API with `algorithm`, `m_cost` KiB and
    /// `t_cost` passes (one lane, a fixed salt).
    fn crate_hash(algorithm: argon2::Algorithm, m_cost: u32, t_cost: u32, password: &[u8]) -> String {
        let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
        Argon2::new(
            algorithm,
            argon2::Version::V0x13,
            Params::new(m_cost, t_cost, 1, None).expect("params"),
        )
        .hash_password(password, &salt)
        .expect("hash")
        .to_string()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sign_ins_are_served_in_arrival_order_and_shed_past_the_queue() {
        let passwords = Passwords::new(1).expect("ready").with_admission(Admission {
            max_waiting: 3,
            deadline: Duration::from_secs(60),
        });
        // The one hashing permit, held here: a hash running as long as the test wants.
        let running = passwords.permits.clone().acquire_owned().await.expect("permit");
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..3 {
            let (passwords, order) = (passwords.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                let hashed = passwords.hash("correct horse battery").await;
                lock_order(&order).push(i);
                hashed
            }));
            // Three waiting, in this order.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(passwords.saturated(), "three wait: the queue is full");
        let shed = passwords.verify("correct horse battery", None).await;
        assert_eq!(shed, Err(Busy), "a fifth is shed at once");
        assert_eq!(passwords.metrics.shed.get(), 1);
        drop(running);
        for task in tasks {
            task.await.expect("joined").expect("hashed");
        }
        assert_eq!(*lock_order(&order), vec![0, 1, 2], "first come, first served");
        assert!(!passwords.saturated());
        assert_eq!(passwords.metrics.depth.get(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sign_in_waiting_past_its_deadline_is_shed() {
        let passwords = Passwords::new(1).expect("ready").with_admission(Admission {
            max_waiting: 10,
            deadline: Duration::from_millis(1),
        });
        let running = {
            let passwords = passwords.clone();
            tokio::spawn(async move { passwords.hash("correct horse battery").await })
        };
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(passwords.hash("another password").await.is_err_and(|e| e.is::<Busy>()));
        running.await.expect("joined").expect("the first one is served");
    }

    fn lock_order(order: &Mutex<Vec<i32>>) -> std::sync::MutexGuard<'_, Vec<i32>> {
        order.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    #[tokio::test]
    async fn hashes_with_owasp_parameters_and_unique_salts() {
        let passwords = Passwords::new(2).expect("ready");
        let a = passwords.hash("correct horse battery").await.expect("hash");
        let b = passwords.hash("correct horse battery").await.expect("hash");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "a unique salt per hash");
        assert!(
            passwords
                .verify("correct horse battery", Some(&a))
                .await
                .expect("admitted")
        );
        assert!(
            !passwords
                .verify("correct horse batter", Some(&a))
                .await
                .expect("admitted")
        );
    }

    #[test]
    fn hashes_with_older_parameters_need_a_rehash() {
        let weak = crate_hash(argon2::Algorithm::Argon2id, 4096, 1, b"pw");
        assert!(needs_rehash(&weak), "{weak}");
        let current = Params::default();
        let argon2i = crate_hash(argon2::Algorithm::Argon2i, current.m_cost(), current.t_cost(), b"pw");
        assert!(needs_rehash(&argon2i));
        assert!(!needs_rehash(&hash_blocking("pw", &mut Memory::new()).expect("hash")));
        assert!(needs_rehash("not a hash"));
    }

    #[tokio::test]
    async fn nothing_authenticates_without_a_stored_hash() {
        let passwords = Passwords::new(1).expect("ready");
        assert!(
            !passwords
                .verify("not a password of anyone", None)
                .await
                .expect("admitted"),
            "the dummy hash never matches"
        );
        assert!(!passwords.verify("", None).await.expect("admitted"));
        let stored = passwords.hash("x".repeat(20).as_str()).await.expect("hash");
        assert!(
            !passwords.verify("", Some(&stored)).await.expect("admitted"),
            "an empty password never matches"
        );
        assert!(
            !passwords
                .verify(&"x".repeat(MAX_PASSWORD_BYTES + 1), Some(&stored))
                .await
                .expect("admitted")
        );
        assert!(passwords.hash(&"x".repeat(MAX_PASSWORD_BYTES + 1)).await.is_err());
    }

    /// The reused buffers give the same hashes as the argon2 crate's own API, both ways, for
    /// the current parameters and for smaller and larger ones.
    #[tokio::test]
    async fn hashes_interoperate_with_the_argon2_crate_whatever_the_parameters() {
        let passwords = Passwords::new(1).expect("ready");
        let ours = passwords.hash("correct horse battery").await.expect("hash");
        let parsed = PasswordHash::new(&ours).expect("a PHC string");
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"correct horse batterY", &parsed)
                .is_err()
        );
        for m_cost in [4096, 19456, 65536] {
            let theirs = crate_hash(argon2::Algorithm::Argon2id, m_cost, 2, b"pw of ten chars");
            assert!(
                passwords
                    .verify("pw of ten chars", Some(&theirs))
                    .await
                    .expect("admitted"),
                "m={m_cost}"
            );
            assert!(
                !passwords
                    .verify("pw of ten chart", Some(&theirs))
                    .await
                    .expect("admitted"),
                "m={m_cost}"
            );
        }
    }

    /// A hash with larger parameters is verified in a buffer of its own; one asking for more
    /// than the ceiling is refused without being computed.
    #[test]
    fn kept_buffers_stay_at_the_current_size() {
        let larger = crate_hash(argon2::Algorithm::Argon2id, 65536, 1, b"pw of ten chars");
        let mut kept = Memory::new();
        assert!(verify_blocking("pw of ten chars", &larger, &mut kept));
        assert!(
            kept.len() <= Params::default().block_count(),
            "{} blocks kept",
            kept.len()
        );
        let huge = larger.replace("m=65536", &format!("m={}", MAX_BLOCKS + 1));
        assert!(!verify_blocking("pw of ten chars", &huge, &mut kept));
        assert!(kept.len() <= Params::default().block_count());
    }
}
