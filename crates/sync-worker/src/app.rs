//! The running worker: the consumer plus the operations HTTP server, stopped together by one
//! cancellation token.

use std::{
    net::TcpListener,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use actix_web::{App, HttpServer, dev::Server, middleware::from_fn, web};
use futures::FutureExt;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::{cli::RunArgs, consumer::Consumer, metrics::WorkerMetrics, writer::Writer};
use infra::{
    amqp::Topology,
    http::{Readiness, configure_ops, trace_requests},
};

/// How long in-flight HTTP requests may take to finish at shutdown.
const HTTP_DRAIN: Duration = Duration::from_secs(10);

pub struct Worker {
    port: u16,
    server: Server,
    consumer: JoinHandle<()>,
    mailer: JoinHandle<()>,
    commands: JoinHandle<()>,
    /// The tasks that call S-360 (links, write-back, scheduled reconciliation).
    secutix: Vec<JoinHandle<()>>,
    cancel: CancellationToken,
}

impl Worker {
    /// Binds the operations listener (port 0 picks one) and starts consuming.
    pub async fn build(args: RunArgs, cancel: CancellationToken) -> anyhow::Result<Self> {
        let pool = store::pool(&args.database)?;
        let registry = prometheus::Registry::new();
        let metrics = WorkerMetrics::register(&registry)?;
        let consuming = Arc::new(AtomicBool::new(false));
        let secutix_metrics = metrics.clone();
        let command_metrics = metrics.clone();
        let consumer = Consumer {
            amqp_url: args.amqp.amqp_url.clone(),
            topology: Topology::new(args.amqp.amqp_name_prefix.clone()),
            prefetch: args.prefetch,
            batch_size: usize::from(args.batch_size),
            rules: args.rules.clone(),
            writer: Writer {
                pool: pool.clone(),
                metrics: metrics.clone(),
            },
            metrics,
            consuming: consuming.clone(),
        };
        let readiness = Readiness::default()
            .with("postgres", infra::db::readiness_check(&pool))
            .with("rabbitmq", {
                Arc::new(move || {
                    let consuming = consuming.load(Ordering::Relaxed);
                    async move { if consuming { Ok(()) } else { Err("not consuming".into()) } }.boxed()
                })
            });

        let listener = TcpListener::bind(args.listen_addr)?;
        let port = listener.local_addr()?.port();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(trace_requests))
                .configure(|cfg| configure_ops(cfg, readiness.clone(), registry.clone()))
                .default_service(web::to(|| async { actix_web::HttpResponse::NotFound().finish() }))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(HTTP_DRAIN.as_secs())
        .listen(listener)?
        .run();
        // One contact API client for the process: one rate limiter for every task that calls.
        let client = crate::budget::client(&args.secutix, &pool)?;
        let commands = tokio::spawn(
            crate::commands::CommandConsumer {
                amqp_url: args.amqp.amqp_url.clone(),
                topology: Topology::new(args.amqp.amqp_name_prefix.clone()),
                pool: pool.clone(),
                reconciler: client.clone().map(|client| crate::reconcile::Reconciler {
                    pool: pool.clone(),
                    client,
                    rules: args.rules.clone(),
                    metrics: command_metrics.clone(),
                }),
                metrics: command_metrics,
                rules: args.rules.clone(),
            }
            .run(cancel.clone()),
        );
        let mailer = tokio::spawn(crate::mailer::Mailer::new(pool.clone(), &args.mail)?.run(cancel.clone()));
        let consumer = tokio::spawn(consumer.run(cancel.clone()));
        let secutix = crate::secutix_tasks::spawn(&args, client, &pool, &secutix_metrics, &cancel)?;
        tracing::info!(port, "sync-worker started");
        Ok(Self {
            port,
            server,
            consumer,
            mailer,
            commands,
            secutix,
            cancel,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs until the token is cancelled, then stops consuming and drains HTTP.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        infra::http::serve_until_cancelled(self.server, self.cancel).await?;
        self.consumer.await?;
        self.mailer.await?;
        self.commands.await?;
        for task in self.secutix {
            task.await?;
        }
        Ok(())
    }
}
