//! The passkey benchmark's fans at work: one task per fan, each with its own client and
//! software passkey, signing in again and again until the measurement is over. Shared by the
//! sign-ins through HTTP ([`crate::passkeys`]) and without ([`crate::passkeys_without_http`]).

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use crate::passkey_authenticator::SoftPasskey;

/// Sign-ins per second of one task per fan (its client `C` and its passkey), each repeating
/// `sign_in` until `duration` is over; every sign-in must succeed. The passkeys come back with
/// their counters moved on.
pub async fn rate_of<C: Send + 'static>(
    fans: Vec<(C, SoftPasskey)>,
    duration: Duration,
    sign_in: for<'a> fn(&'a mut C, &'a mut SoftPasskey) -> futures::future::BoxFuture<'a, anyhow::Result<()>>,
) -> anyhow::Result<(f64, Vec<SoftPasskey>)> {
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let tasks: Vec<_> = fans
        .into_iter()
        .map(|(mut client, mut device)| {
            let count = count.clone();
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    sign_in(&mut client, &mut device).await?;
                    count.fetch_add(1, Ordering::Relaxed);
                }
                Ok::<_, anyhow::Error>(device)
            })
        })
        .collect();
    let mut back = Vec::with_capacity(tasks.len());
    for task in tasks {
        back.push(task.await??);
    }
    Ok((
        AtomicU64::load(&count, Ordering::Relaxed) as f64 / duration.as_secs_f64(),
        back,
    ))
}
