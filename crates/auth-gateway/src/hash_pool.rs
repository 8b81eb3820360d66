//! The threads that run argon2id: a fixed set started with the hasher, each at a lower
//! scheduling priority (a higher niceness, [`DEFAULT_NICE`] unless configured) than the HTTP
//! workers and PostgreSQL. During a sign-in storm the hashes keep every core busy; at normal
//! priority a silent sign-in, a token or a userinfo request then waits for the scheduler behind
//! them. At nice 5 the kernel gives a hash about a third of a normal thread's share while
//! anything else wants the CPU, and the whole machine when nothing does, so the sign-in rate is
//! unchanged and the other requests preempt the hashes instead of queueing behind them. (At 10,
//! a tenth: on a machine crowded by other processes, sign-ins would slow to a crawl.)

use std::{
    panic::AssertUnwindSafe,
    sync::{Arc, Mutex, mpsc},
};

/// The hashing threads' niceness unless configured (0 is the system's default, 19 the lowest
/// priority).
pub const DEFAULT_NICE: i32 = 5;

type Job = Box<dyn FnOnce() + Send>;

/// See the module documentation. The threads end when the last clone of the pool is dropped.
#[derive(Clone)]
pub struct HashPool {
    jobs: mpsc::Sender<Job>,
}

impl HashPool {
    /// Starts `threads` hashing threads at niceness `nice`.
    pub fn new(threads: usize, nice: i32) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || serve(&queue, nice))?;
        }
        Ok(Self { jobs })
    }

    /// Runs `work` on a hashing thread and returns its result; `Err` if it panicked.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            if let Ok(value) = std::panic::catch_unwind(AssertUnwindSafe(work)) {
                let _ = done.send(value);
            }
        });
        self.jobs
            .send(job)
            .map_err(|_| anyhow::anyhow!("the hashing threads have stopped"))?;
        result.await.map_err(|_| anyhow::anyhow!("a password hash failed"))
    }
}

/// One hashing thread: lowers its own priority, then runs jobs until the pool is dropped.
fn serve(queue: &Mutex<mpsc::Receiver<Job>>, nice: i32) {
    // The thread id as a process id: on Linux this changes this thread alone.
    if let Err(error) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), nice) {
        tracing::warn!(%error, "The hashing thread keeps the default priority");
    }
    loop {
        let next = queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).recv();
        match next {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The niceness of the thread running this, from `/proc` (field 19 of its `stat`).
    fn own_niceness() -> i32 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("procfs");
        let after_name = &stat[stat.rfind(')').expect("a stat line") + 2..];
        after_name
            .split(' ')
            .nth(16)
            .expect("the nice field")
            .parse()
            .expect("a number")
    }

    #[tokio::test]
    async fn hashes_run_at_a_lower_priority_than_the_rest_and_a_panic_is_an_error() {
        let caller = own_niceness();
        let pool = HashPool::new(2, 7).expect("threads");
        assert_eq!(pool.run(own_niceness).await.expect("ran"), 7);
        assert_eq!(own_niceness(), caller, "the caller keeps its priority");
        assert!(pool.run(|| panic!("a failing hash")).await.is_err());
        // The thread that caught the panic serves the next hash.
        for _ in 0..4 {
            assert_eq!(pool.run(|| 2 + 2).await.expect("ran"), 4);
        }
    }
}
