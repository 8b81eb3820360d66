//! A software passkey for the passkey benchmark: a P-256 key pair (aws-lc-rs) whose assertions
//! are built as an authenticator and a browser would (authenticator data with the user present
//! and verified flags and a growing counter, `clientDataJSON` for the challenge and origin,
//! an ES256 signature over both), and its stored form, the webauthn-rs `Passkey` as JSON, as
//! an enrolment would have stored it. Nothing here parses CBOR; the gateway's verification is
//! webauthn-rs's.

use aws_lc_rs::{
    rand::SystemRandom,
    signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

/// The relying party of the benchmark's gateway.
pub const RP_ID: &str = "bench.example.org";
pub const ORIGIN: &str = "https://bench.example.org";

pub struct SoftPasskey {
    rp_id: String,
    origin: String,
    /// Whether assertions say the user was verified (a PIN or biometric); tests clear it.
    pub user_verified: bool,
    key: EcdsaKeyPair,
    rng: SystemRandom,
    pub credential_id: Vec<u8>,
    pub user: uuid::Uuid,
    counter: u32,
}

impl SoftPasskey {
    /// A new passkey of account `user` (its user handle) for the benchmark's relying party.
    pub fn new(user: uuid::Uuid) -> anyhow::Result<Self> {
        Self::for_relying_party(user, RP_ID, ORIGIN)
    }

    /// A new passkey of account `user` for relying party `rp_id`, used from pages at `origin`.
    pub fn for_relying_party(user: uuid::Uuid, rp_id: &str, origin: &str) -> anyhow::Result<Self> {
        let key =
            EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).map_err(|_| anyhow::anyhow!("no P-256 key"))?;
        let mut credential_id = vec![0u8; 32];
        aws_lc_rs::rand::fill(&mut credential_id).map_err(|_| anyhow::anyhow!("no randomness"))?;
        Ok(Self {
            rp_id: rp_id.to_owned(),
            origin: origin.to_owned(),
            user_verified: true,
            key,
            rng: SystemRandom::new(),
            credential_id,
            user,
            counter: 0,
        })
    }

    /// The webauthn-rs `Passkey` an enrolment of this key would have stored: device-bound
    /// (not backup-eligible), user-verified, no attestation.
    pub fn stored(&self) -> serde_json::Value {
        // The uncompressed point: 0x04, x, y.
        let point = self.key.public_key().as_ref();
        serde_json::json!({ "cred": {
            "cred_id": URL_SAFE_NO_PAD.encode(&self.credential_id),
            "cred": { "type_": "ES256", "key": { "EC_EC2": {
                "curve": "SECP256R1", "x": point[1..33].to_vec(), "y": point[33..65].to_vec(),
            } } },
            "counter": self.counter,
            "transports": null,
            "user_verified": true,
            "backup_eligible": false,
            "backup_state": false,
            "registration_policy": "required",
            "extensions": {},
            "attestation": { "data": "None", "metadata": "None" },
            "attestation_format": "None",
        } })
    }

    /// The `PublicKeyCredential` (as the gateway's page posts it) answering `challenge` (as
    /// the options carried it, base64url).
    pub fn assert(&mut self, challenge: &str) -> anyhow::Result<serde_json::Value> {
        self.counter += 1;
        let mut authenticator_data = Sha256::digest(self.rp_id.as_bytes()).to_vec();
        // User present (0x01) and verified (0x04).
        authenticator_data.push(if self.user_verified { 0x05 } else { 0x01 });
        authenticator_data.extend_from_slice(&self.counter.to_be_bytes());
        let client_data = serde_json::json!({
            "type": "webauthn.get", "challenge": challenge, "origin": self.origin, "crossOrigin": false,
        })
        .to_string();
        let mut signed = authenticator_data.clone();
        signed.extend_from_slice(&Sha256::digest(client_data.as_bytes()));
        let signature = self
            .key
            .sign(&self.rng, &signed)
            .map_err(|_| anyhow::anyhow!("signing failed"))?;
        let id = URL_SAFE_NO_PAD.encode(&self.credential_id);
        Ok(serde_json::json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "authenticatorData": URL_SAFE_NO_PAD.encode(&authenticator_data),
                "clientDataJSON": URL_SAFE_NO_PAD.encode(client_data.as_bytes()),
                "signature": URL_SAFE_NO_PAD.encode(signature.as_ref()),
                "userHandle": URL_SAFE_NO_PAD.encode(self.user.as_bytes()),
            },
            "extensions": {},
        }))
    }
}
