//! Userinfo on first use: S-360 calls `/userinfo` once per sign-in with the access token it
//! was just issued, so in production every such request misses the userinfo cache. Here each
//! token is used once: they are minted before the clock starts through the gateway's own
//! refresh grant (as the repeated-token benchmark gets its one token), each from a grant of its
//! own as each sign-in has, then `wrk` sends them in order, one per request. Beside it, in the
//! same run, the work a miss cannot avoid: one ES256 verification and one primary-key query, on
//! as many connections as the gateway's pool.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use store::schema::accounts;

use crate::{
    gateway_grants::{new_refresh_tokens, refresh_once},
    report::median,
};

/// The scopes S-360's ticket shop asks for: the miss builds the answer it really gets.
pub const SHOP_SCOPE: &str = "openid profile email";

/// What the first-use benchmark needs of the gateway under test.
pub struct FirstUseSetup<'a> {
    pub base: &'a str,
    pub database_url: &'a str,
    /// The accounts the tokens are minted for, in turn (the benchmark account, or many when
    /// the database is large, so the misses read rows all over the table).
    pub subjects: &'a [uuid::Uuid],
    /// The `kid` of the gateway's ES256 access-token key.
    pub kid: &'a str,
    /// The gateway's database pool size: the baseline's connections.
    pub pool_size: usize,
    /// Concurrent clients minting tokens.
    pub concurrency: usize,
}

/// Medians of the rounds: first-use requests per second and the baseline's rate.
pub struct FirstUse {
    pub rate: f64,
    pub baseline: f64,
}

/// `rounds` rounds of `duration`, each the baseline then the gateway, after a one-second pilot
/// that sizes the tokens each round needs (and warms the gateway up).
pub async fn measure(
    setup: &FirstUseSetup<'_>,
    rounds: usize,
    duration: Duration,
    conn: &mut AsyncPgConnection,
) -> anyhow::Result<FirstUse> {
    let verifier = Arc::new(Verifier::from_gateway(setup.base, setup.kid).await?);
    let sample = Arc::new(mint_access_tokens(setup, conn, 64).await?);
    let pilot_baseline = verify_and_read_rate(
        verifier.clone(),
        sample.clone(),
        setup.database_url,
        setup.pool_size,
        Duration::from_secs(1),
    )
    .await?;
    // A miss does all the baseline's work and more, so this many tokens last the pilot.
    let tokens = mint_access_tokens(setup, conn, tokens_for(pilot_baseline, Duration::from_secs(1))).await?;
    let mut expected = first_use_rate(setup.base, &tokens, CONNECTIONS, Duration::from_secs(1))?;
    let (mut rates, mut baselines) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        let baseline = verify_and_read_rate(
            verifier.clone(),
            sample.clone(),
            setup.database_url,
            setup.pool_size,
            duration,
        )
        .await?;
        // Half as much again as the last rate: `first_use_rate` fails rather than reuse a token.
        let tokens = mint_access_tokens(setup, conn, tokens_for(expected * 1.5, duration)).await?;
        let rate = first_use_rate(setup.base, &tokens, CONNECTIONS, duration)?;
        eprintln!(
            "gateway userinfo first use, round {round}: {rate:.0}/s, ES256 verification + primary-key query {baseline:.0}/s, ratio {:.2}",
            rate / baseline
        );
        expected = expected.max(rate);
        rates.push(rate);
        baselines.push(baseline);
    }
    Ok(FirstUse {
        rate: median(&rates),
        baseline: median(&baselines),
    })
}

/// `wrk` connections, as for the repeated-token benchmark.
const CONNECTIONS: usize = 64;

/// Tokens for `duration` at `rate`, with room for the requests in flight.
fn tokens_for(rate: f64, duration: Duration) -> usize {
    (rate * duration.as_secs_f64() * 1.2) as usize + 10 * CONNECTIONS
}

/// `count` distinct access tokens for the benchmark account, each issued by the gateway's
/// refresh grant from a refresh token of its own (written directly, as the code exchange of a
/// sign-in would), `setup.concurrency` grants at a time.
pub async fn mint_access_tokens(
    setup: &FirstUseSetup<'_>,
    conn: &mut AsyncPgConnection,
    count: usize,
) -> anyhow::Result<Vec<String>> {
    let refresh = Arc::new(new_refresh_tokens(conn, setup.subjects, SHOP_SCOPE, count).await?);
    let client = reqwest::Client::new();
    let next = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..setup.concurrency.max(1))
        .map(|_| {
            let (client, base, refresh, next) = (client.clone(), setup.base.to_owned(), refresh.clone(), next.clone());
            tokio::spawn(async move {
                let mut tokens = Vec::new();
                while let Some(token) = refresh.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let (status, body) = refresh_once(&client, &base, token).await?;
                    anyhow::ensure!(status == 200, "refresh failed: {body}");
                    tokens.push(body["access_token"].as_str().unwrap_or_default().to_owned());
                }
                Ok(tokens)
            })
        })
        .collect();
    let mut tokens = Vec::with_capacity(count);
    for task in tasks {
        tokens.extend(task.await??);
    }
    Ok(tokens)
}

/// Userinfo requests per second by `wrk`, each of `tokens` sent once. A thread that runs out
/// sends a token the gateway refuses, so running out fails the measurement instead of turning
/// misses into hits.
fn first_use_rate(base: &str, tokens: &[String], connections: usize, duration: Duration) -> anyhow::Result<f64> {
    anyhow::ensure!(crate::wrk::available(), "wrk is required (apt-get install wrk)");
    let id = uuid::Uuid::new_v4().simple();
    let list = std::env::temp_dir().join(format!("bench-tokens-{id}.txt"));
    let script = std::env::temp_dir().join(format!("bench-first-use-{id}.lua"));
    std::fs::write(&list, tokens.join("\n"))?;
    std::fs::write(
        &script,
        format!(
            r#"local threads = 0
setup = function(thread) thread:set("tid", threads); threads = threads + 1 end
init = function(args)
  tokens = {{}}
  for line in io.lines({list:?}) do tokens[#tokens + 1] = line end
  index = tid + 1
end
request = function()
  local token = tokens[index] or "exhausted"
  index = index + {threads}
  return wrk.format("GET", nil, {{["Authorization"] = "Bearer " .. token}})
end
"#,
            list = list.to_string_lossy(),
            threads = crate::wrk::THREADS,
        ),
    )?;
    let run = crate::wrk::run(&format!("{base}/userinfo"), &script, connections, duration);
    let _ = std::fs::remove_file(&script);
    let _ = std::fs::remove_file(&list);
    let run = run?;
    anyhow::ensure!(
        run.requests + connections as u64 <= tokens.len() as u64,
        "{} requests for {} tokens: mint more",
        run.requests,
        tokens.len()
    );
    anyhow::ensure!(run.non_2xx == 0, "{} userinfo requests failed", run.non_2xx);
    Ok(run.requests_per_second)
}

/// What the baseline verifies tokens with: the gateway's published ES256 key and its issuer,
/// read from its discovery document and JWKS.
struct Verifier {
    key: jsonwebtoken::DecodingKey,
    validation: jsonwebtoken::Validation,
}

impl Verifier {
    async fn from_gateway(base: &str, kid: &str) -> anyhow::Result<Self> {
        let client = reqwest::Client::new();
        let discovery: serde_json::Value = client
            .get(format!("{base}/.well-known/openid-configuration"))
            .send()
            .await?
            .json()
            .await?;
        let issuer = discovery["issuer"].as_str().unwrap_or_default().to_owned();
        let jwks: jsonwebtoken::jwk::JwkSet = client.get(format!("{base}/jwks.json")).send().await?.json().await?;
        let jwk = jwks
            .find(kid)
            .ok_or_else(|| anyhow::anyhow!("the gateway does not publish key {kid}"))?;
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
        validation.set_issuer(&[&issuer]);
        validation.set_audience(&[&issuer]);
        Ok(Self {
            key: jsonwebtoken::DecodingKey::from_jwk(jwk)?,
            validation,
        })
    }

    fn subject(&self, token: &str) -> anyhow::Result<uuid::Uuid> {
        let data =
            jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(token, &self.key, &self.validation)?;
        Ok(uuid::Uuid::parse_str(data.claims["sub"].as_str().unwrap_or_default())?)
    }
}

/// The baseline: tokens verified and their account read by primary key per second, over
/// `connections` connections of their own (the gateway's pool size), each task verifying and
/// querying in turn.
async fn verify_and_read_rate(
    verifier: Arc<Verifier>,
    tokens: Arc<Vec<String>>,
    database_url: &str,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    let mut conns = Vec::with_capacity(connections);
    for _ in 0..connections {
        conns.push(AsyncPgConnection::establish(database_url).await?);
    }
    let (count, next) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicUsize::new(0)));
    let deadline = Instant::now() + duration;
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|mut conn| {
            let (verifier, tokens, count, next) = (verifier.clone(), tokens.clone(), count.clone(), next.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let token = &tokens[next.fetch_add(1, Ordering::Relaxed) % tokens.len()];
                    let subject = verifier.subject(token)?;
                    accounts::table
                        .find(subject)
                        .select(accounts::login_email)
                        .first::<String>(&mut conn)
                        .await?;
                    count.fetch_add(1, Ordering::Relaxed);
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok(AtomicU64::load(&count, Ordering::Relaxed) as f64 / duration.as_secs_f64())
}
