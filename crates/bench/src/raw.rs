//! Raw baselines: what the broker does with nothing of ours in the way.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use lapin::{
    BasicProperties, Channel, Connection, ConnectionProperties,
    options::{BasicPublishOptions, ConfirmSelectOptions},
};

/// The shape of a publishing load.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Messages in all.
    pub total: usize,
    /// Messages a task sends before awaiting their confirms.
    pub batch: usize,
    /// Concurrent tasks.
    pub concurrency: usize,
    /// Confirm-mode channels the tasks share.
    pub channels: usize,
}

/// Publishes `load.total` copies of `payload` to `exchange` as persistent, mandatory messages
/// with publisher confirms. Returns messages per second.
pub async fn confirmed_publish(
    amqp_url: &str,
    exchange: &str,
    routing_key: &str,
    payload: &[u8],
    load: Load,
) -> anyhow::Result<f64> {
    let Load {
        total,
        batch,
        concurrency,
        channels,
    } = load;
    let connection = Connection::connect(amqp_url, ConnectionProperties::default()).await?;
    let mut pool = Vec::new();
    for _ in 0..channels.max(1) {
        let channel = connection.create_channel().await?;
        channel.confirm_select(ConfirmSelectOptions::default()).await?;
        pool.push(channel);
    }
    let pool: Arc<Vec<Channel>> = Arc::new(pool);
    let next = Arc::new(AtomicUsize::new(0));
    let payload: Arc<[u8]> = payload.into();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (pool, next, payload) = (pool.clone(), next.clone(), payload.clone());
        let (exchange, routing_key) = (exchange.to_owned(), routing_key.to_owned());
        tasks.push(tokio::spawn(async move {
            let channel = &pool[worker % pool.len()];
            loop {
                let start = next.fetch_add(batch, Ordering::Relaxed);
                if start >= total {
                    return Ok::<_, anyhow::Error>(());
                }
                let count = batch.min(total - start);
                let mut confirms = Vec::with_capacity(count);
                for _ in 0..count {
                    let properties = BasicProperties::default().with_delivery_mode(2);
                    let options = BasicPublishOptions {
                        mandatory: true,
                        ..Default::default()
                    };
                    confirms.push(
                        channel
                            .basic_publish(
                                exchange.as_str().into(),
                                routing_key.as_str().into(),
                                options,
                                &payload,
                                properties,
                            )
                            .await?,
                    );
                }
                for confirm in futures::future::join_all(confirms).await {
                    let confirmation = confirm?;
                    anyhow::ensure!(
                        confirmation.is_ack() && confirmation.take_message().is_none(),
                        "not confirmed"
                    );
                }
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    let elapsed = started.elapsed().max(Duration::from_micros(1));
    let _ = connection.close(200, "baseline done".into()).await;
    Ok(total as f64 / elapsed.as_secs_f64())
}
