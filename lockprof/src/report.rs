//! What a profile command reports: per run (one lock granularity), the throughput and the
//! profile by lock class and by role; the sharded/single ratio; the profiling overhead.

use crate::table::{count, per_sec, Table};
use crate::workload::{Measured, Workload};
use serde::Serialize;
use store::profile::{LockClass, Row, Snapshot};

/// One profiled run.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// The chunk store mutex's granularity (`single`, `sharded:16`).
    pub lock: String,
    /// Operations the main threads completed in the last round.
    pub ops: u64,
    /// Wall time of the main threads in the last round, in seconds.
    pub wall_secs: f64,
    /// Operations per second in each round, in order.
    pub rates: Vec<f64>,
    /// Their median.
    pub rate: f64,
    /// One row per lock class, all roles together, summed over every round.
    pub classes: Vec<Row>,
    /// One row per lock class and role.
    pub rows: Vec<Row>,
}

impl RunReport {
    /// A granularity's report from its last round, every round's rate, and the profile
    /// summed over every round.
    pub fn new(lock: String, last: &Measured, rates: Vec<f64>, snapshot: &Snapshot) -> Self {
        Self {
            lock,
            ops: last.ops,
            wall_secs: last.wall.as_secs_f64(),
            rate: median(rates.clone()),
            rates,
            classes: snapshot.classes(),
            rows: snapshot.rows(),
        }
    }

    /// The store's lock class whose blocked acquisitions waited longest in total, if any
    /// waited (the driver's own locks are not the store's).
    pub fn most_waited(&self) -> Option<&Row> {
        (self.classes.iter())
            .filter(|r| r.wait.total_ns > 0 && r.class != LockClass::Driver)
            .max_by_key(|r| r.wait.total_ns)
    }
}

/// Profiled against unprofiled runs of the same workload, alternated.
#[derive(Clone, Debug, Serialize)]
pub struct Overhead {
    /// The lock granularity.
    pub lock: String,
    /// Operations per second of each unprofiled run, in order.
    pub unprofiled: Vec<f64>,
    /// Operations per second of each profiled run, in order (each after its unprofiled
    /// twin).
    pub profiled: Vec<f64>,
    /// The median over pairs of profiled / unprofiled: 1 is free, 0.9 costs 10 %.
    pub median_ratio: f64,
}

impl Overhead {
    /// The pairs' ratios and their median.
    pub fn new(lock: String, unprofiled: Vec<f64>, profiled: Vec<f64>) -> Self {
        let ratios: Vec<f64> = (profiled.iter().zip(&unprofiled))
            .map(|(p, u)| p / u.max(1e-9))
            .collect();
        let median_ratio = median(ratios);
        Self {
            lock,
            unprofiled,
            profiled,
            median_ratio,
        }
    }
}

/// The whole report of one command.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The workload.
    pub workload: Workload,
    /// The command's settings, as one line.
    pub settings: String,
    /// What one operation is.
    pub unit: String,
    /// One run per lock granularity, in the order run.
    pub runs: Vec<RunReport>,
    /// The last run's rate over the first's (sharded over single with `--lock both`).
    pub ratio: Option<f64>,
    /// With `--overhead`: the profiling overhead per granularity.
    pub overhead: Vec<Overhead>,
}

impl Report {
    /// A report of `runs`.
    pub fn new(workload: Workload, settings: String, runs: Vec<RunReport>) -> Self {
        let ratio = match runs.as_slice() {
            [first, .., last] => Some(last.rate / first.rate.max(1e-9)),
            _ => None,
        };
        Self {
            workload,
            settings,
            unit: workload.unit().to_string(),
            runs,
            ratio,
            overhead: Vec::new(),
        }
    }

    /// The terminal form.
    pub fn text(&self) -> String {
        self.render(false)
    }

    /// The Markdown form.
    pub fn markdown(&self) -> String {
        self.render(true)
    }

    fn render(&self, markdown: bool) -> String {
        let table = |t: Table| if markdown { t.markdown() } else { t.text() };
        let mut out = match markdown {
            true => format!(
                "## Lock contention profile\n\n`{}`\n\nProfiles: {LEGEND}.\n\n",
                self.settings
            ),
            false => format!(
                "lock contention profile: {}\nprofiles: {LEGEND}\n\n",
                self.settings
            ),
        };
        for run in &self.runs {
            let head = format!(
                "lock {}: {} per second (median of {}: {}); last round {} {} in {:.2} s",
                run.lock,
                per_sec(run.rate),
                run.rates.len(),
                rates(&run.rates),
                count(run.ops),
                self.unit,
                run.wall_secs,
            );
            out.push_str(&match markdown {
                true => format!("### {head}\n\nBy lock class:\n\n"),
                false => format!("{head}\n  by lock class:\n"),
            });
            out.push_str(&table(profile_table(&run.classes, false)));
            out.push_str(if markdown {
                "\nBy lock class and role:\n\n"
            } else {
                "  by lock class and role:\n"
            });
            out.push_str(&table(profile_table(&run.rows, true)));
            if let Some(top) = run.most_waited() {
                out.push_str(&format!(
                    "{}most waiting: {} ({} in total, {:.1} % of acquisitions blocked)\n",
                    if markdown { "\n" } else { "  " },
                    top.class,
                    duration(top.wait.total_ns),
                    100.0 * top.contended_share()
                ));
            }
            out.push('\n');
        }
        if let (Some(ratio), [first, .., last]) = (self.ratio, self.runs.as_slice()) {
            out.push_str(&format!(
                "throughput {} / {} (medians): {ratio:.2}x\n",
                last.lock, first.lock
            ));
        }
        for o in &self.overhead {
            out.push_str(&format!(
                "{}profiling overhead, lock {}: profiled / unprofiled = {:.3}x (median of {} pairs, each profiled run right after its unprofiled twin; per second unprofiled {}, profiled {})\n",
                if markdown { "\n" } else { "" },
                o.lock,
                o.median_ratio,
                o.profiled.len(),
                rates(&o.unprofiled),
                rates(&o.profiled)
            ));
        }
        out
    }
}

fn rates(r: &[f64]) -> String {
    let r: Vec<String> = r.iter().map(|x| per_sec(*x)).collect();
    r.join(", ")
}

/// What the columns mean, under each run's heading.
const LEGEND: &str = "every round summed; waited: share of acquisitions that blocked; \
wait columns over the blocked ones only; chunk-lock-wait counts each sleep on a held chunk";

/// The profile as a table; `by_role` adds the role column.
fn profile_table(rows: &[Row], by_role: bool) -> Table {
    let mut header = vec![("lock class", false)];
    if by_role {
        header.push(("role", false));
    }
    header.extend([
        ("acquired", true),
        ("waited", true),
        ("wait p50", true),
        ("wait p99", true),
        ("wait max", true),
        ("wait total", true),
        ("hold p50", true),
        ("hold p99", true),
        ("hold max", true),
        ("hold total", true),
    ]);
    let mut t = Table::new(&header);
    for r in rows {
        let mut cells = vec![r.class.to_string()];
        if by_role {
            cells.push(r.role.map_or("all".into(), |role| role.to_string()));
        }
        let hold = |ns: u64| match r.class.is_condition() {
            true => "-".to_string(),
            false => duration(ns),
        };
        cells.extend([
            count(r.acquisitions),
            format!("{:.1} %", 100.0 * r.contended_share()),
            duration(r.wait.p50_ns),
            duration(r.wait.p99_ns),
            duration(r.wait.max_ns),
            duration(r.wait.total_ns),
            hold(r.hold.p50_ns),
            hold(r.hold.p99_ns),
            hold(r.hold.max_ns),
            hold(r.hold.total_ns),
        ]);
        t.row(cells.iter().map(String::as_str));
    }
    t
}

/// The median (0 for none).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// A duration in the unit that fits: ns, µs, ms or s.
pub fn duration(ns: u64) -> String {
    let ns_f = ns as f64;
    match ns {
        0 => "0".into(),
        1..=999 => format!("{ns} ns"),
        1_000..=999_999 => format!("{:.1} µs", ns_f / 1e3),
        1_000_000..=999_999_999 => format!("{:.1} ms", ns_f / 1e6),
        _ => format!("{:.2} s", ns_f / 1e9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_pick_their_unit() {
        assert_eq!(duration(0), "0");
        assert_eq!(duration(850), "850 ns");
        assert_eq!(duration(12_345), "12.3 µs");
        assert_eq!(duration(4_500_000), "4.5 ms");
        assert_eq!(duration(2_000_000_000), "2.00 s");
    }

    #[test]
    fn overhead_is_the_median_of_pair_ratios() {
        let o = Overhead::new(
            "single".into(),
            vec![100.0, 100.0, 100.0],
            vec![90.0, 99.0, 50.0],
        );
        assert!((o.median_ratio - 0.9).abs() < 1e-9, "{o:?}");
        let even = Overhead::new("s".into(), vec![10.0, 10.0], vec![9.0, 10.0]);
        assert!((even.median_ratio - 0.95).abs() < 1e-9);
    }
}
