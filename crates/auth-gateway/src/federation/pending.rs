//! Linking an upstream identity to an existing account once the fan has signed in to THAT
//! account by its own means (password or e-mail code) in the browser holding the `link`
//! stage's binding. The sign-in handlers call [`link_after_sign_in`] after their own success;
//! nothing else links an existing account.

use actix_web::{HttpRequest, cookie::Cookie};
use diesel_async::AsyncPgConnection;
use store::auth::federation::{
    self,
    requests::{self, Stage},
};
use uuid::Uuid;

use super::binding;

/// After `subject` signed in by password or e-mail code: the browser's pending link, if it is
/// for THAT account, is made. Returns the cookie removing the spent binding (`None` when the
/// browser had none). A pending link for another account is spent without linking.
pub async fn link_after_sign_in(
    req: &HttpRequest,
    conn: &mut AsyncPgConnection,
    subject: Uuid,
) -> Option<Cookie<'static>> {
    let value = binding::of_request(req)?;
    let pending = requests::take(conn, &value, Stage::Link).await.ok().flatten();
    if let Some(pending) = pending
        && let Some(upstream_subject) = &pending.upstream_subject
    {
        if pending.subject == Some(subject) {
            let provider = &pending.provider_id;
            match federation::link(conn, provider, upstream_subject, subject, pending.email.as_deref()).await {
                Ok(true) => tracing::info!(%subject, %provider, "Upstream identity linked after sign-in"),
                Ok(false) => tracing::warn!(%subject, %provider, "Upstream identity already linked to another account"),
                Err(error) => tracing::warn!(%error, "Upstream identity not linked"),
            }
        } else {
            tracing::info!(%subject, "Pending link dropped: another account signed in");
        }
    }
    Some(binding::removal())
}
