//! The simulated S-360 (`secutix-sim`) in tests: started in-process on a free port, posting its
//! webhook to an ingest, or acting as the ticket shop of a gateway whose issuer is its real
//! address.

use secutix_sim::{SimConfig, SimHandle, Simulator};

use crate::{INGEST_TOKEN, Running, TestDatabase};

/// The client id and secret the simulated shop uses at the gateway.
pub const SIM_SHOP_CLIENT_ID: &str = "secutix-shop";
pub const SIM_SHOP_SECRET: &str = "simulated-shop-secret-for-tests";

/// A simulator on a free port, after `configure` (for example `|c| c.seed = 10`).
pub async fn spawn_sim(configure: impl FnOnce(&mut SimConfig)) -> SimHandle {
    infra::telemetry::init_for_tests();
    let mut config = SimConfig::ephemeral();
    configure(&mut config);
    Simulator::start(config).await.expect("simulator starts")
}

/// A simulator posting Contact Webhook V2 to `webhook_url` with the ingest's test token.
pub async fn spawn_sim_posting_to(webhook_url: &str, configure: impl FnOnce(&mut SimConfig)) -> SimHandle {
    spawn_sim(|config| {
        config.webhook.webhook_url = Some(webhook_url.parse().expect("url"));
        config.webhook.auth.webhook_token = Some(INGEST_TOKEN.to_owned().into());
        configure(config);
    })
    .await
}

/// A simulator whose ticket shop signs in through the gateway at `issuer`.
pub async fn spawn_sim_shop(issuer: &str, exclusive: bool) -> SimHandle {
    spawn_sim(|config| {
        config.shop.shop_issuer = Some(issuer.parse().expect("url"));
        config.shop.shop_client_id = SIM_SHOP_CLIENT_ID.into();
        config.shop.shop_client_secret = Some(SIM_SHOP_SECRET.to_owned().into());
        config.shop.shop_exclusive = exclusive;
    })
    .await
}

/// A free loopback port, for a gateway whose issuer must name its own address.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// `auth-gateway` on `port` with the issuer `http://127.0.0.1:<port>`, the simulated shop
/// registered with every given simulator's callback and the first one's logout endpoints, plus
/// `extra` arguments.
pub async fn spawn_gateway_for_shops(db: &TestDatabase, port: u16, sims: &[&SimHandle], extra: &[&str]) -> Running {
    use clap::Parser;
    infra::telemetry::init_for_tests();
    let clients = std::env::temp_dir().join(format!("clients-{}.toml", uuid::Uuid::new_v4().simple()));
    auth_gateway::clients::ClientRegistry {
        clients: vec![auth_gateway::clients::Client {
            id: SIM_SHOP_CLIENT_ID.into(),
            name: "S-360 ticket shop (simulated)".into(),
            kind: auth_gateway::clients::ClientKind::Confidential,
            secret_hashes: vec![auth_gateway::clients::hash_secret(SIM_SHOP_SECRET)],
            redirect_uris: sims.iter().map(|s| format!("{}/shop/callback", s.base_url())).collect(),
            post_logout_redirect_uris: vec![],
            // The first shop hears the provider's logouts, on both channels.
            backchannel_logout_uri: sims
                .first()
                .map(|s| format!("{}/shop/backchannel-logout", s.base_url())),
            backchannel_logout_session_required: true,
            frontchannel_logout_uri: sims
                .first()
                .map(|s| format!("{}/shop/frontchannel-logout", s.base_url())),
            frontchannel_logout_session_required: true,
            ..Default::default()
        }],
    }
    .save(&clients)
    .expect("registry written");
    let keys = std::env::temp_dir().join(format!("gateway-test-keys-{}", uuid::Uuid::new_v4().simple()));
    let address = format!("127.0.0.1:{port}");
    let issuer = format!("http://{address}");
    let (clients, keys) = (clients.to_string_lossy(), keys.to_string_lossy());
    let mut argv = vec![
        "auth-gateway",
        "--listen-addr",
        &address,
        "--issuer",
        &issuer,
        "--database-url",
        &db.url,
        "--clients-file",
        &clients,
        "--dev-keys-dir",
        &keys,
    ];
    argv.extend_from_slice(extra);
    let settings = auth_gateway::Settings::try_parse_from(argv).expect("valid gateway settings");
    let cancel = tokio_util::sync::CancellationToken::new();
    let app = auth_gateway::Application::build(settings, cancel.clone())
        .await
        .expect("gateway starts");
    Running {
        base_url: issuer,
        cancel,
        task: Some(tokio::spawn(app.run_until_stopped())),
    }
}
