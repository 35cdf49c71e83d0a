//! What the oracle costs a checker: the same scenario, the same shuttle schedules (fixed
//! seed), once with the oracle as the store's observer and once with the no-op observer.
//!
//! Each iteration runs `SCHEDULES` shuttle-random schedules of one scenario; the ratio
//! `noop time / oracle time` is the oracle's schedules/s relative to the bare store (the
//! issue's target: at least 0.8). `bench-report` prints it.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use harness::check::{Budget, Checker, DEFAULT_SEED};
use harness::world::Setup;

/// Schedules per iteration: enough to amortise the runner's start-up.
const SCHEDULES: usize = 200;

fn benches(c: &mut Criterion) {
    let mode = benches::Mode::from_env();
    let mut g = c.benchmark_group("oracle");
    g.measurement_time(mode.measurement())
        .warm_up_time(mode.warm_up())
        .throughput(Throughput::Elements(SCHEDULES as u64));
    let budget = Budget {
        schedules: SCHEDULES,
        seed: DEFAULT_SEED,
        ..Budget::from_env(2)
    };
    for scenario in scenarios::all() {
        for (label, without_oracle) in [("oracle", false), ("noop", true)] {
            let setup = Setup {
                without_oracle,
                ..Setup::clean()
            };
            g.bench_function(BenchmarkId::new(label, scenario.name), |b| {
                b.iter(|| {
                    let report = scenario.check(Checker::Random, setup, &budget);
                    assert!(report.failure.is_none(), "{} failed", scenario.name);
                })
            });
        }
    }
    g.finish();
}

criterion_group!(oracle, benches);
criterion_main!(oracle);
