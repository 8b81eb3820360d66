//! Building and running the console's HTTP server.

use std::{net::TcpListener, time::Duration};

use actix_web::{App, HttpResponse, HttpServer, dev::Server, http::header, middleware::from_fn, web};
use tokio_util::sync::CancellationToken;

use crate::{
    actions,
    cli::Settings,
    erasures,
    metrics::ConsoleMetrics,
    oidc,
    pages::CONSOLE_CSS,
    state::{ConsoleState, OidcClient},
    tasks, views,
};
use infra::http::{Readiness, configure_ops, trace_requests};

/// How long in-flight requests may take to finish at shutdown.
const HTTP_DRAIN: Duration = Duration::from_secs(10);
/// How long a call to the gateway may take.
const GATEWAY_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Application {
    port: u16,
    server: Server,
    cancel: CancellationToken,
}

impl Application {
    /// Binds the listener (port 0 picks one). Does not wait for PostgreSQL: until it answers,
    /// `/readyz` and every page answer 503.
    pub async fn build(settings: Settings, cancel: CancellationToken) -> anyhow::Result<Self> {
        let client_secret = settings
            .client_secret
            .clone()
            .ok_or_else(|| anyhow::anyhow!("CONSOLE_CLIENT_SECRET is required to serve"))?;
        let pool = infra::db::pool(&settings.database)?;
        let registry = prometheus::Registry::new();
        let metrics = ConsoleMetrics::register(&registry)?;
        let readiness = Readiness::default().with("postgres", infra::db::readiness_check(&pool));
        let http = reqwest::Client::builder()
            .timeout(GATEWAY_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let topology = infra::amqp::Topology::new(settings.amqp.amqp_name_prefix.clone());
        // Connected on first use: the console reads without the broker, and a resend answers
        // 503 while it is away.
        let publisher = std::sync::Arc::new(infra::amqp::Publisher::new(
            settings.amqp.amqp_url.clone(),
            topology.clone(),
            infra::amqp::PublisherOptions {
                connection_name: "support-console".into(),
                channels: 1,
                ..infra::amqp::PublisherOptions::default()
            },
        ));
        let state = web::Data::new(ConsoleState {
            pool,
            metrics,
            publisher,
            topology,
            amqp_url: settings.amqp.amqp_url.clone(),
            oidc: OidcClient {
                issuer: settings.issuer_id(),
                gateway_base: settings.gateway_base(),
                client_id: settings.client_id.clone(),
                client_secret,
                redirect_uri: settings.redirect_uri(),
                http,
            },
        });

        let listener = TcpListener::bind(settings.listen_addr)?;
        let port = listener.local_addr()?.port();
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(trace_requests))
                .app_data(state.clone())
                .configure(|cfg| configure_ops(cfg, readiness.clone(), registry.clone()))
                .route("/", web::get().to(views::search::page))
                .route("/console.css", web::get().to(style))
                .route("/console.js", web::get().to(views::live_queues::script))
                .route("/login", web::get().to(oidc::login))
                .route("/callback", web::get().to(oidc::callback))
                .route("/logout", web::post().to(actions::logout))
                .route("/fans/{key}", web::get().to(views::fan::page))
                .route("/fans/{key}/unlock", web::post().to(actions::unlock))
                .route("/fans/{key}/revoke-sessions", web::post().to(actions::revoke_sessions))
                .route("/fans/{key}/resend-mail", web::post().to(actions::resend_mail))
                // The actions on S-360 tasks, the verification mail and erasure requests.
                .route(
                    "/fans/{key}/resend-verification",
                    web::post().to(actions::resend_verification),
                )
                .route("/fans/{key}/retry", web::post().to(tasks::retry))
                .route("/fans/{key}/conflict", web::post().to(tasks::resolve_conflict))
                .route("/fans/{key}/reconcile", web::post().to(tasks::reconcile))
                .route("/erasures", web::get().to(erasures::page))
                .route("/erasures/{id}/complete", web::post().to(erasures::complete))
                .route("/sync", web::get().to(views::sync::page))
                .route("/sync/queues.json", web::get().to(views::live_queues::depths))
                .route("/sync/redrive", web::post().to(views::dead_letters::redrive))
                .route("/sync/replays", web::post().to(views::replay_requests::request))
                .route("/sync/replays/{id}", web::get().to(views::replays::page))
                .route("/sync/replays/{id}/run", web::post().to(views::replay_requests::run))
                .route("/audit", web::get().to(views::audit::page))
                .route("/audit.jsonl", web::get().to(views::audit::export))
                .default_service(web::to(not_found))
        })
        .disable_signals()
        .shutdown_timeout(HTTP_DRAIN.as_secs());
        if let Some(workers) = settings.http_workers {
            server = server.workers(workers);
        }
        let server = server.listen(listener)?.run();
        tracing::info!(port, "support-console started");
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

async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .content_type("text/css; charset=utf-8")
        .body(CONSOLE_CSS)
}

async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(serde_json::json!({ "error": "not_found", "message": "no such page" }))
}
