//! Fuzzes the checks of an authorization request, `auth_gateway::routes::params::parse` then
//! `AuthorizeRequest::check`, with arbitrary query strings against a fixed client registry.
//!
//! Properties: no panic; a refusal redirected to the client names a URI registered for that
//! client (an unregistered URI never receives anything); an accepted request from the public
//! client carries a valid S256 challenge; `prompt=none` is only accepted alone.
#![no_main]

use auth_gateway::clients::{Client, ClientKind, ClientRegistry};
use auth_gateway::routes::{
    authorize_request::{AuthorizeRequest, Prompt, Refusal, valid_challenge},
    params,
};
use libfuzzer_sys::fuzz_target;

fn registry() -> ClientRegistry {
    let client = |id: &str, kind, uris: &[&str]| Client {
        id: id.into(),
        name: id.into(),
        kind,
        secret_hashes: vec![],
        redirect_uris: uris.iter().map(|u| (*u).to_owned()).collect(),
        post_logout_redirect_uris: vec![],
    };
    ClientRegistry {
        clients: vec![
            client("shop", ClientKind::Confidential, &["https://shop.example.org/cas/login?client_name=IDP"]),
            client("app", ClientKind::Public, &["http://127.0.0.1:3000/callback", "https://app.example.org/cb"]),
        ],
    }
}

fuzz_target!(|query: &str| {
    let clients = registry();
    let Ok(params) = params::parse(query) else {
        return;
    };
    match AuthorizeRequest::check(&params, &clients) {
        Ok(request) => {
            assert!(request.client.allows_redirect(request.redirect_uri));
            if request.client.kind == ClientKind::Public {
                assert!(request.code_challenge.is_some_and(valid_challenge), "{query}");
            }
            if request.prompt == Prompt::None {
                assert_eq!(params.get("prompt").map(String::as_str), Some("none"));
            }
            assert!(request.scope.split(' ').any(|s| s == "openid"));
        }
        Err(Refusal::Redirect { redirect_uri, .. }) => {
            let client = params.get("client_id").and_then(|id| clients.get(id)).expect("a known client");
            assert!(client.allows_redirect(redirect_uri), "redirected to {redirect_uri}");
        }
        Err(Refusal::Page(_)) => {}
    }
});
