//! Prints the criterion results under `target/criterion` as Markdown tables with the ratios
//! `BENCHMARKS.md` records: throughput against the group's sha256 baseline (same threads),
//! and sharded against single-mutex throughput (same case).
//!
//! Usage: `cargo run -p benches --release --bin bench-report [-- <criterion dir>]`.

use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// One benchmark's result.
struct Result {
    function: String,
    value: String,
    /// Nanoseconds per iteration (criterion's slope when it has one, else the mean).
    ns: f64,
    elements: f64,
    bytes: f64,
}

impl Result {
    fn per_sec(&self) -> f64 {
        self.elements * 1e9 / self.ns
    }
    fn mib_per_sec(&self) -> f64 {
        self.bytes * 1e9 / self.ns / (1024.0 * 1024.0)
    }
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_str(&fs::read_to_string(path).ok()?).ok()
}

fn point(estimates: &Value, key: &str) -> Option<f64> {
    estimates.get(key)?.get("point_estimate")?.as_f64()
}

fn throughput(bench: &Value) -> (f64, f64) {
    let t = &bench["throughput"];
    let num = |v: &Value| v.as_f64().unwrap_or(0.0);
    if let Some(eb) = t.get("ElementsAndBytes") {
        (num(&eb["elements"]), num(&eb["bytes"]))
    } else if let Some(e) = t.get("Elements") {
        (num(e), 0.0)
    } else if let Some(b) = t.get("Bytes") {
        (1.0, num(b))
    } else {
        (1.0, 0.0)
    }
}

/// Every `new/benchmark.json` below `dir`, with the newest and oldest modification time.
fn collect(
    dir: &Path,
    out: &mut BTreeMap<String, Vec<Result>>,
    times: &mut Vec<SystemTime>,
) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if !path.is_dir() {
            continue;
        }
        let bench = path.join("new").join("benchmark.json");
        let estimates = path.join("new").join("estimates.json");
        if let (Some(b), Some(e)) = (read_json(&bench), read_json(&estimates)) {
            let ns = point(&e, "slope").or_else(|| point(&e, "mean"));
            if let (Some(group), Some(ns)) = (b["group_id"].as_str(), ns) {
                let (elements, bytes) = throughput(&b);
                out.entry(group.to_string()).or_default().push(Result {
                    function: b["function_id"].as_str().unwrap_or("").to_string(),
                    value: b["value_str"].as_str().unwrap_or("").to_string(),
                    ns,
                    elements,
                    bytes,
                });
                if let Ok(t) = fs::metadata(&estimates).and_then(|m| m.modified()) {
                    times.push(t);
                }
            }
        }
        if path.file_name().is_some_and(|n| n != "new" && n != "base") {
            collect(&path, out, times)?;
        }
    }
    Ok(())
}

fn find<'a>(results: &'a [Result], function: &str, value: &str) -> Option<&'a Result> {
    results
        .iter()
        .find(|r| r.function == function && r.value == value)
}

fn time(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.1} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}", a / b)
    } else {
        "-".into()
    }
}

/// Cases compared with a baseline of the same run: sharded lock vs the single mutex, and
/// the oracle vs the no-op observer.
const PAIRS: [(&str, &str); 2] = [("sharded", "single"), ("oracle", "noop")];

fn print_group(group: &str, results: &[Result]) {
    println!("### {group}\n");
    println!("| case | time/iter | per s | MiB/s | vs sha256 | vs pair |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in results {
        let baseline = find(results, "sha256", &r.value)
            .or_else(|| find(results, "sha256", "1"))
            .or_else(|| find(results, "sha256", ""));
        let vs_sha = match baseline {
            Some(b) if r.function != "sha256" && b.elements > 0.0 => {
                ratio(r.per_sec(), b.per_sec())
            }
            _ => "-".into(),
        };
        let vs_single = PAIRS
            .iter()
            .find(|(case, _)| r.function.contains(case))
            .and_then(|(case, base)| find(results, &r.function.replace(case, base), &r.value))
            .map_or("-".into(), |base| ratio(r.per_sec(), base.per_sec()));
        let case = if r.value.is_empty() {
            r.function.clone()
        } else {
            format!("{}/{}", r.function, r.value)
        };
        let mib = if r.bytes > 0.0 {
            format!("{:.1}", r.mib_per_sec())
        } else {
            "-".into()
        };
        println!(
            "| {case} | {} | {:.0} | {mib} | {vs_sha} | {vs_single} |",
            time(r.ns),
            r.per_sec()
        );
    }
    println!();
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/criterion"));
    let mut groups = BTreeMap::new();
    let mut times = Vec::new();
    if let Err(err) = collect(&dir, &mut groups, &mut times) {
        eprintln!("cannot read {}: {err}", dir.display());
        std::process::exit(1);
    }
    if groups.is_empty() {
        eprintln!("no criterion results under {}", dir.display());
        std::process::exit(1);
    }
    let age = |t: &SystemTime| t.elapsed().map_or(0, |d| d.as_secs() / 60);
    if let (Some(old), Some(new)) = (times.iter().min(), times.iter().max()) {
        println!(
            "Results written between {} and {} minutes ago ({} benchmarks).\n",
            age(old),
            age(new),
            times.len()
        );
    }
    println!("`per s` is chunks (or operations) per second over all threads; `vs sha256` divides");
    println!("it by the group's sha256 baseline with the same number of threads; `vs pair`");
    println!("divides a `sharded-*` case by its `single-*` twin and an `oracle` case by `noop`.\n");
    for (group, mut results) in groups {
        results.sort_by(|a, b| {
            (a.function.as_str(), a.value.parse::<u64>().unwrap_or(0))
                .cmp(&(b.function.as_str(), b.value.parse::<u64>().unwrap_or(0)))
        });
        print_group(&group, &results);
    }
}
