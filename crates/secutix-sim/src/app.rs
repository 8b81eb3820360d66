//! Starting the simulator: builds the shared state ([`SimState`]) and each route module's own
//! data, then runs one HTTP server (admin API, contact API, shop, `/healthz`) and the webhook
//! schedulers, all stopped by one cancellation token. Only this module wires the route modules
//! together; they meet through the state, never by importing `app`.

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_web::{App, HttpServer, middleware::from_fn, web};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::{
    admin,
    api::{self, Admission},
    config::SimConfig,
    demo, export,
    sender::SenderAuth,
    shop::{self, Shop},
    state::SimState,
    stats::Stats,
    store::Store,
    webhook,
};

/// The simulator, started in-process (tests) or by `secutix-sim run`.
pub struct Simulator;

impl Simulator {
    /// Validates the configuration, seeds the demo contacts, binds `listen_addr` (port 0
    /// picks one) and starts serving and the schedulers. Stops when the handle's token is
    /// cancelled (or the handle is dropped).
    pub async fn start(config: SimConfig) -> anyhow::Result<SimHandle> {
        let sender_auth = SenderAuth::from_config(&config.webhook.auth)?;
        let listener = TcpListener::bind(config.listen_addr)?;
        let port = listener.local_addr()?.port();
        let base_url = match &config.public_url {
            Some(url) => url.as_str().trim_end_matches('/').to_owned(),
            None => format!("http://{}:{port}", config.listen_addr.ip()),
        };
        let http = reqwest::Client::builder()
            .timeout(config.webhook.webhook_timeout)
            .build()?;
        // Built once, outside the per-worker factory, so every worker shares them.
        let admission = web::Data::new(Admission::new(&config.api));
        let shop = web::Data::new(Shop::new(&config.shop, &base_url));
        let shop_enabled = shop.is_some();
        let state = Arc::new(SimState {
            base_url: base_url.clone(),
            store: Store::new(),
            stats: Stats::default(),
            sender_auth,
            http,
            webhook_run: tokio::sync::Mutex::new(()),
            config,
        });
        demo::seed(&state.store, state.config.seed)?;

        let data = web::Data::from(state.clone());
        // The simulator's counters are at /admin/stats; /metrics serves an empty registry.
        let registry = prometheus::Registry::new();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(infra::http::trace_requests))
                .app_data(data.clone())
                .app_data(admission.clone())
                .app_data(shop.clone())
                // Request bodies (admin, contact API) up to 1 MiB.
                .app_data(web::PayloadConfig::new(1 << 20))
                .configure(|cfg| infra::http::configure_ops(cfg, infra::http::Readiness::default(), registry.clone()))
                .configure(admin::configure)
                .configure(api::configure)
                .configure(shop::configure)
                .default_service(web::to(not_found))
        })
        .workers(2)
        .disable_signals()
        .shutdown_timeout(Duration::from_secs(5).as_secs())
        .listen(listener)?
        .run();

        let cancel = CancellationToken::new();
        let (webhook_every, export_every) = (
            state.config.webhook.webhook_interval,
            state.config.export.export_interval,
        );
        webhook::spawn_every(webhook_every, cancel.clone(), state.clone(), |state| async move {
            webhook::run_once(&state).await;
        });
        webhook::spawn_every(export_every, cancel.clone(), state.clone(), |state| async move {
            export::run_once(&state).await;
        });
        let task = tokio::spawn(infra::http::serve_until_cancelled(server, cancel.clone()));
        tracing::info!(port, %base_url, "secutix-sim started");
        if shop_enabled {
            tracing::info!(redirect_uri = %format!("{base_url}/shop/callback"), "Ticket shop enabled; register this redirect URI at the identity provider");
        }
        Ok(SimHandle {
            base_url,
            port,
            state,
            cancel,
            task: Some(task),
        })
    }
}

async fn not_found() -> actix_web::HttpResponse {
    actix_web::HttpResponse::NotFound().json(serde_json::json!({ "error": "not_found", "message": "no such endpoint" }))
}

/// A running simulator.
pub struct SimHandle {
    base_url: String,
    port: u16,
    state: Arc<SimState>,
    cancel: CancellationToken,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl SimHandle {
    /// `http://<host>:<port>`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The store, counters and configuration, for in-process tests.
    pub fn state(&self) -> &Arc<SimState> {
        &self.state
    }

    /// The token that stops the simulator.
    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Runs until the token is cancelled (or the server stops), then drains.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        match self.task.take() {
            Some(task) => Ok(task.await??),
            None => Ok(()),
        }
    }

    /// Requests a graceful stop and waits for it.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.cancel.cancel();
        self.wait().await
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}
