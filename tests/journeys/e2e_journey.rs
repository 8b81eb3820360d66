//! The whole product across real processes: the four binaries (`webhook-ingest`, `sync-worker`,
//! `auth-gateway`, `secutix-sim`) started as they run in production, with a real SMTP server,
//! PostgreSQL and RabbitMQ, and the fan's journey played by `scripts/demo.py` (the same script
//! as `make demo`), its shop sign-in in headless Chromium: import, set-your-password mail, first
//! password, sign-in at the shop through the gateway, grant access, profile write-back to S-360,
//! a name changed at S-360, a merge and an anonymisation ending sessions, no personal data left
//! in any table, and the contacts table rebuilt by replay.

use std::path::Path;

use tests::{SmtpServer, TestBroker, TestDatabase, binary, sim::free_port, start_process as start};

const SHOP_SECRET: &str = "journey-shop-secret";

fn clients_file(sim_port: u16) -> String {
    let path = std::env::temp_dir().join(format!("journey-clients-{}.toml", uuid::Uuid::new_v4().simple()));
    auth_gateway::clients::ClientRegistry {
        clients: vec![auth_gateway::clients::Client {
            id: "secutix-shop".into(),
            name: "Ticket shop (simulator)".into(),
            kind: auth_gateway::clients::ClientKind::Confidential,
            secret_hashes: vec![auth_gateway::clients::hash_secret(SHOP_SECRET)],
            redirect_uris: vec![format!("http://127.0.0.1:{sim_port}/shop/callback")],
            post_logout_redirect_uris: vec![],
            ..Default::default()
        }],
    }
    .save(&path)
    .expect("registry written");
    path.to_string_lossy().into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fans_journey_across_real_processes() {
    let db = TestDatabase::create().await;
    let broker = TestBroker::create().await;
    let smtp = SmtpServer::start().await;
    let amqp = tests::amqp_url();
    let common = [
        ("AMQP_URL", amqp.clone()),
        ("AMQP_NAME_PREFIX", broker.prefix.clone()),
        ("DATABASE_URL", db.url.clone()),
    ];
    let (gateway_port, sim_port) = (free_port(), free_port());
    let gateway_url = format!("http://127.0.0.1:{gateway_port}");
    let sim_url = format!("http://127.0.0.1:{sim_port}");
    let api_secret = "journey-api-secret".to_owned();

    let worker_env = [
        common.to_vec(),
        vec![
            ("SMTP_URL", smtp.url()),
            ("SECUTIX_API_URL", format!("{sim_url}/tnco/backend-apis")),
            ("SECUTIX_API_SECRET", api_secret.clone()),
            ("SECUTIX_INSTITUTION", "DEMO".into()),
            ("SECUTIX_VIRTUAL_OPERATOR", "DEMO_VO".into()),
            ("SECUTIX_PARTNER", "secutix-bridge".into()),
            ("GATEWAY_ISSUER", gateway_url.clone()),
        ],
    ]
    .concat();
    let worker = start("sync-worker", free_port(), &["run"], &worker_env).await;
    let ingest_env = [
        common.to_vec(),
        vec![("INGEST_BEARER_TOKEN", tests::INGEST_TOKEN.into())],
    ]
    .concat();
    let ingest = start("webhook-ingest", free_port(), &[], &ingest_env).await;
    let keys = std::env::temp_dir().join(format!("journey-keys-{}", uuid::Uuid::new_v4().simple()));
    let gateway_env = [
        common.to_vec(),
        vec![
            ("GATEWAY_ISSUER", gateway_url.clone()),
            ("GATEWAY_CLIENTS_FILE", clients_file(sim_port)),
            ("GATEWAY_DEV_KEYS_DIR", keys.to_string_lossy().into_owned()),
            ("GATEWAY_TICKETSHOP_URLS", format!("{sim_url}/shop")),
        ],
    ]
    .concat();
    let gateway = start("auth-gateway", gateway_port, &[], &gateway_env).await;
    let sim_env = [
        ("SIM_SEED", "5".to_owned()),
        ("SIM_WEBHOOK_URL", format!("{}/webhooks/secutix/contacts", ingest.url)),
        ("SIM_WEBHOOK_TOKEN", tests::INGEST_TOKEN.to_owned()),
        ("SIM_WEBHOOK_INTERVAL", "1s".to_owned()),
        ("SIM_API_SECRET", api_secret),
        ("SIM_SHOP_ISSUER", gateway_url.clone()),
        ("SIM_SHOP_CLIENT_ID", "secutix-shop".to_owned()),
        ("SIM_SHOP_CLIENT_SECRET", SHOP_SECRET.to_owned()),
    ];
    let sim = start("secutix-sim", sim_port, &["run"], &sim_env).await;

    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/demo.py");
    let output = tokio::process::Command::new("python3")
        .arg(&demo)
        .args(["--gateway", &gateway_url, "--sim", &sim_url, "--browser"])
        .arg("--mailbox")
        .arg(smtp.maildir())
        .args(["--database-url", &db.url])
        .arg("--worker-bin")
        .arg(binary("sync-worker"))
        .env("AMQP_URL", &amqp)
        .env("AMQP_NAME_PREFIX", &broker.prefix)
        .output()
        .await
        .expect("the journey runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert!(
        output.status.success() && stdout.contains("The journey is complete."),
        "the journey failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for process in [&worker, &ingest] {
        assert!(
            reqwest::get(format!("{}/healthz", process.url)).await.is_ok(),
            "{} still up",
            process.name
        );
    }
    drop((gateway, sim));
}
