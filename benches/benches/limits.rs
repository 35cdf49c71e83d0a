//! The limits: bare sha256 of the chunk sizes (the insert path hashes every chunk once and
//! cannot beat it), an uncontended std mutex lock/unlock, and the store's own uncontended
//! chunk store lock (platform wrapper plus observer events, no-op here) for both
//! granularities; plus one storage `stat` (model step, real syscall) for scale.

use benches::data::{chunk, size_label, KIB, MIB};
use benches::fixture::{lock_label, Fixture, Kind, LOCKS};
use benches::Mode;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::sync::Mutex;
use store::{Backend, Digest};

fn benches(c: &mut Criterion) {
    let mode = Mode::from_env();
    let mut g = c.benchmark_group("limits");
    g.measurement_time(mode.measurement())
        .warm_up_time(mode.warm_up());
    for size in [4 * KIB, 64 * KIB, 4 * MIB] {
        let data = chunk(7, size);
        g.throughput(Throughput::ElementsAndBytes {
            elements: 1,
            bytes: size as u64,
        });
        g.bench_function(BenchmarkId::new("sha256", size_label(size)), |b| {
            b.iter(|| Digest::of(black_box(&data)))
        });
    }
    g.throughput(Throughput::Elements(1));
    let mutex = Mutex::new(0u64);
    g.bench_function("std-mutex-uncontended", |b| {
        b.iter(|| {
            let mut guard = mutex.lock().unwrap_or_else(|e| e.into_inner());
            *guard += 1;
        })
    });
    let digest = Digest::of(b"limits");
    for lock in LOCKS {
        let fx = Fixture::new(Kind::Model, Backend::Filesystem, lock, 1);
        let store = fx.process.chunk_store();
        g.bench_function(
            BenchmarkId::new("store-lock-uncontended", lock_label(lock)),
            |b| b.iter(|| drop(black_box(store.lock(black_box(&digest))))),
        );
    }
    for kind in [Kind::Model, Kind::Disk] {
        let fx = Fixture::new(kind, Backend::Filesystem, LOCKS[0], 1);
        let data = chunk(8, 4 * KIB);
        let d = Digest::of(&data);
        fx.populate([(&d, data.as_slice())]);
        let chunks = &fx.storage().chunks;
        g.bench_function(BenchmarkId::new("stat", kind.label()), |b| {
            b.iter(|| chunks.stat(black_box(&d)).expect("stat"))
        });
    }
    g.finish();
}

criterion_group! {
    name = limits;
    config = benches::criterion_config(Criterion::default());
    targets = benches
}
criterion_main!(limits);
