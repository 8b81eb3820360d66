//! Telemetry set-up: one `init` that installs structured logging (pretty or JSON, filtered by
//! `RUST_LOG`), optional OTLP trace export, and the W3C trace-context propagator.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::{Resource, propagation::TraceContextPropagator, trace::SdkTracerProvider};
use tracing_subscriber::{EnvFilter, Layer, filter::LevelFilter, layer::SubscriberExt, util::SubscriberInitExt};

use crate::config::{LogFormat, TelemetryArgs};

/// Flushes and stops trace export when dropped; keep it alive for the life of `main`.
#[must_use = "dropping the guard stops trace export"]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("trace export did not shut down cleanly: {error}");
        }
    }
}

/// Installs the global subscriber for `service_name`. Fails when the OTLP exporter cannot be
/// built (a malformed endpoint), so a bad configuration stops the service at start-up.
pub fn init(service_name: &'static str, args: &TelemetryArgs) -> anyhow::Result<TelemetryGuard> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = match args.log_format {
        LogFormat::Pretty => tracing_subscriber::fmt::layer().with_target(false).boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .boxed(),
    };
    // A tracer provider is always installed so every span has a trace id that propagates
    // through HTTP and AMQP headers; spans are exported only when an endpoint is configured.
    let provider = tracer_provider(service_name, args.otlp_endpoint.as_ref())?;
    // RUST_LOG filters what is printed only: spans stay recorded at INFO for tracing, so a
    // quiet log level does not break trace propagation.
    tracing_subscriber::registry()
        .with(fmt.with_filter(filter))
        .with(otel_layer(&provider, service_name))
        .try_init()?;
    let provider = Some(provider);
    Ok(TelemetryGuard { provider })
}

fn tracer_provider(service_name: &'static str, endpoint: Option<&url::Url>) -> anyhow::Result<SdkTracerProvider> {
    let mut builder =
        SdkTracerProvider::builder().with_resource(Resource::builder().with_service_name(service_name).build());
    if let Some(endpoint) = endpoint {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(endpoint.join("v1/traces")?.as_str())
            .build()?;
        builder = builder.with_batch_exporter(exporter);
    }
    let provider = builder.build();
    opentelemetry::global::set_tracer_provider(provider.clone());
    Ok(provider)
}

fn otel_layer<S>(provider: &SdkTracerProvider, name: &'static str) -> impl Layer<S>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    tracing_opentelemetry::layer()
        .with_tracer(provider.tracer(name))
        .with_filter(LevelFilter::INFO)
}

/// A quiet subscriber for tests: warnings only, written through the test harness.
pub fn init_for_tests() {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = EnvFilter::try_from_env("TEST_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    let Ok(provider) = tracer_provider("tests", None) else {
        return;
    };
    let _ = tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_test_writer().with_filter(filter))
        .with(otel_layer(&provider, "tests"))
        .try_init();
}
