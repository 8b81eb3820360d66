//! The optional breached-password check: a k-anonymity range query in the scheme of
//! "Have I Been Pwned" Pwned Passwords (<https://haveibeenpwned.com/API/v3#PwnedPasswords>).
//!
//! Only the first 5 hex digits of the password's SHA-1 leave the gateway; the service answers
//! with every suffix it knows under that prefix (hundreds), and the match is made here, so the
//! service never learns which password, or even which full hash, was asked about.

use std::{fmt::Write as _, time::Duration};

use sha1::{Digest, Sha1};

/// How long the whole query may take. Sign-up waits for it, and a fan should not notice it:
/// the range API usually answers in tens of milliseconds from a CDN.
pub const RANGE_TIMEOUT: Duration = Duration::from_secs(2);

/// A padded answer is about 40 KiB (800 to 1,000 lines); anything much bigger is not the range
/// API, and reading it whole would let a misconfigured URL fill memory.
const MAX_BODY: usize = 1024 * 1024;

/// Why the range query gave no answer. Every one means "unknown", never "breached".
#[derive(Debug, thiserror::Error)]
pub enum RangeError {
    #[error("the base URL {0} cannot take a path segment")]
    BaseUrl(url::Url),
    #[error("range request failed (network or {RANGE_TIMEOUT:?} timeout)")]
    Http(#[from] reqwest::Error),
    #[error("range service answered {0}")]
    Status(reqwest::StatusCode),
    #[error("range answer larger than {MAX_BODY} bytes")]
    TooLarge,
    #[error("range answer line for our suffix is malformed: {0:?}")]
    Malformed(String),
}

/// Whether the password appears in the breach corpus behind `base_url`, asked with
/// `GET <base_url>/<first 5 hex digits of SHA-1>` and padding requested (`Add-Padding: true`,
/// so the size of the answer does not reveal the prefix either).
///
/// The answer's lines are `SUFFIX:COUNT`. A suffix listed with a count of 0 is padding, not a
/// breach, and does not count as found.
///
/// Fail open: the caller treats `Err` as "not known to be breached", logs it and lets the
/// sign-up go on, so an outage or a slow answer of that outside service never blocks fans. The
/// request gives up after [`RANGE_TIMEOUT`] whatever timeouts `client` has. `client` should carry
/// a `User-Agent` naming the gateway, as the public service asks.
pub async fn breached_in_range(
    client: &reqwest::Client,
    base_url: &url::Url,
    password: &str,
) -> Result<bool, RangeError> {
    query(client, base_url, password, RANGE_TIMEOUT).await
}

/// [`breached_in_range`] with the timeout as a parameter, so the tests need not wait 2 s.
async fn query(
    client: &reqwest::Client,
    base_url: &url::Url,
    password: &str,
    timeout: Duration,
) -> Result<bool, RangeError> {
    let hash = sha1_upper_hex(password);
    let (prefix, suffix) = hash.split_at(5);
    let mut url = base_url.clone();
    // Appended as a segment, unlike `Url::join`, which would replace the last segment of a
    // base without a trailing slash (".../range" + "ABCDE" would give ".../ABCDE").
    url.path_segments_mut()
        .map_err(|()| RangeError::BaseUrl(base_url.clone()))?
        .pop_if_empty()
        .push(prefix);

    let mut response = client
        .get(url)
        .header("Add-Padding", "true")
        .timeout(timeout)
        .send()
        .await?;
    if !response.status().is_success() {
        return Err(RangeError::Status(response.status()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(RangeError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    found(&String::from_utf8_lossy(&body), suffix)
}

/// Looks for `suffix` in the answer; only a positive count means breached.
fn found(body: &str, suffix: &str) -> Result<bool, RangeError> {
    for line in body.lines() {
        let Some((candidate, count)) = line.trim().split_once(':') else {
            continue;
        };
        if candidate.eq_ignore_ascii_case(suffix) {
            let count: u64 = count
                .trim()
                .parse()
                .map_err(|_| RangeError::Malformed(line.to_owned()))?;
            return Ok(count > 0);
        }
    }
    Ok(false)
}

fn sha1_upper_hex(password: &str) -> String {
    let digest = Sha1::digest(password.as_bytes());
    let mut hex = String::with_capacity(40);
    for byte in digest {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{byte:02X}");
    }
    hex
}

#[cfg(test)]
mod tests {
    use std::{
        io::{Read, Write},
        net::TcpListener,
        sync::mpsc,
        thread,
    };

    use super::*;

    /// SHA-1("password") = 5BAA6 1E4C9B93F3F0682250B6CF8331B7EE68FD8.
    const PREFIX: &str = "5BAA6";
    const SUFFIX: &str = "1E4C9B93F3F0682250B6CF8331B7EE68FD8";

    /// A one-shot HTTP server on 127.0.0.1, port 0: it reads one request, sleeps `delay`, then
    /// writes `response` verbatim. Returns the base URL and a receiver of the request head.
    fn serve_once(response: String, delay: Duration) -> (url::Url, mpsc::Receiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = url::Url::parse(&format!("http://{}/range", listener.local_addr().unwrap())).unwrap();
        let (sent, received) = mpsc::channel();
        thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut head = Vec::new();
            let mut byte = [0; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let _ = sent.send(String::from_utf8_lossy(&head).into_owned());
            thread::sleep(delay);
            let _ = stream.write_all(response.as_bytes());
        });
        (base, received)
    }

    fn ok(body: &str) -> String {
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
    }

    async fn ask(response: String, delay: Duration) -> (Result<bool, RangeError>, String) {
        let (base, head) = serve_once(response, delay);
        let result = query(&reqwest::Client::new(), &base, "password", Duration::from_millis(300)).await;
        (result, head.recv().unwrap())
    }

    #[test]
    fn hashes_as_the_api_expects() {
        assert_eq!(sha1_upper_hex("password"), format!("{PREFIX}{SUFFIX}"));
    }

    #[tokio::test]
    async fn found_when_the_suffix_has_a_count() {
        let body = format!(
            "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n{SUFFIX}:10434004\r\n00D4F6E8FA6EECAD2A3AA415EEC418D38EC:2"
        );
        let (result, head) = ask(ok(&body), Duration::ZERO).await;
        assert!(result.unwrap());
        // Only the prefix leaves, appended to the base path, with padding asked for.
        assert!(head.starts_with(&format!("GET /range/{PREFIX} HTTP/1.1\r\n")), "{head}");
        assert!(head.to_ascii_lowercase().contains("add-padding: true"), "{head}");
        assert!(!head.contains(SUFFIX));
    }

    #[tokio::test]
    async fn not_found_when_the_suffix_is_absent() {
        let body = "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n00D4F6E8FA6EECAD2A3AA415EEC418D38EC:2\r\n";
        let (result, _) = ask(ok(body), Duration::ZERO).await;
        assert!(!result.unwrap());
    }

    #[tokio::test]
    async fn padding_line_with_count_zero_is_not_found() {
        let body = format!(
            "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n{}:0\r\n",
            SUFFIX.to_lowercase()
        );
        let (result, _) = ask(ok(&body), Duration::ZERO).await;
        assert!(!result.unwrap());
    }

    #[tokio::test]
    async fn server_error_is_an_error() {
        let response = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
        let (result, _) = ask(response.to_owned(), Duration::ZERO).await;
        assert!(
            matches!(result, Err(RangeError::Status(status)) if status.as_u16() == 503),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn malformed_count_is_an_error() {
        let (result, _) = ask(ok(&format!("{SUFFIX}:many\r\n")), Duration::ZERO).await;
        assert!(matches!(result, Err(RangeError::Malformed(_))), "{result:?}");
    }

    #[tokio::test]
    async fn slow_server_times_out() {
        let (result, _) = ask(ok(&format!("{SUFFIX}:1\r\n")), Duration::from_secs(2)).await;
        assert!(
            matches!(&result, Err(RangeError::Http(error)) if error.is_timeout()),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn base_url_that_takes_no_path_is_an_error() {
        let base = url::Url::parse("mailto:range@example.org").unwrap();
        let result = breached_in_range(&reqwest::Client::new(), &base, "password").await;
        assert!(matches!(result, Err(RangeError::BaseUrl(_))), "{result:?}");
    }
}
