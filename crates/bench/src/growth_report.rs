//! The growth benchmark's rows: each figure at each size beside the same figure on the
//! smallest (empty) database, with its ratio and target, plus the series and size the chart
//! of `scripts/bench-report.py` draws its curves from.

use crate::report::Row;

/// One figure measured at one size.
#[derive(Debug, Clone)]
pub struct Measured {
    /// Fans stored.
    pub size: u64,
    pub series: String,
    pub unit: &'static str,
    pub figure: f64,
    /// p50 and p99, ms.
    pub latency: Option<(f64, f64)>,
}

/// A row of the table, and what the growth chart needs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GrowthRow {
    #[serde(flatten)]
    pub row: Row,
    pub series: String,
    pub contacts: u64,
}

/// Where a series stands against the empty database.
const RATE_TARGET: f64 = 0.8;
/// Peak memory allowed, as a multiple of the empty database's: flat, with room for noise.
const MEMORY_TARGET: f64 = 1.2;
/// The bound on a search's p99 through the console.
const SEARCH_P99_MS: f64 = 100.0;

/// `1000000` as `1M`, `50000` as `50k`.
pub fn size_label(size: u64) -> String {
    match size {
        0 => "0".into(),
        s if s % 1_000_000 == 0 => format!("{}M", s / 1_000_000),
        s if s % 1_000 == 0 => format!("{}k", s / 1_000),
        s => s.to_string(),
    }
}

pub fn rows(measured: &[Measured]) -> Vec<GrowthRow> {
    let Some(first) = measured.first().map(|m| m.size) else {
        return Vec::new();
    };
    let at = |series: &str, size: u64| {
        measured
            .iter()
            .find(|m| m.series == series && m.size == size)
            .map(|m| m.figure)
            .unwrap_or(f64::NAN)
    };
    let met = |ok: bool| if ok { "met" } else { "missed" };
    measured
        .iter()
        .map(|m| {
            let baseline = at(&m.series, first);
            let mut ratio = m.figure / baseline;
            let mut baseline_name = format!("same at {} fans", size_label(first));
            let target = if m.size == first {
                "none (the baseline)".to_owned()
            } else if m.series.ends_with("peak memory") {
                format!("ratio ≤ {MEMORY_TARGET}")
            } else if m.series == "password sign-ins" {
                // Bound by argon2id: compared as a share of the hash rate measured beside it.
                let hashes = "argon2id hashing beside";
                ratio = (m.figure / at(hashes, m.size)) / (baseline / at(hashes, first));
                baseline_name.push_str(", per argon2id");
                format!("ratio ≥ {RATE_TARGET}")
            } else if m.series.starts_with("console search") {
                let p99 = m.latency.map(|(_, p99)| p99).unwrap_or(f64::NAN);
                let ok = ratio >= RATE_TARGET && p99 < SEARCH_P99_MS;
                format!("ratio ≥ {RATE_TARGET}, p99 < {SEARCH_P99_MS} ms ({})", met(ok))
            } else if m.series.starts_with("search SQL") || m.series.starts_with("argon2id") {
                "none (measured beside)".to_owned()
            } else {
                format!("ratio ≥ {RATE_TARGET}")
            };
            GrowthRow {
                row: Row {
                    benchmark: format!("growth {}: {}", size_label(m.size), m.series),
                    figure: m.figure,
                    unit: m.unit,
                    baseline_name,
                    baseline,
                    ratio,
                    target,
                    p50_ms: m.latency.map(|(p50, _)| p50),
                    p99_ms: m.latency.map(|(_, p99)| p99),
                },
                series: m.series.clone(),
                contacts: m.size,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(size: u64, series: &str, figure: f64, latency: Option<(f64, f64)>) -> Measured {
        Measured {
            size,
            series: series.into(),
            unit: "/s",
            figure,
            latency,
        }
    }

    #[test]
    fn each_figure_is_judged_against_the_empty_database() {
        let rows = rows(&[
            measured(0, "password sign-ins", 100.0, None),
            measured(0, "argon2id hashing beside", 100.0, None),
            measured(0, "console search, e-mail", 500.0, Some((2.0, 4.0))),
            measured(1_000_000, "password sign-ins", 60.0, None),
            measured(1_000_000, "argon2id hashing beside", 60.0, None),
            measured(1_000_000, "console search, e-mail", 450.0, Some((2.0, 120.0))),
        ]);
        assert_eq!(rows[0].row.target, "none (the baseline)");
        // The machine hashed slower too: the sign-ins kept their share of it.
        assert!((rows[3].row.ratio - 1.0).abs() < 1e-9);
        assert_eq!(rows[3].row.benchmark, "growth 1M: password sign-ins");
        assert!(rows[5].row.target.ends_with("(missed)"), "{}", rows[5].row.target);
        assert_eq!(size_label(50_000), "50k");
    }
}
