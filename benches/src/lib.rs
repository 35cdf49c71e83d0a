//! Shared fixtures of the lock-contention benchmarks.
//!
//! **Problem.** Before changing a lock in the real store, users want to know what the lock
//! costs: how much insert throughput a second writer adds, how much a concurrent GC sweep
//! takes away, and how close inserting gets to hashing the same bytes.
//!
//! **Idea.** Every benchmark runs the store on the std platform with the no-op observer
//! (except the hold-time measurement), over the in-memory model storage or real files in a
//! temporary directory, with fixed, counter-derived chunk contents. Each criterion group
//! carries its own baseline (sha256 of the same bytes, or an uncontended mutex), so the
//! ratios in `BENCHMARKS.md` come from one run.
//!
//! **Usage.** `cargo bench -p benches` runs everything; `cargo bench -p benches -- --quick`
//! is the short mode; `BENCH_FULL=1` adds the largest cases; `cargo run -p benches --release
//! --bin bench-report` prints the ratio tables from `target/criterion`.

/// Deterministic chunk contents, shared with the contention profiler.
pub use lockprof::data;
pub mod fixture;
pub mod hold;
pub mod insert;
pub mod run;
pub mod stats;

pub use data::{chunk, Pool, KIB, MIB};
pub use fixture::{Fixture, Kind};
pub use hold::HoldTimer;
pub use run::{timed, GcLoop, Lazy, Mode};

/// The criterion settings of every bench: HTML reports with plots, except in quick mode
/// (`--quick`), where plotting would take longer than measuring (about a second per
/// benchmark here) and only the numbers are kept.
pub fn criterion_config(c: criterion::Criterion) -> criterion::Criterion {
    if Mode::from_env().quick {
        c.without_plots()
    } else {
        c
    }
}
