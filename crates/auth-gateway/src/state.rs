//! What the gateway's handlers share.

use crate::{clients::ClientRegistry, keys::KeySet};

pub struct GatewayState {
    pub keys: KeySet,
    pub clients: ClientRegistry,
    /// The discovery document, built once.
    pub discovery: serde_json::Value,
}
