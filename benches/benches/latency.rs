//! Insert latency percentiles, sweep mutex hold times and the two targets, measured with
//! interleaved repetitions (A, B, A, B, ...) so that drift on a shared machine hits every
//! variant alike. Criterion has no percentiles for custom measurements, so this bench
//! prints Markdown tables and writes them to `target/criterion/latency.md`.
//!
//! - **latency**: 2 writers insert new chunks into a store of 10k chunks (filesystem
//!   backend), idle or under a GC loop; p50/p99/max per insert and throughput.
//! - **hold**: one GC over 10k chunks (100k with `BENCH_FULL=1`, model storage), alone
//!   and with 2 writers inserting: how long it holds a chunk store mutex per sweep step
//!   and in total, timed by an observer on the GC thread (the only bench with one).
//! - **targets**: sharded/single 2-writer throughput under the sweep (from *latency*),
//!   and 1-writer insert of 64 KiB chunks on the model storage against sha256.
//!
//! `--quick` runs fewer repetitions; a positional filter that is not part of `latency`
//! skips the whole bench (as criterion's filters skip the others).

use benches::data::{size_label, Pool, KIB};
use benches::fixture::{lock_label, Fixture, Kind, LOCKS};
use benches::insert::{hash_only, insert_new};
use benches::stats::{micros, Summary};
use benches::{GcLoop, HoldTimer, Mode};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{Backend, LockGranularity, StoreConfig};

const WRITERS: usize = 2;
const SWEEP_N: usize = 10_000;

/// Median of throughputs (chunks/s).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

struct Sample {
    latencies: Vec<Duration>,
    throughputs: Vec<f64>,
    /// Completed GC sweeps per second of the run (sweeping samples only).
    sweeps: Vec<f64>,
}

fn latency_section(out: &mut String, mode: Mode, reps: usize) -> Vec<(String, f64)> {
    let per_writer: u64 = if mode.quick { 1024 } else { 4096 };
    let mut ratios = Vec::new();
    let _ = writeln!(
        out,
        "## Insert latency: {WRITERS} writers, new chunks, store of {SWEEP_N} chunks \
         (filesystem backend), {reps} interleaved repetitions of {per_writer} inserts per writer\n"
    );
    let _ = writeln!(
        out,
        "| storage | size | lock | GC | p50 µs | p99 µs | max µs | chunks/s (median) | GC sweeps/s |"
    );
    let _ = writeln!(out, "|---|---|---|---|---:|---:|---:|---:|---:|");
    for kind in [Kind::Model, Kind::Disk] {
        for size in [4 * KIB, 64 * KIB] {
            let pools = Pool::per_thread(6, WRITERS, (8 * 1024 * KIB / size).clamp(16, 512), size);
            let fixtures: Vec<Fixture> = LOCKS
                .iter()
                .map(|lock| {
                    let fx = Fixture::new(kind, Backend::Filesystem, *lock, 1);
                    fx.populate_sweep(SWEEP_N);
                    fx
                })
                .collect();
            let mut samples: Vec<Sample> = (0..4)
                .map(|_| Sample {
                    latencies: Vec::new(),
                    throughputs: Vec::new(),
                    sweeps: Vec::new(),
                })
                .collect();
            for _ in 0..reps {
                for (l, fx) in fixtures.iter().enumerate() {
                    for sweep in [false, true] {
                        let started = Instant::now();
                        let gc = sweep.then(|| GcLoop::start(fx.process.clone()));
                        let m = insert_new(fx, &pools, WRITERS, per_writer, true);
                        let sweeps = gc.map(GcLoop::stop);
                        let s = &mut samples[l * 2 + usize::from(sweep)];
                        if let Some(sweeps) = sweeps {
                            s.sweeps
                                .push(sweeps as f64 / started.elapsed().as_secs_f64());
                        }
                        let chunks = (WRITERS as u64 * per_writer) as f64;
                        s.throughputs.push(chunks / m.wall.as_secs_f64());
                        s.latencies.extend(m.latencies);
                    }
                }
            }
            let mut sweep_thr = [0.0; 2];
            for (l, lock) in LOCKS.iter().enumerate() {
                for sweep in [false, true] {
                    let s = &mut samples[l * 2 + usize::from(sweep)];
                    let sum = Summary::of(&mut s.latencies);
                    let thr = median(&mut s.throughputs);
                    let sweeps = if sweep {
                        sweep_thr[l] = thr;
                        format!("{:.1}", median(&mut s.sweeps))
                    } else {
                        "-".into()
                    };
                    let _ = writeln!(
                        out,
                        "| {} | {} | {} | {} | {} | {} | {} | {:.0} | {sweeps} |",
                        kind.label(),
                        size_label(size),
                        lock_label(*lock),
                        if sweep { "sweeping" } else { "idle" },
                        micros(sum.p50),
                        micros(sum.p99),
                        micros(sum.max),
                        thr
                    );
                }
            }
            let name = format!(
                "{} {} sharded/single, 2 writers + sweep",
                kind.label(),
                size_label(size)
            );
            ratios.push((name, sweep_thr[1] / sweep_thr[0]));
        }
    }
    out.push('\n');
    ratios
}

fn hold_row(
    out: &mut String,
    label: &str,
    lock: LockGranularity,
    holds: &mut [Duration],
    wall: Duration,
) {
    let s = Summary::of(holds);
    let _ = writeln!(
        out,
        "| {label} | {} | {} | {} | {} | {} | {} | {:.2} | {:.1}% |",
        lock_label(lock),
        s.count,
        micros(s.mean),
        micros(s.p50),
        micros(s.p99),
        micros(s.max),
        s.total.as_secs_f64() * 1e3,
        100.0 * s.total.as_secs_f64() / wall.as_secs_f64().max(1e-9)
    );
}

fn hold_section(out: &mut String, mode: Mode) {
    let _ = writeln!(
        out,
        "## Sweep: chunk store mutex held by the GC thread (one GC, filesystem backend)\n\n\
         `busy` is the total hold over the sweep's wall time: with the single mutex, the \
         share of time no writer can enter.\n"
    );
    let _ = writeln!(
        out,
        "| case | lock | holds | mean µs | p50 µs | p99 µs | max µs | total ms | busy |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut cases = vec![(Kind::Model, SWEEP_N), (Kind::Disk, SWEEP_N)];
    if mode.full {
        cases.push((Kind::Model, 100_000));
    }
    for (kind, n) in cases {
        for lock in LOCKS {
            let timer = Arc::new(HoldTimer::default());
            let config = StoreConfig::new(Backend::Filesystem).with_lock_granularity(lock);
            let fx = Fixture::with_observer(kind, config, timer.clone());
            fx.populate_sweep(n);
            timer.watch(<store::Std as store::Platform>::thread_id());
            let start = Instant::now();
            fx.process.garbage_collect().expect("GC");
            let wall = start.elapsed();
            timer.watch(0);
            let label = format!("{} {}k, alone", kind.label(), n / 1000);
            hold_row(out, &label, lock, &mut timer.take(), wall);
            // The same sweep while 2 writers insert 4 KiB chunks.
            let pools = Pool::per_thread(7, WRITERS, 256, 4 * KIB);
            let started = Arc::new(std::sync::Barrier::new(2));
            let gc_wall = {
                let t = timer.clone();
                let go = started.clone();
                let process = fx.process.clone();
                std::thread::spawn(move || {
                    go.wait();
                    t.watch(<store::Std as store::Platform>::thread_id());
                    let start = Instant::now();
                    process.garbage_collect().expect("GC");
                    let wall = start.elapsed();
                    t.watch(0);
                    wall
                })
            };
            started.wait();
            while !gc_wall.is_finished() {
                insert_new(&fx, &pools, WRITERS, 256, false);
            }
            let wall = gc_wall.join().expect("GC thread");
            let label = format!("{} {}k, 2 writers", kind.label(), n / 1000);
            hold_row(out, &label, lock, &mut timer.take(), wall);
        }
    }
    out.push('\n');
}

/// 1 writer, 64 KiB chunks, model storage: insert (new chunks) against sha256, interleaved.
fn sha_section(out: &mut String, reps: usize) -> Vec<(String, f64)> {
    let size = 64 * KIB;
    let pools = Pool::per_thread(8, 1, 256, size);
    let iters = 1024;
    let mut ratios = Vec::new();
    for lock in LOCKS {
        let fx = Fixture::new(Kind::Model, Backend::Filesystem, lock, 1);
        let (mut sha, mut ins) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            sha.push(iters as f64 / hash_only(&pools, 1, iters).as_secs_f64());
            ins.push(iters as f64 / insert_new(&fx, &pools, 1, iters, false).wall.as_secs_f64());
        }
        let (sha, ins) = (median(&mut sha), median(&mut ins));
        let _ = writeln!(
            out,
            "- model, 64KiB, 1 writer, {}: insert {ins:.0} chunks/s, sha256 {sha:.0} chunks/s",
            lock_label(lock)
        );
        ratios.push((
            format!("model 64KiB 1 writer {} insert/sha256", lock_label(lock)),
            ins / sha,
        ));
    }
    ratios
}

fn target_dir() -> std::path::PathBuf {
    // <target>/release/deps/latency-<hash>
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(|p| p.to_path_buf()))
        .unwrap_or_else(|| "target".into())
}

fn main() {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if !filters.is_empty() && !filters.iter().any(|f| "latency".contains(f.as_str())) {
        return;
    }
    let mode = Mode::from_env();
    let reps = if mode.quick { 3 } else { 7 };
    let mut out = String::from("# Latency, hold times and targets\n\n");
    let started = Instant::now();
    let mut ratios = latency_section(&mut out, mode, reps);
    hold_section(&mut out, mode);
    let _ = writeln!(
        out,
        "## Targets ({reps} interleaved repetitions, medians)\n"
    );
    ratios.extend(sha_section(&mut out, reps));
    out.push('\n');
    let _ = writeln!(out, "| ratio | value |\n|---|---:|");
    for (name, value) in ratios {
        let _ = writeln!(out, "| {name} | {value:.2} |");
    }
    let _ = writeln!(out, "\n(took {:.0} s)", started.elapsed().as_secs_f64());
    print!("{out}");
    let dir = target_dir().join("criterion");
    let written =
        std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join("latency.md"), &out));
    match written {
        Ok(()) => println!("written to {}", dir.join("latency.md").display()),
        Err(err) => eprintln!("cannot write {}: {err}", dir.display()),
    }
}
