//! The account page's "Sign-in services" section (each linked provider with an "Unlink"
//! button, a plain CSRF-protected form) and `POST /account/social/unlink`.
//!
//! Unlinking is refused while the provider is the account's last way in. Ways in are a
//! password, another linked provider, and a passkey once the account can have them. The
//! e-mail code sign-in does not count: it is the recovery path every account has (its address
//! is verified), not a way the fan chose, and counting it would let a fan unlink their only
//! chosen way in without noticing; a fan who wants to leave a provider sets a password first
//! (the forgotten-password link), then unlinks it.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, http::header, web};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use store::auth::{
    federation::{self, Linked, Unlinked},
    sessions,
};

use super::words::{fill, words};
use crate::{
    federation::Providers,
    pages::{Lang, escape, layout},
    routes::{html::checked_form, html::html, login::unavailable},
    session_cookie,
    state::GatewayState,
};

/// The section listing `linked`, each with its unlink form.
pub fn linked_section(lang: Lang, csrf: &str, linked: &[Linked], providers: &Providers) -> String {
    let w = words(lang);
    let items: String = linked
        .iter()
        .map(|l| {
            let name = providers.name(&l.provider_id);
            format!(
                "<li><span><strong>{}</strong> <span class=\"muted\">{} {}{}</span></span>\
                 <form method=\"post\" action=\"/account/social/unlink\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
                 <input type=\"hidden\" name=\"provider\" value=\"{}\"><input type=\"hidden\" name=\"subject\" value=\"{}\">\
                 <button type=\"submit\" aria-label=\"{} {}\">{}</button></form></li>",
                escape(name),
                escape(w.linked_since),
                l.linked_at.format("%Y-%m-%d"),
                l.email_at_link
                    .as_deref()
                    .map(|e| format!(" · {}", escape(e)))
                    .unwrap_or_default(),
                escape(csrf),
                escape(&l.provider_id),
                escape(&l.upstream_subject),
                escape(w.unlink),
                escape(name),
                escape(w.unlink),
            )
        })
        .collect();
    let list = if linked.is_empty() {
        format!("<p class=\"muted\">{}</p>", escape(w.linked_none))
    } else {
        format!("<ul class=\"linked\">{items}</ul>")
    };
    format!(
        "<section aria-labelledby=\"linked\"><h2 id=\"linked\">{}</h2>{list}</section>",
        escape(w.linked_title)
    )
}

/// `POST /account/social/unlink`: removes a linked provider unless it is the last way in.
pub async fn unlink(req: HttpRequest, body: web::Bytes, state: web::Data<GatewayState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let Some(cookie) = req.cookie(session_cookie::NAME) else {
        return to("/login?return_to=%2Faccount");
    };
    let fields = match checked_form(&req, &body, lang) {
        Ok(fields) => fields,
        Err(answer) => return *answer,
    };
    let Ok(mut pooled) = state.pool.get().await else {
        return unavailable(lang);
    };
    let conn: &mut AsyncPgConnection = &mut pooled;
    let session = match sessions::find(conn, cookie.value()).await {
        Ok(Some(session)) => session,
        Ok(None) => return to("/login?return_to=%2Faccount"),
        Err(_) => return unavailable(lang),
    };
    let subject = session.subject;
    let provider = fields.get("provider").cloned().unwrap_or_default();
    let upstream_subject = fields.get("subject").cloned().unwrap_or_default();
    let outcome = conn
        .transaction::<_, diesel::result::Error, _>(async |tx: &mut AsyncPgConnection| {
            // The account's passkeys are ways in too, besides a password and other providers.
            let passkeys = store::auth::passkeys::count(tx, subject).await?;
            federation::unlink(tx, subject, &provider, &upstream_subject, passkeys).await
        })
        .await;
    let w = words(lang);
    let name = state.social.name(&provider).to_owned();
    let notice = |status: StatusCode, message: &str| {
        let body = format!(
            "<h1>{}</h1><p role=\"alert\">{}</p><a class=\"button\" href=\"/account\">{}</a>",
            escape(w.linked_title),
            escape(&fill(message, &name, "")),
            escape(crate::pages::texts(lang).continue_link)
        );
        html(status, layout(lang, w.linked_title, &body), None)
    };
    match outcome {
        Ok(Unlinked::Unlinked) => {
            tracing::info!(%subject, %provider, "Upstream identity unlinked");
            notice(StatusCode::OK, w.unlinked)
        }
        Ok(Unlinked::LastWayIn) => {
            tracing::info!(%subject, %provider, "Unlink refused: the last way in");
            notice(StatusCode::CONFLICT, w.last_way)
        }
        Ok(Unlinked::NotLinked) => to("/account"),
        Err(_) => unavailable(lang),
    }
}

fn to(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}
