//! The simulated ticket shop signs fans in through the real gateway as S-360's shop does:
//! discovery, code flow with PKCE, ID token through the JWKS, userinfo; the SSO id is linked to
//! a contact with the e-mail cross-check. Green path (pre-linked contact), silent sign-in in
//! Exclusive mode, and the red paths: another e-mail on the linked contact, an unlinked contact
//! with the same e-mail ("Link account"), a state that does not belong to the browser.

use std::collections::HashMap;

use reqwest::{StatusCode, redirect::Policy};
use secutix_sim::SimHandle;
use serde_json::{Value, json};
use tests::{
    TestDatabase,
    sim::{free_port, spawn_gateway_for_shops, spawn_sim_shop},
};

use crate::gateway_support::{PASSWORD, Setup, cookie, cookie_value, seed_account, sign_in};

const PROVIDER: &str = "secutix-bridge";

pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

pub(crate) fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a redirect")
        .to_owned()
}

fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .expect("url")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A shop visit with the gateway session: shop page → provider → callback. Returns the
/// callback's answer.
pub(crate) async fn through_the_provider(
    client: &reqwest::Client,
    sim: &SimHandle,
    page: &str,
    session: &str,
) -> reqwest::Response {
    let visit = client
        .get(format!("{}{page}", sim.base_url()))
        .send()
        .await
        .expect("shop answers");
    assert_eq!(
        visit.status(),
        StatusCode::FOUND,
        "signed out: a redirect to the provider"
    );
    let state_cookie = cookie_value(&cookie(&visit, "shop_auth").expect("state cookie"));
    back_to_shop(client, sim, &location(&visit), session, &state_cookie)
        .await
        .1
}

/// With a gateway session, the authorization request goes straight back to the shop's
/// callback (no password asked), which the browser then follows with the shop's state cookie.
/// Returns the callback URL and the shop's answer.
pub(crate) async fn back_to_shop(
    client: &reqwest::Client,
    sim: &SimHandle,
    authorize: &str,
    session: &str,
    state_cookie: &str,
) -> (String, reqwest::Response) {
    let to_shop = client
        .get(authorize)
        .header("cookie", format!("__Host-session={session}"))
        .send()
        .await
        .expect("gateway answers");
    assert_eq!(to_shop.status(), StatusCode::FOUND, "silent: straight back to the shop");
    let callback = location(&to_shop);
    assert!(
        callback.starts_with(&format!("{}/shop/callback?", sim.base_url())),
        "{callback}"
    );
    let answer = client
        .get(&callback)
        .header("cookie", format!("shop_auth={state_cookie}"))
        .send()
        .await
        .expect("shop answers");
    (callback, answer)
}

pub(crate) async fn me(client: &reqwest::Client, sim: &SimHandle, shop_session: &str) -> (StatusCode, Value) {
    let response = client
        .get(format!("{}/shop/me", sim.base_url()))
        .header("cookie", format!("shop_session={shop_session}"))
        .send()
        .await
        .expect("shop answers");
    (response.status(), response.json().await.expect("json"))
}

fn jean(sim: &SimHandle) {
    sim.state()
        .store
        .create(&json!({
            "contactNumber": "0001234567",
            "individualContact": { "firstname": "Jean", "lastname": "Dupont", "email": "jean.dupont@example.org",
                                    "role": "PUBLIC", "hasLogin": true }
        }))
        .expect("contact");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shop_signs_in_through_the_gateway_and_links_by_sso_id() {
    let db = TestDatabase::create().await;
    let subject = seed_account(&db).await;
    let port = free_port();
    let issuer = format!("http://127.0.0.1:{port}");
    let linked = spawn_sim_shop(&issuer, true).await;
    let unlinked = spawn_sim_shop(&issuer, true).await;
    let empty = spawn_sim_shop(&issuer, false).await;
    let gateway = spawn_gateway_for_shops(&db, port, &[&linked, &unlinked, &empty], &[]).await;
    // The initial import pre-linked Jean in the first shop; the second has Jean unlinked.
    jean(&linked);
    jean(&unlinked);
    linked
        .state()
        .store
        .add_link("0001234567", PROVIDER, &subject.to_string())
        .expect("pre-linked");
    let client = browser();

    // Exclusive mode: a signed-out visit goes to the provider, which asks for a password.
    let visit = client
        .get(format!("{}/shop/tickets?event=42", linked.base_url()))
        .send()
        .await
        .expect("shop answers");
    assert_eq!(visit.status(), StatusCode::FOUND);
    let state_cookie = cookie_value(&cookie(&visit, "shop_auth").expect("state cookie"));
    let authorize = location(&visit);
    assert!(authorize.starts_with(&format!("{issuer}/authorize?")), "{authorize}");
    let params = query(&authorize);
    assert_eq!(params["client_id"], "secutix-shop");
    assert_eq!(params["code_challenge_method"], "S256");
    for key in ["state", "nonce", "code_challenge"] {
        assert!(params[key].len() >= 43, "{key} is long and random");
    }
    let setup = Setup {
        db,
        gateway,
        client: client.clone(),
        subject,
    };
    let session = sign_in(&setup, &authorize, PASSWORD)
        .await
        .expect("signed in at the gateway");
    let (callback_url, callback) = back_to_shop(&client, &linked, &authorize, &session, &state_cookie).await;
    assert_eq!(callback.status(), StatusCode::FOUND);
    assert_eq!(
        location(&callback),
        "/shop/tickets?event=42",
        "back to the page first asked for"
    );
    let shop_session = cookie_value(&cookie(&callback, "shop_session").expect("shop session"));
    let page = client
        .get(format!("{}/shop/tickets?event=42", linked.base_url()))
        .header("cookie", format!("shop_session={shop_session}"))
        .send()
        .await
        .expect("shop answers");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("data-contact-number=\"0001234567\""), "{html}");
    assert!(html.contains("Jean Dupont"), "{html}");
    let (status, who) = me(&client, &linked, &shop_session).await;
    assert_eq!(status, 200);
    assert_eq!(who["contactNumber"], "0001234567");
    assert_eq!(who["ssoId"], subject.to_string());
    assert_eq!(
        who["userinfo"]["contact_number"], "0001234567",
        "the shop read userinfo"
    );
    assert_eq!(who["userinfo"]["email"], "jean.dupont@example.org");

    // The callback cannot be replayed, nor completed in a browser that did not start it.
    let replay = client
        .get(&callback_url)
        .header("cookie", format!("shop_auth={state_cookie}"))
        .send()
        .await
        .expect("shop answers");
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    let foreign = client.get(&callback_url).send().await.expect("shop answers");
    assert_eq!(foreign.status(), StatusCode::BAD_REQUEST);

    // Signing out of the shop ends the shop session only.
    let out = client
        .post(format!("{}/shop/logout", linked.base_url()))
        .header("cookie", format!("shop_session={shop_session}"))
        .send()
        .await
        .expect("shop answers");
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(me(&client, &linked, &shop_session).await.0, StatusCode::UNAUTHORIZED);

    // Grant access: a fresh shop visit with the gateway session signs in without a password.
    let silent = through_the_provider(&client, &linked, "/shop", &session).await;
    assert_eq!(silent.status(), StatusCode::FOUND);
    let silent_session = cookie_value(&cookie(&silent, "shop_session").expect("shop session"));
    assert_eq!(
        me(&client, &linked, &silent_session).await.1["contactNumber"],
        "0001234567"
    );

    // Red path: Jean is unlinked in the second shop, which has a contact with his e-mail.
    let link_page = through_the_provider(&client, &unlinked, "/shop", &session).await;
    assert_eq!(link_page.status(), 200);
    assert!(cookie(&link_page, "shop_session").is_none(), "not signed in");
    assert!(link_page.text().await.expect("html").contains("id=\"link-account\""));

    // A shop without any contact for Jean creates one and links it (not Exclusive: a link to sign in).
    let signed_out = client
        .get(format!("{}/shop", empty.base_url()))
        .send()
        .await
        .expect("answers");
    assert_eq!(signed_out.status(), 200);
    assert!(signed_out.text().await.expect("html").contains("href=\"/shop/login\""));
    let login = client
        .get(format!(
            "{}/shop/login?return_to=https://evil.example.org/",
            empty.base_url()
        ))
        .send()
        .await
        .expect("answers");
    assert_eq!(login.status(), StatusCode::FOUND);
    let state = cookie_value(&cookie(&login, "shop_auth").expect("state cookie"));
    let (_, created) = back_to_shop(&client, &empty, &location(&login), &session, &state).await;
    assert_eq!(location(&created), "/shop", "an outside return target is ignored");
    let created_session = cookie_value(&cookie(&created, "shop_session").expect("shop session"));
    let (_, who) = me(&client, &empty, &created_session).await;
    assert_eq!(
        (who["firstname"].as_str(), who["lastname"].as_str()),
        (Some("Jean"), Some("Dupont"))
    );
    let number = who["contactNumber"].as_str().expect("number");
    assert_eq!(
        empty
            .state()
            .store
            .find_by_sso(PROVIDER, &subject.to_string())
            .map(|r| r.contact_number),
        Some(number.to_owned())
    );

    // Red path: the linked contact's e-mail changes in S-360; the link no longer signs in.
    linked
        .state()
        .store
        .update(
            "0001234567",
            &json!({ "individualContact": { "email": "jean.elsewhere@example.org" } }),
            None,
        )
        .expect("updated");
    let mismatch = through_the_provider(&client, &linked, "/shop", &session).await;
    assert_eq!(mismatch.status(), StatusCode::CONFLICT);
    assert!(cookie(&mismatch, "shop_session").is_none());
    assert!(mismatch.text().await.expect("html").contains("id=\"email-mismatch\""));
}
