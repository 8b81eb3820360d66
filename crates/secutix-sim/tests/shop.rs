//! The ticket shop's answers that need no identity provider: not configured, provider
//! unreachable, signed out, a callback that was not started here.

use secutix_sim::{SimConfig, SimHandle, Simulator};

async fn sim(issuer: Option<&str>, exclusive: bool) -> SimHandle {
    let mut config = SimConfig::ephemeral();
    config.shop.shop_issuer = issuer.map(|i| i.parse().expect("url"));
    config.shop.shop_exclusive = exclusive;
    Simulator::start(config).await.expect("starts")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_issuer_there_is_no_shop() {
    let sim = sim(None, true).await;
    let response = client()
        .get(format!("{}/shop", sim.base_url()))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"], "not_configured");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_provider_is_a_503_with_retry_after() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let issuer = format!("http://127.0.0.1:{}", closed.local_addr().expect("address").port());
    drop(closed);
    let sim = sim(Some(&issuer), true).await;
    let response = client()
        .get(format!("{}/shop/tickets", sim.base_url()))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_out_pages_and_foreign_callbacks() {
    let sim = sim(Some("http://127.0.0.1:9"), false).await;
    let client = client();
    let page = client
        .get(format!("{}/shop/anything", sim.base_url()))
        .send()
        .await
        .expect("answers");
    assert_eq!(page.status(), 200, "not Exclusive: a page with a sign-in link");
    assert!(page.text().await.expect("html").contains("id=\"signed-out\""));
    let me = client
        .get(format!("{}/shop/me", sim.base_url()))
        .send()
        .await
        .expect("answers");
    assert_eq!(me.status(), 401);
    let callback = client
        .get(format!("{}/shop/callback?code=c&state=s", sim.base_url()))
        .header("cookie", "shop_auth=other")
        .send()
        .await
        .expect("answers");
    assert_eq!(callback.status(), 400);
    let unknown = client
        .get(format!("{}/shop/callback?code=c&state=s", sim.base_url()))
        .header("cookie", "shop_auth=s")
        .send()
        .await
        .expect("answers");
    assert_eq!(unknown.status(), 400, "a state this shop never issued");
}
