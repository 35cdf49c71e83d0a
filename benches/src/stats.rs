//! Percentiles and formatting for the latency tables.

use std::time::Duration;

/// Percentiles of a sample.
#[derive(Clone, Copy, Debug, Default)]
pub struct Summary {
    /// Number of values.
    pub count: usize,
    /// Median.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Largest value.
    pub max: Duration,
    /// Mean.
    pub mean: Duration,
    /// Sum.
    pub total: Duration,
}

impl Summary {
    /// Summarises `values` (sorted in place).
    pub fn of(values: &mut [Duration]) -> Self {
        values.sort_unstable();
        let count = values.len();
        if count == 0 {
            return Self::default();
        }
        let at = |q: f64| values[(((count - 1) as f64) * q).round() as usize];
        let total: Duration = values.iter().sum();
        Self {
            count,
            p50: at(0.50),
            p99: at(0.99),
            max: values[count - 1],
            mean: total / count as u32,
            total,
        }
    }
}

/// A duration in µs with two decimals.
pub fn micros(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e6)
}
