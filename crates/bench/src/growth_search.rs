//! The console's search as the database grows: the `support-console` binary as a process of
//! its own, with a staff session opened straight in its database (as the console's tests do:
//! its sign-in goes through the gateway's password and TOTP page, which is not what is
//! measured here), one staff member searching one search at a time through `GET /?q=`, each
//! form of the box in turn (e-mail, contact number, subject id, last name), beside the same
//! search's SQL (`store::console::search`) on a connection of its own in the same run.

use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection};
use store::console::search::{Query, search};

use crate::{
    growth_data::{accounts_of, pick, search_values},
    report::quantile,
    service_process::{ServiceProcess, free_port, scratch_dir},
};

/// The forms of the search box, in the order they are measured.
pub const FORMS: [&str; 4] = ["e-mail", "contact number", "subject id", "last name"];

/// A page's hits, as the console lists them 25 at a time.
const PER_PAGE: i64 = 25;

/// The console process and the cookie of its staff session.
pub struct Console {
    pub process: ServiceProcess,
    cookie: String,
    client: reqwest::Client,
}

impl Console {
    /// Opens a viewer's session in `database_url` and starts the console on it.
    pub async fn start(database_url: &str) -> anyhow::Result<Self> {
        let mut conn = AsyncPgConnection::establish(database_url).await?;
        let email = format!("staff-{}@bench.example.org", uuid::Uuid::new_v4().simple());
        let secret = store::totp::new_secret().ok_or_else(|| anyhow::anyhow!("no randomness"))?;
        let staff = store::console::staff::NewStaff {
            email: &email,
            name: "Benchmark staff",
            role: store::console::Role::Viewer,
            // Never signs in: the session below is opened directly.
            password_hash: "unused",
            totp_secret: &secret,
        };
        let staff_id = store::console::staff::create(&mut conn, &staff)
            .await?
            .ok_or_else(|| anyhow::anyhow!("staff address taken"))?;
        let session =
            store::console::sessions::create(&mut conn, staff_id, store::console::Role::Viewer, chrono::Utc::now())
                .await?;
        let port = free_port()?;
        let env = [
            ("DATABASE_URL", database_url.to_owned()),
            ("CONSOLE_PUBLIC_URL", format!("http://127.0.0.1:{port}")),
            ("CONSOLE_CLIENT_SECRET", "benchmark-console-secret".to_owned()),
        ];
        let process = ServiceProcess::start("support-console", &[], &env, port, scratch_dir("console")?).await?;
        Ok(Self {
            process,
            cookie: format!("{}={session}", "__Host-console"),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
        })
    }

    /// One search through the page: its time and the hits it lists.
    async fn search(&self, text: &str) -> anyhow::Result<(Duration, usize)> {
        let started = Instant::now();
        let response = self
            .client
            .get(format!(
                "{}/?q={}",
                self.process.base,
                url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>()
            ))
            .header("cookie", &self.cookie)
            .send()
            .await?;
        let status = response.status();
        let html = response.text().await?;
        let took = started.elapsed();
        anyhow::ensure!(status == 200, "the console's search answered {status}");
        anyhow::ensure!(html.contains("role=\"search\""), "not the search page");
        Ok((took, html.matches("<tr><td>").count()))
    }
}

/// What each form types, `count` of each: fans picked across the `stored` ones (across
/// `largest` when none is stored, so the same kind of values find nothing).
pub async fn samples(
    conn: &mut AsyncPgConnection,
    stored: u64,
    largest: u64,
    count: usize,
) -> anyhow::Result<[Vec<String>; 4]> {
    let fans = pick(if stored > 0 { stored } else { largest }, count);
    let values = search_values(conn, &fans).await?;
    let numbers: Vec<String> = values.iter().map(|(number, _, _)| number.clone()).collect();
    let mut subjects: Vec<String> = accounts_of(conn, &fans)
        .await?
        .into_iter()
        .map(|(subject, _, _)| subject.to_string())
        .collect();
    // Six fans in ten have an account; unknown ids make up the rest (and all at 0).
    subjects.resize_with(count, || uuid::Uuid::new_v4().to_string());
    Ok([
        values.iter().map(|(_, email, _)| email.clone()).collect(),
        numbers,
        subjects,
        values.iter().map(|(_, _, last)| last.clone()).collect(),
    ])
}

/// One form's latencies: through the console, and its SQL alone.
pub struct FormLatencies {
    pub console: Vec<Duration>,
    pub raw: Vec<Duration>,
    /// Searches that found at least one fan.
    pub found: usize,
}

/// Each text searched through the console and by its SQL on `conn`, one after the other (in
/// turn first); both must list the same number of hits.
pub async fn measure_form(
    console: &Console,
    conn: &mut AsyncPgConnection,
    texts: &[String],
) -> anyhow::Result<FormLatencies> {
    let mut latencies = FormLatencies {
        console: Vec::with_capacity(texts.len()),
        raw: Vec::with_capacity(texts.len()),
        found: 0,
    };
    for (index, text) in texts.iter().enumerate() {
        let query = Query::parse(text).ok_or_else(|| anyhow::anyhow!("not a search: {text}"))?;
        let sql = async {
            let started = Instant::now();
            let (hits, _) = search(conn, &query, 0, PER_PAGE).await?;
            anyhow::Ok((started.elapsed(), hits))
        };
        // Whichever goes second finds the rows in PostgreSQL's buffers: each goes first in turn.
        let ((took, listed), (raw, hits)) = if index % 2 == 0 {
            let console = console.search(text).await?;
            (console, sql.await?)
        } else {
            let sql = sql.await?;
            (console.search(text).await?, sql)
        };
        latencies.raw.push(raw);
        latencies.console.push(took);
        anyhow::ensure!(
            listed == hits.len(),
            "the console listed {listed} fans for a {} search, its SQL {}",
            query.kind(),
            hits.len()
        );
        latencies.found += usize::from(!hits.is_empty());
    }
    Ok(latencies)
}

/// Searches per second one after the other, p50 and p99 in ms.
pub fn summary(latencies: &mut [Duration]) -> (f64, f64, f64) {
    let total: Duration = latencies.iter().sum();
    let rate = latencies.len() as f64 / total.as_secs_f64().max(1e-9);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (rate, ms(quantile(latencies, 0.5)), ms(quantile(latencies, 0.99)))
}
