//! What the handlers and schedulers of more than one module share, in a module that depends on
//! no route module: the route modules (admin, contact API, export, shop, webhook) import it and
//! `app` builds it, so no import cycle runs through it. What only one route module uses (the
//! contact API's token rules and rate limit, the shop's sign-ins and sessions) is not here but
//! that module's own `web::Data`, also built by `app`.

use crate::{config::SimConfig, sender::SenderAuth, stats::Stats, store::Store};

/// Everything the handlers and schedulers share.
pub struct SimState {
    pub config: SimConfig,
    /// The simulator's own base URL, e.g. `http://127.0.0.1:8090`.
    pub base_url: String,
    pub store: Store,
    pub stats: Stats,
    /// How both webhooks (Contact Webhook V2, Data Export) authenticate, and their client.
    pub sender_auth: SenderAuth,
    pub http: reqwest::Client,
    /// Held for the whole of a Contact Webhook V2 run, so runs (scheduled or asked for at
    /// `/admin/webhook/run`) never overlap.
    pub(crate) webhook_run: tokio::sync::Mutex<()>,
}
