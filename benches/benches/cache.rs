//! The S3 backend's local cache: insert with eviction at capacity (1 and 2 threads), and
//! `access` hits (local content) vs misses (fetch from the bucket, check, cache, evict),
//! with the single and the sharded chunk store mutex. With the sharded mutex an eviction
//! whose victim lives in another shard writes its marker after the insert, under the
//! victim's shard. Each group has its sha256 baseline (same bytes).

use benches::data::{size_label, Pool, KIB};
use benches::fixture::{lock_label, Fixture, Kind, LOCKS};
use benches::insert::hash_only;
use benches::{timed, Lazy, Mode};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use store::{Backend, LocalDatastoreLruCache, LockGranularity, Std};

/// Cache capacity in chunks.
const CAPACITY: usize = 64;

fn cache(fx: &Fixture) -> &LocalDatastoreLruCache<Std> {
    fx.process.cache().expect("S3 has a cache")
}

/// A full cache over `kind` storage whose bucket (and local files) hold `pools`.
fn fixture(kind: Kind, lock: LockGranularity, pools: &[&Pool]) -> Fixture {
    let fx = Fixture::new(kind, Backend::S3, lock, CAPACITY);
    for pool in pools {
        fx.populate(pool.chunks.iter().map(|(d, c)| (d, c.as_slice())));
    }
    fx
}

/// Cycles `iters` operations per thread over the thread's pool; returns the wall time.
fn cycle(
    pools: &[Pool],
    threads: usize,
    iters: u64,
    op: impl Fn(&store::Digest, &[u8]) + Sync,
) -> std::time::Duration {
    let (wall, _) = timed(vec![(); threads], |t, ()| {
        let pool = &pools[t].chunks;
        for i in 0..iters as usize {
            let (d, data) = &pool[i % pool.len()];
            op(d, data);
        }
    });
    wall
}

fn group(c: &mut Criterion, mode: Mode, kind: Kind, size: usize) {
    let name = format!("cache-{}-{}", kind.label(), size_label(size));
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .measurement_time(mode.measurement())
        .warm_up_time(mode.warm_up());
    // Setup is lazy: it only runs for benchmarks the command-line filter selects.
    // Per thread, twice the capacity: cycling through it, every insert and access misses.
    let cold = Lazy::new(|| Pool::per_thread(3, 2, 2 * CAPACITY, size));
    // Half the capacity: once cached, every access hits.
    let hot = Lazy::new(|| vec![Pool::new(4, CAPACITY / 2, size)]);
    let fill = Lazy::new(|| Pool::new(5, CAPACITY, size));
    let throughput = |threads: usize| Throughput::ElementsAndBytes {
        elements: threads as u64,
        bytes: (threads * size) as u64,
    };
    g.throughput(throughput(1));
    g.bench_function("sha256", |b| {
        b.iter_custom(|iters| hash_only(cold.get(), 1, iters))
    });
    for lock in LOCKS {
        let label = lock_label(lock);
        let fx = Lazy::new(|| {
            let cold = cold.get();
            let fx = fixture(kind, lock, &[&cold[0], &cold[1], &hot.get()[0], fill.get()]);
            for (d, data) in &fill.get().chunks {
                cache(&fx).insert(d, data).expect("filling the cache");
            }
            fx
        });
        for threads in [1, 2] {
            g.throughput(throughput(threads));
            let id = BenchmarkId::new(format!("insert-evict-{label}"), threads);
            g.bench_function(id, |b| {
                let fx = fx.get();
                b.iter_custom(|iters| {
                    cycle(cold.get(), threads, iters, |d, data| {
                        cache(fx).insert(d, data).expect("cache insert");
                    })
                })
            });
        }
        g.throughput(throughput(1));
        g.bench_function(BenchmarkId::new(format!("access-miss-{label}"), 1), |b| {
            let fx = fx.get();
            b.iter_custom(|iters| {
                cycle(cold.get(), 1, iters, |d, _| {
                    cache(fx).access(d).expect("access");
                })
            })
        });
        g.bench_function(BenchmarkId::new(format!("access-hit-{label}"), 1), |b| {
            let fx = fx.get();
            for (d, data) in &hot.get()[0].chunks {
                cache(fx).insert(d, data).expect("warming the cache");
            }
            b.iter_custom(|iters| {
                cycle(hot.get(), 1, iters, |d, _| {
                    cache(fx).access(d).expect("access");
                })
            })
        });
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    let mode = Mode::from_env();
    for kind in [Kind::Model, Kind::Disk] {
        for size in [4 * KIB, 64 * KIB] {
            group(c, mode, kind, size);
        }
    }
}

criterion_group! {
    name = cache_benches;
    config = benches::criterion_config(Criterion::default());
    targets = benches
}
criterion_main!(cache_benches);
