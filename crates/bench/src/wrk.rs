//! Load generation with `wrk` (Debian package `wrk`): a separate, lean C process, so the
//! figure measures the service rather than an in-process HTTP client competing with it for
//! the same two cores.

use std::{path::Path, process::Command, time::Duration};

/// `wrk`'s threads (`-t`); a script that splits work between threads divides by it.
pub const THREADS: usize = 2;

/// What one `wrk` run measured.
#[derive(Debug, Clone, Copy)]
pub struct WrkRun {
    pub requests_per_second: f64,
    /// Requests completed.
    pub requests: u64,
    pub p50: Duration,
    pub p99: Duration,
    pub non_2xx: u64,
}

/// Whether `wrk` is installed.
pub fn available() -> bool {
    Command::new("wrk").arg("--version").output().is_ok()
}

/// A Lua script POSTing `batch` distinct contacts per request (numbers unique per thread,
/// request and element) with a bearer token.
pub fn script(batch: usize, token: &str, round: usize) -> String {
    let sample = crate::sample_contact("NUMBER").to_string();
    let (before, after) = sample.split_once("\"NUMBER\"").unwrap_or((&sample, ""));
    format!(
        r#"local counter = 0
local threads = 0
setup = function(thread) thread:set("tid", threads); threads = threads + 1 end
local before = {before:?}
local after = {after:?}
request = function()
  counter = counter + 1
  local items = {{}}
  for i = 1, {batch} do
    items[i] = before .. '"{round}w' .. tid .. '-' .. counter .. '-' .. i .. '"' .. after
  end
  local body = '[' .. table.concat(items, ',') .. ']'
  return wrk.format("POST", nil, {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {token}"}}, body)
end
"#
    )
}

/// Runs `wrk` against `url` and parses its report.
pub fn run(url: &str, script_path: &Path, connections: usize, duration: Duration) -> anyhow::Result<WrkRun> {
    let output = Command::new("wrk")
        .arg(format!("-t{THREADS}"))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{}s", duration.as_secs().max(1)))
        .arg("--latency")
        .arg("-s")
        .arg(script_path)
        .arg(url)
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "wrk failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    parse(&String::from_utf8_lossy(&output.stdout))
}

fn parse(report: &str) -> anyhow::Result<WrkRun> {
    let field = |prefix: &str| {
        report.lines().find_map(|line| {
            line.trim_start()
                .strip_prefix(prefix)
                .map(|rest| rest.trim().to_owned())
        })
    };
    let requests_per_second = field("Requests/sec:")
        .ok_or_else(|| anyhow::anyhow!("no rate in wrk output"))?
        .parse()?;
    let requests = report
        .lines()
        .find_map(|line| line.trim().split_once(" requests in ").map(|(n, _)| n.to_owned()))
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(0);
    let p50 = field("50%").map(|v| latency(&v)).transpose()?.unwrap_or_default();
    let p99 = field("99%").map(|v| latency(&v)).transpose()?.unwrap_or_default();
    let non_2xx = field("Non-2xx or 3xx responses:")
        .map(|v| v.parse())
        .transpose()?
        .unwrap_or(0);
    Ok(WrkRun {
        requests_per_second,
        requests,
        p50,
        p99,
        non_2xx,
    })
}

/// `wrk` prints latencies as `812.00us`, `6.87ms` or `1.02s`.
fn latency(value: &str) -> anyhow::Result<Duration> {
    let (number, unit) = value.split_at(value.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(value.len()));
    let number: f64 = number.parse()?;
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        other => anyhow::bail!("unknown latency unit {other}"),
    };
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_wrk_report() {
        let report = "Running 6s test @ http://127.0.0.1:18081/\n  2 threads and 64 connections\n  Latency Distribution\n     50%    6.87ms\n     75%   10.01ms\n     90%   14.50ms\n     99%    1.02s\n  65000 requests in 6.00s, 9.36MB read\n  Non-2xx or 3xx responses: 3\nRequests/sec:  11086.81\nTransfer/sec:      1.56MB\n";
        let run = parse(report).expect("parses");
        assert_eq!(run.requests_per_second, 11086.81);
        assert_eq!(run.requests, 65000);
        assert_eq!(run.p50, Duration::from_micros(6870));
        assert_eq!(run.p99, Duration::from_millis(1020));
        assert_eq!(run.non_2xx, 3);
        assert_eq!(latency("812.00us").expect("us"), Duration::from_micros(812));
    }
}
