//! Opening the session of a social sign-in, as the other sign-in paths open theirs.

use actix_web::{HttpRequest, HttpResponse, http::header};
use diesel_async::AsyncPgConnection;
use store::auth::{method::AuthMethod, sessions};
use uuid::Uuid;

use crate::{federation::binding, pages::Lang, routes::login, session_cookie, state::GatewayState};

/// Opens a session for `subject` as the password and e-mail code paths do (a new session at
/// every sign-in; the browser's previous one ends) and goes on to `return_to`.
pub(super) async fn signed_in(
    req: &HttpRequest,
    state: &GatewayState,
    conn: &mut AsyncPgConnection,
    subject: Uuid,
    method: AuthMethod,
    return_to: &str,
) -> HttpResponse {
    session_cookie::end_previous(req, conn).await;
    let Ok((session, _)) = sessions::create(conn, subject, method).await else {
        return login::unavailable(Lang::of_request(req));
    };
    state.userinfo_cache.invalidate_subject(subject);
    crate::routes::sign_in_history::record(&state.pool, subject, store::auth::sign_in_audit::Outcome::Success);
    tracing::info!(%subject, "Signed in through an upstream provider");
    let next = Some(return_to).filter(|r| login::safe_return(r)).unwrap_or("/");
    HttpResponse::SeeOther()
        .cookie(session_cookie::cookie(session))
        .cookie(binding::removal())
        .insert_header((header::LOCATION, next.to_owned()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}
