//! The gateway benchmark's raw baselines: signing an access token with the gateway's own key,
//! argon2id hashing with the gateway's parameters, and a static JSON answer from the same HTTP
//! stack.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use tokio_util::sync::CancellationToken;

/// The gateway's active ES256 key, to sign the same access tokens outside the gateway.
pub fn access_token_signer(keys_dir: &std::path::Path) -> anyhow::Result<(jsonwebtoken::EncodingKey, String)> {
    let manifest: toml::Table = toml::from_str(&std::fs::read_to_string(keys_dir.join("keys.toml"))?)?;
    for key in manifest["keys"].as_array().into_iter().flatten() {
        if key["alg"].as_str() == Some("ES256") {
            let pem = std::fs::read(keys_dir.join(key["file"].as_str().unwrap_or_default()))?;
            return Ok((
                jsonwebtoken::EncodingKey::from_ec_pem(&pem)?,
                key["kid"].as_str().unwrap_or_default().to_owned(),
            ));
        }
    }
    anyhow::bail!("no ES256 key")
}

/// Access tokens signed per second on two threads.
pub async fn signing_rate(signer: &(jsonwebtoken::EncodingKey, String), duration: Duration) -> f64 {
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (key, kid) = (signer.0.clone(), signer.1.clone());
            let count = count.clone();
            std::thread::spawn(move || {
                let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
                header.kid = Some(kid);
                header.typ = Some("at+jwt".into());
                while Instant::now() < deadline {
                    let claims = serde_json::json!({
                        "iss": "http://127.0.0.1:8080", "sub": uuid::Uuid::new_v4(), "aud": "http://127.0.0.1:8080",
                        "exp": 9_999_999_999i64, "iat": 0, "nbf": 0, "jti": uuid::Uuid::new_v4(), "client_id": "bench",
                        "scope": "openid", "auth_time": 0, "sid": uuid::Uuid::new_v4(),
                    });
                    if jsonwebtoken::encode(&header, &claims, &key).is_ok() {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        let _ = thread.join();
    }
    AtomicU64::load(&count, Ordering::Relaxed) as f64 / duration.as_secs_f64()
}

/// Argon2id hashes of `password` per second on two threads, with the gateway's parameters.
pub async fn argon2_rate(password: &'static str, duration: Duration) -> f64 {
    let passwords = match auth_gateway::passwords::Passwords::new(2) {
        Ok(p) => p,
        Err(_) => return f64::NAN,
    };
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let (passwords, count) = (passwords.clone(), count.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    if passwords.hash(password).await.is_ok() {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    AtomicU64::load(&count, Ordering::Relaxed) as f64 / duration.as_secs_f64()
}

/// An actix server with the gateway's worker count answering every request with `body`.
pub fn static_json_server(body: Vec<u8>, cancel: CancellationToken) -> anyhow::Result<String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/static", listener.local_addr()?);
    let body = actix_web::web::Bytes::from(body);
    let server = actix_web::HttpServer::new(move || {
        let body = body.clone();
        actix_web::App::new().default_service(actix_web::web::to(move || {
            let body = body.clone();
            async move {
                actix_web::HttpResponse::Ok()
                    .content_type("application/json")
                    .body(body)
            }
        }))
    })
    .disable_signals()
    .listen(listener)?
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    tokio::spawn(async move {
        cancel.cancelled().await;
        handle.stop(false).await;
    });
    Ok(url)
}
