//! What the gateway's handlers share.

use crate::keys::KeySet;

pub struct GatewayState {
    pub keys: KeySet,
    /// The discovery document, built once.
    pub discovery: serde_json::Value,
}
