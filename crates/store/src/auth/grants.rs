//! Whether an access token's grant still stands: its `jti` not revoked, its grant (refresh
//! token family) not revoked, and its account still able to sign in. Checked by `/userinfo`,
//! `/introspect` and the forward-auth endpoint, so revocation takes effect at once.

use diesel::prelude::*;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use super::{refresh_tokens, revoked_tokens};

/// An access token's identifiers: `jti`, `sub`, and `sid` (the refresh-token family, absent
/// for tokens issued without one).
pub struct Grant {
    pub jti: Uuid,
    pub subject: Uuid,
    pub family: Option<Uuid>,
}

pub async fn is_active(conn: &mut AsyncPgConnection, grant: &Grant) -> QueryResult<bool> {
    if revoked_tokens::is_revoked(conn, grant.jti).await? {
        return Ok(false);
    }
    if let Some(family) = grant.family
        && refresh_tokens::family_revoked(conn, family).await?
    {
        return Ok(false);
    }
    super::accounts::can_sign_in(conn, grant.subject).await
}
