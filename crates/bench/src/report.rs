//! Statistics and the printed table.

use std::time::Duration;

/// The median of a non-empty list (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// The `q` quantile (0..=1) of latencies, nearest-rank.
pub fn quantile(latencies: &mut [Duration], q: f64) -> Duration {
    if latencies.is_empty() {
        return Duration::ZERO;
    }
    latencies.sort();
    let rank = ((q * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len());
    latencies[rank - 1]
}

/// One row of the final table.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub benchmark: String,
    pub figure: f64,
    pub unit: &'static str,
    pub baseline_name: String,
    pub baseline: f64,
    pub ratio: f64,
    pub target: String,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

pub fn print_table(rows: &[Row]) {
    println!();
    let (benchmark, median, p50, p99, baseline, ratio) =
        ("benchmark", "median", "p50 ms", "p99 ms", "raw baseline", "ratio");
    println!("{benchmark:<56} {median:>12} {p50:>9} {p99:>9}   {baseline:<34} {median:>12} {ratio:>7}  target");
    for row in rows {
        let ms = |v: Option<f64>| v.map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".into());
        println!(
            "{:<56} {:>12.0} {:>9} {:>9}   {:<34} {:>12.0} {:>7.2}  {}",
            format!("{} ({})", row.benchmark, row.unit),
            row.figure,
            ms(row.p50_ms),
            ms(row.p99_ms),
            row.baseline_name,
            row.baseline,
            row.ratio,
            row.target
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_quantiles() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        let mut latencies: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(quantile(&mut latencies, 0.5), Duration::from_millis(50));
        assert_eq!(quantile(&mut latencies, 0.99), Duration::from_millis(99));
    }
}
