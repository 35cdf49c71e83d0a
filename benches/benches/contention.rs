//! Contention with GC: writers insert new chunks into a store of N chunks (filesystem
//! backend), idle or while a GC loop sweeps it over and over (every sweep step takes the
//! chunk store mutex of the chunk it stats), with the single and the sharded mutex side by
//! side. N = 10k; `BENCH_FULL=1` adds N = 100k on the model storage. Each group has its
//! sha256 baseline (same bytes, same threads).

use benches::data::{size_label, Pool, KIB};
use benches::fixture::{lock_label, Fixture, Kind, LOCKS};
use benches::insert::{hash_only, insert_new};
use benches::{GcLoop, Lazy, Mode};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use store::Backend;

const THREADS: [usize; 3] = [1, 2, 4];

fn group(c: &mut Criterion, mode: Mode, kind: Kind, size: usize, n: usize) {
    let name = format!(
        "contention-{}-{}-n{}k",
        kind.label(),
        size_label(size),
        n / 1000
    );
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .measurement_time(mode.measurement())
        .warm_up_time(mode.warm_up());
    // Setup is lazy: it only runs for benchmarks the command-line filter selects.
    let pools = Lazy::new(|| Pool::per_thread(2, 4, (8 * 1024 * KIB / size).clamp(16, 512), size));
    let throughput = |threads: usize| Throughput::ElementsAndBytes {
        elements: threads as u64,
        bytes: (threads * size) as u64,
    };
    for threads in THREADS {
        g.throughput(throughput(threads));
        g.bench_function(BenchmarkId::new("sha256", threads), |b| {
            b.iter_custom(|iters| hash_only(pools.get(), threads, iters))
        });
    }
    for lock in LOCKS {
        let fx = Lazy::new(|| {
            let fx = Fixture::new(kind, Backend::Filesystem, lock, 1);
            fx.populate_sweep(n);
            fx
        });
        for sweep in [false, true] {
            let label = format!(
                "{}-{}",
                lock_label(lock),
                if sweep { "sweep" } else { "idle" }
            );
            for threads in THREADS {
                g.throughput(throughput(threads));
                g.bench_function(BenchmarkId::new(label.clone(), threads), |b| {
                    b.iter_custom(|iters| {
                        let fx = fx.get();
                        let gc = sweep.then(|| GcLoop::start(fx.process.clone()));
                        let wall = insert_new(fx, pools.get(), threads, iters, false).wall;
                        if let Some(gc) = gc {
                            gc.stop();
                        }
                        wall
                    })
                });
            }
        }
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    let mode = Mode::from_env();
    for kind in [Kind::Model, Kind::Disk] {
        for size in [4 * KIB, 64 * KIB] {
            group(c, mode, kind, size, 10_000);
        }
    }
    if mode.full {
        for size in [4 * KIB, 64 * KIB] {
            group(c, mode, Kind::Model, size, 100_000);
        }
    }
}

criterion_group! {
    name = contention;
    config = benches::criterion_config(Criterion::default());
    targets = benches
}
criterion_main!(contention);
