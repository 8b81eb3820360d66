//! The contact API over HTTP: tokens, the shared rate limit, and the three methods with their
//! error answers.

use std::time::Duration;

use secutix_sim::{SimConfig, SimHandle, Simulator, api::token::mint};
use serde_json::{Value, json};

async fn start(configure: impl FnOnce(&mut SimConfig)) -> SimHandle {
    let mut config = SimConfig::ephemeral();
    configure(&mut config);
    Simulator::start(config).await.expect("simulator starts")
}

async fn call(sim: &SimHandle, path: &str, token: Option<&str>, body: Value) -> (u16, Value, Option<String>) {
    static CLIENT: std::sync::LazyLock<reqwest::Client> = std::sync::LazyLock::new(reqwest::Client::new);
    let mut request = CLIENT
        .post(format!("{}/tnco/backend-apis/{path}", sim.base_url()))
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("answers");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().expect("ascii").to_owned());
    (status, response.json().await.unwrap_or(Value::Null), retry_after)
}

async fn stats(sim: &SimHandle) -> Value {
    reqwest::get(format!("{}/admin/stats", sim.base_url()))
        .await
        .expect("stats")
        .json()
        .await
        .expect("json")
}

const GET: &str = "contactInformationPublicService/v2_21/getContactData";
const SAVE: &str = "contactInformationPublicService/v2_21/saveIndividualContactData";
const LINK: &str = "contactSocialLoginService/v1_0/addLink";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn methods_read_write_and_link_contacts() {
    let sim = start(|c| c.seed = 2).await;
    let token = || mint(&sim.state().config.api);

    let (status, body, _) = call(&sim, GET, Some(&token()), json!({ "contactNumber": "0009000001" })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["statusCode"], "success");
    assert_eq!(body["contactData"]["individualContact"]["hasLogin"], true);
    let base = body["contactData"]["lastModificationDate"].clone();

    let update = json!({ "contactNumber": "0009000001", "lastModificationDate": base,
                         "individualContact": { "firstname": "Jeanne" } });
    let (status, saved, _) = call(&sim, SAVE, Some(&token()), update.clone()).await;
    assert_eq!(status, 200, "{saved}");
    assert_ne!(saved["lastModificationDate"], base);
    assert_eq!(saved["contactData"]["individualContact"]["firstname"], "Jeanne");
    // The same base version again is stale.
    let (status, body, _) = call(&sim, SAVE, Some(&token()), update).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("stale_version")));
    // A save is a change like any other: queued for the webhook.
    assert!(sim.state().store.pending() >= 1);
    // Without a contact number, a contact is created.
    let (status, created, _) = call(
        &sim,
        SAVE,
        Some(&token()),
        json!({ "individualContact": { "lastname": "New" } }),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    assert!(created["contactNumber"].as_str().is_some_and(|n| !n.is_empty()));

    let link = |number: &str, reference: &str| json!({ "contactNumber": number, "provider": "idp", "providerUserReference": reference });
    let (status, _, _) = call(&sim, LINK, Some(&token()), link("0009000001", "sub-1")).await;
    assert_eq!(status, 200);
    let (status, body, _) = call(&sim, LINK, Some(&token()), link("0009000002", "sub-1")).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("sso_id_already_linked")));
    let (status, body, _) = call(&sim, LINK, Some(&token()), link("0404", "sub-2")).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("contact_not_found")));
    sim.state().store.merge("0009000002", "0009000001").expect("merged");
    let (status, body, _) = call(&sim, LINK, Some(&token()), link("0009000002", "sub-3")).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("contact_merged")));
    // A merged contact is still readable, with its head.
    let (_, body, _) = call(&sim, GET, Some(&token()), json!({ "contactNumber": "0009000002" })).await;
    assert_eq!(body["contactData"]["mergedIntoContactNumber"], "0009000001");
    sim.state().store.anonymise("0009000001").expect("anonymised");
    let (status, body, _) = call(&sim, LINK, Some(&token()), link("0009000001", "sub-4")).await;
    assert_eq!((status, body["error"].as_str()), (410, Some("contact_anonymised")));

    // Bad bodies.
    let (status, body, _) = call(&sim, GET, Some(&token()), json!({ "contactNumber": 42 })).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("wrong_shape")));
    let (status, body, _) = call(
        &sim,
        SAVE,
        Some(&token()),
        json!({ "contactNumber": "0009000002", "anonymized": true }),
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (422, Some("read_only_field")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_get_401_with_a_reason() {
    let sim = start(|_| {}).await;
    let (status, body, _) = call(&sim, GET, None, json!({ "contactNumber": "1" })).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_token");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("Bearer")));
    let mut other = sim.state().config.api.clone();
    other.api_institution = "ELSEWHERE".into();
    let (status, body, _) = call(&sim, GET, Some(&mint(&other)), json!({ "contactNumber": "1" })).await;
    assert_eq!(status, 401);
    assert!(body["message"].as_str().is_some_and(|m| m.contains("sub")));
    // A token reused after more than a second.
    let token = mint(&sim.state().config.api);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, body, _) = call(&sim, GET, Some(&token), json!({ "contactNumber": "1" })).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (401, Some("the token is too old (iat): mint one per call"))
    );
    let stats = stats(&sim).await;
    assert_eq!(stats["api"]["calls"], 3);
    assert_eq!(stats["api"]["rejected_token"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shared_limit_answers_509_with_retry_after_then_recovers() {
    let sim = start(|c| c.api.api_rate_window = Duration::from_secs(8)).await;
    let api = sim.state().config.api.clone();
    // One after the other: each token must arrive within a second of being minted.
    let mut statuses = Vec::new();
    for _ in 0..180 {
        statuses.push(
            call(&sim, GET, Some(&mint(&api)), json!({ "contactNumber": "0404" }))
                .await
                .0,
        );
    }
    assert!(
        statuses.iter().all(|s| *s == 404),
        "all 180 within the limit: {statuses:?}"
    );
    let (status, body, retry_after) = call(&sim, GET, Some(&mint(&api)), json!({ "contactNumber": "0404" })).await;
    assert_eq!((status, body["error"].as_str()), (509, Some("rate_limited")));
    let retry_after: u64 = retry_after.expect("Retry-After").parse().expect("seconds");
    assert!((1..=8).contains(&retry_after));
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let (status, _, _) = call(&sim, GET, Some(&mint(&api)), json!({ "contactNumber": "0404" })).await;
    assert_eq!(status, 404, "calls go through again once the window moved");
    let stats = stats(&sim).await;
    assert_eq!(stats["api"]["rejected_limit"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limit_status_can_be_429() {
    let sim = start(|c| {
        c.api.api_rate_limit = 1;
        c.api.api_limit_status = 429;
    })
    .await;
    let api = sim.state().config.api.clone();
    let (first, _, _) = call(&sim, GET, Some(&mint(&api)), json!({ "contactNumber": "0404" })).await;
    let (second, _, retry_after) = call(&sim, GET, Some(&mint(&api)), json!({ "contactNumber": "0404" })).await;
    assert_eq!((first, second), (404, 429));
    assert!(retry_after.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_active_public_contacts_by_email_and_says_which_are_linked() {
    const SEARCH: &str = "contactInformationPublicService/v2_21/searchContact";
    let sim = start(|_| {}).await;
    let store = &sim.state().store;
    let individual = |email: &str, role: &str, login: bool| json!({ "individualContact": { "firstname": "Fan", "email": email, "role": role, "hasLogin": login } });
    let login = store
        .create(&individual("Fan@Example.org", "PUBLIC", true))
        .expect("created");
    let prospect = store
        .create(&individual("fan@example.org", "PUBLIC", false))
        .expect("created");
    store
        .create(&individual("fan@example.org", "RELAY", false))
        .expect("created");
    let merged = store
        .create(&individual("fan@example.org", "PUBLIC", false))
        .expect("created");
    store
        .merge(&merged.contact_number, &prospect.contact_number)
        .expect("merged");
    store
        .create(&individual("other@example.org", "PUBLIC", true))
        .expect("created");
    store.add_link(&login.contact_number, "idp", "sub-1").expect("linked");
    let token = || mint(&sim.state().config.api);

    let (status, body, _) = call(
        &sim,
        SEARCH,
        Some(&token()),
        json!({ "email": " FAN@example.org", "provider": "idp" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let found: Vec<(&str, bool)> = body["contacts"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| {
            (
                c["contactNumber"].as_str().expect("number"),
                c["linked"].as_bool().expect("bool"),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (login.contact_number.as_str(), true),
            (prospect.contact_number.as_str(), false)
        ],
        "active PUBLIC contacts only, any letter case"
    );
    let (_, body, _) = call(
        &sim,
        SEARCH,
        Some(&token()),
        json!({ "email": "fan@example.org", "provider": "other" }),
    )
    .await;
    assert_eq!(body["contacts"][0]["linked"], false, "a link of another provider");
    let (_, body, _) = call(&sim, SEARCH, Some(&token()), json!({ "email": "nobody@example.org" })).await;
    assert_eq!(body["contacts"], json!([]));
    let (status, body, _) = call(&sim, SEARCH, Some(&token()), json!({ "email": " " })).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("wrong_shape")));
    let (status, _, _) = call(&sim, SEARCH, None, json!({ "email": "fan@example.org" })).await;
    assert_eq!(status, 401, "a token is required like for every method");
}
