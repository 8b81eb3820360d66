//! The passkey benchmark's middle figure: a gateway sign-in without its HTTP. Each client
//! starts a discoverable ceremony, has its software passkey answer it, and then the gateway's
//! own steps run in this process: the passkey read (`store::auth::passkeys::find`),
//! webauthn-rs verification, and the one statement that writes the sign-in
//! (`store::auth::passkey_sign_in::sign_in`), on a pool of the gateway's size. Beside the
//! verification alone and the sign-ins through HTTP, it says what the database adds and what
//! the two requests add; durable writes included, it bounds what HTTP sign-ins can reach on
//! this machine.

use std::{sync::Arc, time::Duration};

use store::auth::{
    method::AuthMethod,
    passkey_sign_in::{self, SignedIn, Verified},
    passkeys,
};
use webauthn_rs::prelude::{DiscoverableKey, Passkey, PublicKeyCredential, Url, Webauthn, WebauthnBuilder};

use crate::passkey_authenticator::{ORIGIN, RP_ID, SoftPasskey};

/// Sign-ins per second, one task per passkey sharing `pool`; the passkeys come back with their
/// counters moved on.
pub async fn sign_in_rate(
    pool: &infra::db::PgPool,
    passkeys: Vec<SoftPasskey>,
    duration: Duration,
) -> anyhow::Result<(f64, Vec<SoftPasskey>)> {
    let webauthn = Arc::new(WebauthnBuilder::new(RP_ID, &Url::parse(ORIGIN)?)?.build()?);
    let fans = passkeys
        .into_iter()
        .map(|passkey| ((pool.clone(), webauthn.clone()), passkey))
        .collect();
    crate::passkey_fans::rate_of(fans, duration, |(pool, webauthn), device| {
        Box::pin(sign_in_once(pool, webauthn, device))
    })
    .await
}

/// One sign-in, the gateway's steps in its order; it must open a session.
async fn sign_in_once(pool: &infra::db::PgPool, webauthn: &Webauthn, device: &mut SoftPasskey) -> anyhow::Result<()> {
    let (options, state) = webauthn.start_discoverable_authentication()?;
    let options = serde_json::to_value(&options)?;
    let challenge = options["publicKey"]["challenge"].as_str().unwrap_or_default();
    let assertion: PublicKeyCredential = serde_json::from_value(device.assert(challenge)?)?;
    let mut conn = pool.get().await?;
    let (subject, credential_id) = webauthn.identify_discoverable_authentication(&assertion)?;
    let stored = passkeys::find(&mut conn, subject, credential_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the passkey is not stored"))?;
    let passkey: Passkey = serde_json::from_value(stored.credential)?;
    let result = webauthn.finish_discoverable_authentication(&assertion, state, &[DiscoverableKey::from(&passkey)])?;
    let verified = Verified {
        passkey: stored.id,
        subject,
        seen: stored.sign_count,
        counter: result.counter(),
        backup_state: result.backup_state(),
        ceremony: store::auth::passkey_ceremonies::new_id(),
        method: AuthMethod::HardwareKey,
    };
    match passkey_sign_in::sign_in(&mut conn, &verified).await? {
        SignedIn::Session(_) => Ok(()),
        other => anyhow::bail!("the sign-in was not written: {other:?}"),
    }
}
