//! Building and running the ingest HTTP server.

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_web::{App, HttpServer, dev::Server, middleware::from_fn, web};
use futures::FutureExt;
use tokio_util::sync::CancellationToken;

use crate::{cli::Settings, dedup::Dedup, metrics::IngestMetrics, routes::webhooks};
use infra::{
    amqp::{Publisher, PublisherOptions, Topology},
    http::{Readiness, configure_ops, trace_requests},
};

/// How long in-flight requests may take to finish at shutdown (a publish waits at most the
/// confirm timeout, so this covers it).
const HTTP_DRAIN: Duration = Duration::from_secs(15);

pub struct Application {
    port: u16,
    server: Server,
    cancel: CancellationToken,
}

impl Application {
    /// Binds the listener (port 0 picks one). Does not wait for RabbitMQ: until it answers,
    /// `/readyz` and every webhook answer 503.
    pub async fn build(settings: Settings, cancel: CancellationToken) -> anyhow::Result<Self> {
        let authenticator = settings.auth.build()?;
        let topology = Topology::new(settings.amqp.amqp_name_prefix.clone());
        let publisher = Arc::new(Publisher::new(
            settings.amqp.amqp_url.clone(),
            topology.clone(),
            PublisherOptions {
                connection_name: "webhook-ingest".into(),
                channels: usize::from(settings.channels),
                confirm_timeout: settings.confirm_timeout,
                ..PublisherOptions::default()
            },
        ));
        if let Err(error) = publisher.ensure_connected().await {
            tracing::warn!(%error, "RabbitMQ not reachable at start-up; webhooks answer 503 until it is");
        }
        let registry = prometheus::Registry::new();
        let metrics = IngestMetrics::register(&registry)?;
        let readiness = Readiness::default().with("rabbitmq", {
            let publisher = publisher.clone();
            Arc::new(move || {
                let publisher = publisher.clone();
                async move { publisher.ensure_connected().await.map_err(|e| e.to_string()) }.boxed()
            })
        });
        let state = web::Data::new(webhooks::IngestState {
            publisher,
            topology,
            max_body_bytes: settings.max_body_bytes,
            authenticator,
            dedup: Dedup::new(settings.dedup_window),
            max_batch: settings.max_batch,
            metrics,
        });

        let listener = TcpListener::bind(settings.listen_addr)?;
        let port = listener.local_addr()?.port();
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(trace_requests))
                .app_data(state.clone())
                .configure(|cfg| configure_ops(cfg, readiness.clone(), registry.clone()))
                .service(
                    web::scope("/webhooks/secutix")
                        .service(post_only("/contacts", webhooks::contacts))
                        .service(post_only("/exports", webhooks::exports)),
                )
                .default_service(web::to(not_found))
        })
        .disable_signals()
        .shutdown_timeout(HTTP_DRAIN.as_secs());
        if let Some(workers) = settings.http_workers {
            server = server.workers(workers);
        }
        let server = server.listen(listener)?.run();
        tracing::info!(port, "webhook-ingest started");
        Ok(Self { port, server, cancel })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the token is cancelled, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        Ok(infra::http::serve_until_cancelled(self.server, self.cancel).await?)
    }
}

/// A resource that answers 405 with `Allow: POST` to any other method.
fn post_only<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(web::post().to(handler))
        .default_service(web::to(|| async {
            actix_web::HttpResponse::MethodNotAllowed()
                .insert_header(("Allow", "POST"))
                .json(serde_json::json!({ "error": "method_not_allowed", "message": "only POST is accepted here" }))
        }))
}

async fn not_found() -> actix_web::HttpResponse {
    actix_web::HttpResponse::NotFound().json(serde_json::json!({ "error": "not_found", "message": "no such endpoint" }))
}
