//! `GET /sync`: the sync at a glance. Not built yet: the page says so and points to the
//! sync-worker CLI, which has the dead-letter, replay and budget commands.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};

use super::signed_in;
use crate::{
    pages::{self, Lang, escape, translations::texts},
    state::ConsoleState,
};

pub async fn page(req: HttpRequest, state: web::Data<ConsoleState>) -> HttpResponse {
    let lang = Lang::of_request(&req);
    let staff = match signed_in(&req, &state).await {
        Ok(staff) => staff,
        Err(response) => return response,
    };
    let t = texts(lang);
    let body = format!("<h1>{}</h1><p>{}</p>", escape(t.sync), escape(t.sync_intro));
    pages::html(
        StatusCode::OK,
        state.gateway(),
        pages::layout(lang, state.gateway(), t.sync, Some(&staff), &body),
    )
}
