//! Operations endpoints every service serves (`/healthz`, `/readyz`, `/metrics`) and the
//! request-tracing middleware that continues a caller's W3C trace.

use std::{collections::HashMap, sync::Arc, time::Duration};

use actix_web::{
    Error, HttpRequest, HttpResponse,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    web,
};
use futures::future::{BoxFuture, join_all};
use opentelemetry::propagation::Extractor;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Seconds a client should wait before retrying when a dependency is down.
pub const RETRY_AFTER_SECONDS: u64 = 5;

/// How long one readiness check may take before the dependency counts as down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// One dependency probe: `Ok` when reachable, else a short reason without secrets.
pub type Check = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// The dependencies `/readyz` probes, by name.
#[derive(Clone, Default)]
pub struct Readiness {
    checks: Vec<(&'static str, Check)>,
}

impl Readiness {
    pub fn with(mut self, name: &'static str, check: Check) -> Self {
        self.checks.push((name, check));
        self
    }

    /// Runs every check concurrently; each result is `"ok"` or the reason it failed.
    pub async fn run(&self) -> (bool, HashMap<&'static str, String>) {
        let results = join_all(self.checks.iter().map(|(name, check)| async move {
            let outcome = match tokio::time::timeout(CHECK_TIMEOUT, check()).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(reason)) => Err(reason),
                Err(_) => Err("timed out".to_owned()),
            };
            (*name, outcome)
        }))
        .await;
        let ready = results.iter().all(|(_, outcome)| outcome.is_ok());
        let report = results
            .into_iter()
            .map(|(name, outcome)| (name, outcome.err().unwrap_or_else(|| "ok".into())))
            .collect();
        (ready, report)
    }
}

/// Registers `/healthz`, `/readyz` and `/metrics` on an app.
pub fn configure_ops(cfg: &mut web::ServiceConfig, readiness: Readiness, registry: prometheus::Registry) {
    cfg.app_data(web::Data::new(readiness))
        .app_data(web::Data::new(registry))
        .route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics));
}

/// Alive: the process answers. Never touches a dependency.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json_status("ok"))
}

/// Ready: every dependency answered within its timeout; else 503 with `Retry-After`.
async fn readyz(readiness: web::Data<Readiness>) -> HttpResponse {
    let (ready, checks) = readiness.run().await;
    let body = serde_json::json!({ "status": if ready { "ready" } else { "unavailable" }, "checks": checks });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", RETRY_AFTER_SECONDS.to_string()))
            .json(body)
    }
}

async fn metrics(registry: web::Data<prometheus::Registry>) -> HttpResponse {
    let families = registry.gather();
    match prometheus::TextEncoder::new().encode_to_string(&families) {
        Ok(text) => HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(text),
        Err(error) => {
            tracing::error!(%error, "Cannot encode metrics");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// Serves until `cancel` fires (or the server stops by itself), then drains in-flight
/// requests within the server's shutdown timeout. Cancels `cancel` on the way out, so the
/// service's other tasks stop too.
pub async fn serve_until_cancelled(
    server: actix_web::dev::Server,
    cancel: tokio_util::sync::CancellationToken,
) -> std::io::Result<()> {
    let handle = server.handle();
    let stopper = tokio::spawn({
        let cancel = cancel.clone();
        async move {
            cancel.cancelled().await;
            handle.stop(true).await;
        }
    });
    let served = server.await;
    cancel.cancel();
    let _ = stopper.await;
    served
}

fn serde_json_status(status: &str) -> serde_json::Value {
    serde_json::json!({ "status": status })
}

/// Middleware: one span per request, child of the caller's `traceparent` when present, with
/// the route template (never the raw path, which may carry identifiers) and the status.
pub async fn trace_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let span = tracing::info_span!(
        "http.request",
        http.method = %req.method(),
        http.route = %route,
        http.status_code = tracing::field::Empty,
    );
    let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(req.request())));
    let _ = span.set_parent(parent);
    let response = next.call(req).instrument(span.clone()).await?;
    span.record("http.status_code", response.status().as_u16());
    Ok(response)
}

struct HeaderExtractor<'a>(&'a HttpRequest);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.headers().get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.headers().keys().map(|k| k.as_str()).collect()
    }
}
