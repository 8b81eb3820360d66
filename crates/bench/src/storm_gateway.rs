//! The gateway as a process of its own (`service_process`), with one confidential client, for
//! the benchmarks that watch its memory or keep the load generator's work apart from it (the
//! storm, the growth benchmark).

use crate::service_process::{ServiceProcess, free_port, scratch_dir};

/// Starts the `auth-gateway` binary on a free port against `database_url` with the
/// confidential client `client_id` (`secret`, `redirect`); its development keys are in
/// `dir().join("keys")`.
pub async fn start(
    database_url: &str,
    client_id: &str,
    secret: &str,
    redirect: &str,
) -> anyhow::Result<ServiceProcess> {
    let dir = scratch_dir("gateway")?;
    let clients = dir.join("clients.toml");
    auth_gateway::clients::ClientRegistry {
        clients: vec![auth_gateway::clients::Client {
            id: client_id.into(),
            name: "Benchmark".into(),
            kind: auth_gateway::clients::ClientKind::Confidential,
            secret_hashes: vec![auth_gateway::clients::hash_secret(secret)],
            redirect_uris: vec![redirect.into()],
            post_logout_redirect_uris: vec![],
            ..Default::default()
        }],
    }
    .save(&clients)?;
    let port = free_port()?;
    let env = [
        ("DATABASE_URL", database_url.to_owned()),
        ("GATEWAY_ISSUER", format!("http://127.0.0.1:{port}")),
        ("GATEWAY_CLIENTS_FILE", clients.to_string_lossy().into_owned()),
        ("GATEWAY_DEV_KEYS_DIR", dir.join("keys").to_string_lossy().into_owned()),
    ];
    ServiceProcess::start("auth-gateway", &[], &env, port, dir).await
}
