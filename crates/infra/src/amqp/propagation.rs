//! W3C trace context in AMQP headers, so one trace spans HTTP → queue → database.

use std::collections::HashMap;

use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use opentelemetry::propagation::{Extractor, Injector};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Headers (`traceparent`, `tracestate`) carrying the current span's context.
pub fn inject_current() -> FieldTable {
    let context = tracing::Span::current().context();
    let mut carrier = HashMap::new();
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&context, &mut MapCarrier(&mut carrier)));
    let mut headers = FieldTable::default();
    for (key, value) in carrier {
        headers.insert(ShortString::from(key), AMQPValue::LongString(LongString::from(value)));
    }
    headers
}

/// Makes `span` a child of the trace named in `headers`, when they carry one.
pub fn continue_trace(span: &tracing::Span, headers: Option<&FieldTable>) {
    let Some(headers) = headers else { return };
    let carrier: HashMap<String, String> = headers
        .inner()
        .iter()
        .filter_map(|(key, value)| {
            let text = match value {
                AMQPValue::LongString(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
                AMQPValue::ShortString(s) => s.as_str().to_owned(),
                _ => return None,
            };
            Some((key.as_str().to_owned(), text))
        })
        .collect();
    let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&MapExtractor(&carrier)));
    let _ = span.set_parent(parent);
}

struct MapCarrier<'a>(&'a mut HashMap<String, String>);

impl Injector for MapCarrier<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
}

struct MapExtractor<'a>(&'a HashMap<String, String>);

impl Extractor for MapExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}
