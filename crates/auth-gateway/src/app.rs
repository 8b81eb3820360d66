//! Building and running the gateway's HTTP server. For now it serves the operations endpoints;
//! the OpenID Connect endpoints are added on this skeleton.

use std::{net::TcpListener, time::Duration};

use actix_web::{App, HttpResponse, HttpServer, dev::Server, middleware::from_fn, web};
use tokio_util::sync::CancellationToken;

use crate::cli::Settings;
use infra::http::{Readiness, configure_ops, trace_requests};

/// How long in-flight requests may take to finish at shutdown.
const HTTP_DRAIN: Duration = Duration::from_secs(10);

pub struct Application {
    port: u16,
    server: Server,
    cancel: CancellationToken,
}

impl Application {
    /// Binds the listener (port 0 picks one). The database is reached lazily; `/readyz` says
    /// whether it answers.
    pub async fn build(settings: Settings, cancel: CancellationToken) -> anyhow::Result<Self> {
        let pool = infra::db::pool(&settings.database)?;
        let readiness = Readiness::default().with("postgres", infra::db::readiness_check(&pool));
        let registry = prometheus::Registry::new();
        let listener = TcpListener::bind(settings.listen_addr)?;
        let port = listener.local_addr()?.port();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(trace_requests))
                .configure(|cfg| configure_ops(cfg, readiness.clone(), registry.clone()))
                .default_service(web::to(|| async {
                    HttpResponse::NotFound().json(
                        serde_json::json!({ "error": "not_found", "message": "no such endpoint" }),
                    )
                }))
        })
        .disable_signals()
        .shutdown_timeout(HTTP_DRAIN.as_secs())
        .listen(listener)?
        .run();
        tracing::info!(port, "auth-gateway started");
        Ok(Self {
            port,
            server,
            cancel,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the token is cancelled, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let cancel = self.cancel.clone();
        let stopper = tokio::spawn(async move {
            cancel.cancelled().await;
            handle.stop(true).await;
        });
        self.server.await?;
        self.cancel.cancel();
        stopper.await?;
        Ok(())
    }
}
