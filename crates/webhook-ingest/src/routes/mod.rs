//! HTTP routes of `webhook-ingest`.

pub mod webhooks;
