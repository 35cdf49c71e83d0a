//! Log-linear histograms of durations in nanoseconds, written with relaxed atomics by one
//! thread and read by any.

use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Buckets per power of two, as a bit count: 8 buckets, so a bucket spans 1/8 of its
/// octave and a percentile read from it is within 12.5 % of the true value.
const SUB_BITS: u32 = 3;
const SUB: u64 = 1 << SUB_BITS;
/// Enough buckets for every `u64`.
pub(super) const BUCKETS: usize = ((64 - SUB_BITS as usize) + 1) * SUB as usize;

/// The bucket of `ns`: values below [`SUB`] exactly, then [`SUB`] buckets per octave.
fn bucket(ns: u64) -> usize {
    if ns < SUB {
        return ns as usize;
    }
    let msb = 63 - ns.leading_zeros();
    let sub = (ns >> (msb - SUB_BITS)) & (SUB - 1);
    ((msb - SUB_BITS + 1) as u64 * SUB + sub) as usize
}

/// The largest value bucket `i` holds.
fn upper_bound(i: usize) -> u64 {
    let i = i as u64;
    if i < SUB {
        return i;
    }
    let octave = i / SUB - 1 + u64::from(SUB_BITS);
    let sub = i % SUB;
    let lower = (SUB + sub) << (octave - u64::from(SUB_BITS));
    lower + ((1u64 << (octave - u64::from(SUB_BITS))) - 1)
}

/// Durations recorded by one thread.
pub(super) struct Histogram {
    buckets: Box<[AtomicU64]>,
    total: AtomicU64,
    max: AtomicU64,
}

impl Histogram {
    pub(super) fn new() -> Self {
        Self {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            total: AtomicU64::new(0),
            max: AtomicU64::new(0),
        }
    }

    /// Records one duration. Only the owning thread writes, so a relaxed load and store
    /// suffice (no locked read-modify-write); readers may see a record half written, which
    /// a snapshot taken while threads run tolerates.
    pub(super) fn record(&self, ns: u64) {
        bump(&self.buckets[bucket(ns)], 1);
        bump(&self.total, ns);
        if ns > self.max.load(Relaxed) {
            self.max.store(ns, Relaxed);
        }
    }

    /// Adds what this histogram holds to `into`.
    pub(super) fn add_to(&self, into: &mut Counts) {
        for (sum, b) in into.buckets.iter_mut().zip(self.buckets.iter()) {
            *sum += b.load(Relaxed);
        }
        into.total += self.total.load(Relaxed);
        into.max = into.max.max(self.max.load(Relaxed));
    }

    pub(super) fn clear(&self) {
        for b in self.buckets.iter() {
            b.store(0, Relaxed);
        }
        self.total.store(0, Relaxed);
        self.max.store(0, Relaxed);
    }
}

/// Adds `n` to a counter only its owning thread writes.
pub(super) fn bump(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Relaxed).wrapping_add(n), Relaxed);
}

/// A histogram's values, summed over threads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Counts {
    pub(super) buckets: Vec<u64>,
    pub(super) total: u64,
    pub(super) max: u64,
}

impl Default for Counts {
    fn default() -> Self {
        Self {
            buckets: vec![0; BUCKETS],
            total: 0,
            max: 0,
        }
    }
}

impl Counts {
    pub(super) fn merge(&mut self, other: &Counts) {
        for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
            *a += b;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// The distribution's summary: percentiles are bucket upper bounds, never above the
    /// exact maximum.
    pub(super) fn summary(&self) -> Summary {
        let count: u64 = self.buckets.iter().sum();
        let quantile = |q: f64| {
            if count == 0 {
                return 0;
            }
            let rank = ((count as f64 * q).ceil() as u64).clamp(1, count);
            let mut seen = 0;
            for (i, n) in self.buckets.iter().enumerate() {
                seen += n;
                if seen >= rank {
                    return upper_bound(i).min(self.max);
                }
            }
            self.max
        };
        Summary {
            count,
            p50_ns: quantile(0.50),
            p99_ns: quantile(0.99),
            max_ns: self.max,
            total_ns: self.total,
        }
    }

    /// The recorded durations as (bucket upper bound in ns, count) for every bucket that
    /// holds any: the distribution a plot draws.
    pub(super) fn points(&self) -> Vec<(u64, u64)> {
        (self.buckets.iter().enumerate())
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| (upper_bound(i), *n))
            .collect()
    }
}

/// A distribution of durations: how many, median, 99th percentile, maximum and sum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// How many durations were recorded.
    pub count: u64,
    /// The median (within 12.5 %).
    pub p50_ns: u64,
    /// The 99th percentile (within 12.5 %).
    pub p99_ns: u64,
    /// The largest, exactly.
    pub max_ns: u64,
    /// The sum, exactly.
    pub total_ns: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_ordered_and_bounded() {
        let mut last = 0;
        for ns in (0..5000).chain([u64::MAX / 3, u64::MAX - 1, u64::MAX]) {
            let b = bucket(ns);
            assert!(b < BUCKETS, "{ns} -> {b}");
            assert!(b >= last || ns > 5000, "buckets grow with the value");
            assert!(upper_bound(b) >= ns, "{ns} above its bucket's bound");
            if ns >= SUB {
                assert!(
                    (upper_bound(b) - ns) as f64 <= ns as f64 / SUB as f64,
                    "{ns}: bucket {b} too wide"
                );
            }
            last = b;
        }
        assert_eq!(upper_bound(BUCKETS - 1), u64::MAX);
    }

    #[test]
    fn percentiles_from_the_buckets() {
        let h = Histogram::new();
        for ns in 1..=1000 {
            h.record(ns);
        }
        let mut c = Counts::default();
        h.add_to(&mut c);
        let s = c.summary();
        assert_eq!(s.count, 1000);
        assert_eq!(s.max_ns, 1000);
        assert_eq!(s.total_ns, 500_500);
        assert!((500..=563).contains(&s.p50_ns), "{s:?}");
        assert!((990..=1000).contains(&s.p99_ns), "{s:?}");
        assert_eq!(Counts::default().summary(), Summary::default());
        h.clear();
        let mut c = Counts::default();
        h.add_to(&mut c);
        assert_eq!(c.summary().count, 0);
    }
}
