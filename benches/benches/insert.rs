//! Insert throughput: 1, 2 and 4 writer threads; 4 KiB and 64 KiB chunks (and 4 MiB, the
//! upstream chunk size, on real files); new chunks vs already-present ones (the touch
//! path); filesystem and S3-with-cache backends; model and real storage; single vs sharded
//! chunk store mutex. Each group has its baselines (same bytes, same threads): sha256, and
//! `storage-write`, the storage's own cost of writing new chunks (no hash, no lock).

use benches::data::{size_label, Pool, KIB, MIB};
use benches::fixture::{backend_label, lock_label, Fixture, Kind, LOCKS};
use benches::insert::{hash_only, insert_new, insert_present, write_only};
use benches::{Lazy, Mode};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use store::Backend;

const THREADS: [usize; 3] = [1, 2, 4];

/// Chunks per thread pool: about 16 MiB, between 4 and 1024 chunks.
fn pool_len(size: usize) -> usize {
    (16 * MIB / size).clamp(4, 1024)
}

fn throughput(threads: usize, size: usize) -> Throughput {
    Throughput::ElementsAndBytes {
        elements: threads as u64,
        bytes: (threads * size) as u64,
    }
}

fn group(c: &mut Criterion, mode: Mode, kind: Kind, backend: Backend, size: usize) {
    let name = format!(
        "insert-{}-{}-{}",
        kind.label(),
        backend_label(backend),
        size_label(size)
    );
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .measurement_time(mode.measurement())
        .warm_up_time(mode.warm_up());
    // Setup is lazy: it only runs for benchmarks the command-line filter selects.
    let pools = Lazy::new(|| Pool::per_thread(1, 4, pool_len(size), size));
    for threads in THREADS {
        g.throughput(throughput(threads, size));
        g.bench_function(BenchmarkId::new("sha256", threads), |b| {
            b.iter_custom(|iters| hash_only(pools.get(), threads, iters))
        });
    }
    let bare = Lazy::new(|| Fixture::new(kind, Backend::Filesystem, LOCKS[0], 1));
    for threads in THREADS {
        g.throughput(throughput(threads, size));
        g.bench_function(BenchmarkId::new("storage-write", threads), |b| {
            b.iter_custom(|iters| write_only(bare.get(), pools.get(), threads, iters))
        });
    }
    for lock in LOCKS {
        // A cache larger than all pools: evictions are measured in the cache benchmarks.
        let fx = Lazy::new(|| Fixture::new(kind, backend, lock, 8 * 1024));
        for threads in THREADS {
            g.throughput(throughput(threads, size));
            let id = BenchmarkId::new(format!("new-{}", lock_label(lock)), threads);
            g.bench_function(id, |b| {
                b.iter_custom(|iters| insert_new(fx.get(), pools.get(), threads, iters, false).wall)
            });
        }
        let present = Lazy::new(|| {
            for pool in pools.get() {
                fx.get()
                    .populate(pool.chunks.iter().map(|(d, c)| (d, c.as_slice())));
            }
        });
        for threads in THREADS {
            g.throughput(throughput(threads, size));
            let id = BenchmarkId::new(format!("present-{}", lock_label(lock)), threads);
            g.bench_function(id, |b| {
                present.get();
                b.iter_custom(|iters| {
                    insert_present(fx.get(), pools.get(), threads, iters, false).wall
                })
            });
        }
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    let mode = Mode::from_env();
    for kind in [Kind::Model, Kind::Disk] {
        for backend in [Backend::Filesystem, Backend::S3] {
            for size in [4 * KIB, 64 * KIB] {
                group(c, mode, kind, backend, size);
            }
            if kind == Kind::Disk && (mode.full || !mode.quick) {
                group(c, mode, kind, backend, 4 * MIB);
            }
        }
    }
}

criterion_group! {
    name = insert;
    config = benches::criterion_config(Criterion::default());
    targets = benches
}
criterion_main!(insert);
