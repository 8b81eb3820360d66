//! Refresh-token grants for the gateway benchmarks: grants written directly for the benchmark
//! account, as a sign-in's code exchange would open them, and one refresh through the gateway's
//! `/token` endpoint as the benchmark client.

use base64::Engine;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};

/// The benchmark client's secret.
pub const SECRET: &str = "benchmark-client-secret";

/// A fresh refresh-token grant of `scope` for the benchmark account, written directly.
pub async fn new_refresh_token(
    conn: &mut AsyncPgConnection,
    subject: uuid::Uuid,
    scope: &str,
) -> anyhow::Result<String> {
    let mut tokens = new_refresh_tokens(conn, &[subject], scope, 1).await?;
    tokens.pop().ok_or_else(|| anyhow::anyhow!("no refresh token"))
}

/// `count` fresh refresh-token grants of `scope`, for `subjects` in turn, each its own family
/// (as the code exchange of a sign-in opens), written directly.
pub async fn new_refresh_tokens(
    conn: &mut AsyncPgConnection,
    subjects: &[uuid::Uuid],
    scope: &str,
    count: usize,
) -> anyhow::Result<Vec<String>> {
    anyhow::ensure!(!subjects.is_empty(), "no account to mint tokens for");
    let mut tokens = Vec::with_capacity(count);
    while tokens.len() < count {
        let chunk = (count - tokens.len()).min(10_000);
        let mut hashes = Vec::with_capacity(chunk);
        let mut owners = Vec::with_capacity(chunk);
        for _ in 0..chunk {
            owners.push(subjects[tokens.len() % subjects.len()]);
            let mut raw = [0u8; 32];
            aws_lc_rs::rand::fill(&mut raw).map_err(|_| anyhow::anyhow!("no randomness"))?;
            let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
            hashes.push(Sha256::digest(token.as_bytes()).to_vec());
            tokens.push(token);
        }
        diesel::sql_query(
            "INSERT INTO refresh_tokens (token_hash, family_id, subject_id, client_id, expires_at, scope) \
             SELECT h, gen_random_uuid(), s, 'bench', now() + interval '1 day', $3 \
             FROM UNNEST($1::bytea[], $2::uuid[]) AS u(h, s)",
        )
        .bind::<diesel::sql_types::Array<diesel::sql_types::Bytea>, _>(hashes)
        .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(owners)
        .bind::<diesel::sql_types::Text, _>(scope)
        .execute(conn)
        .await?;
    }
    Ok(tokens)
}

pub async fn refresh_once(
    client: &reqwest::Client,
    base: &str,
    token: &str,
) -> anyhow::Result<(u16, serde_json::Value)> {
    let response = client
        .post(format!("{base}/token"))
        .basic_auth("bench", Some(SECRET))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await?;
    Ok((response.status().as_u16(), response.json().await?))
}
