//! The timed insert loops shared by the insert, contention and latency benchmarks.
//!
//! The filesystem backend inserts through [`store::ChunkStore::insert`] (upstream's
//! `insert_chunk`: hash check, then stat and write or touch under the chunk store mutex); the
//! S3 backend through [`BackupWriter::upload`] (hash check, per-chunk lock, touch of the
//! local file or upload plus cache insert). Both hash each chunk exactly once.

use crate::data::Pool;
use crate::fixture::Fixture;
use crate::run::timed;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{Backend, BackupWriter, Digest, Process, Std};

/// One thread's way into the store.
pub enum Inserter {
    /// Filesystem backend: the process's chunk store.
    Fs(Arc<Process<Std>>),
    /// S3 backend: a backup session of its own group.
    S3(Box<BackupWriter<Std>>),
}

impl Inserter {
    /// One inserter per thread in `process`, for the datastore's backend.
    ///
    /// # Panics
    /// When a backup session cannot start.
    pub fn per_thread(process: &Arc<Process<Std>>, threads: usize) -> Vec<Self> {
        (0..threads)
            .map(|t| match process.datastore().config().backend {
                Backend::Filesystem => Self::Fs(process.clone()),
                Backend::S3 => Self::S3(Box::new(
                    process
                        .start_backup(&format!("bench/{t}"), 1)
                        .expect("starting a benchmark session"),
                )),
            })
            .collect()
    }

    /// Inserts one chunk.
    ///
    /// # Panics
    /// On store errors (a benchmark cannot go on).
    #[inline]
    pub fn insert(&mut self, digest: &Digest, data: &[u8]) {
        match self {
            Self::Fs(process) => {
                process
                    .chunk_store()
                    .insert(None, digest, data)
                    .expect("insert");
            }
            Self::S3(writer) => writer.upload(*digest, data).expect("upload"),
        }
    }
}

/// What a run measured.
#[derive(Default)]
pub struct Measured {
    /// Sum of the timed rounds' wall times.
    pub wall: Duration,
    /// Per-insert latencies, when recorded.
    pub latencies: Vec<Duration>,
}

/// Inserts `iters` chunks per thread that the store does not have (the write path), in
/// rounds of at most a pool's length: before each round (untimed) the pools' chunks are
/// removed from the storage and, on S3, a fresh process (empty LRU) takes over.
/// Thread `t` inserts from `pools[t]`.
pub fn insert_new(
    fx: &Fixture,
    pools: &[Pool],
    threads: usize,
    iters: u64,
    record: bool,
) -> Measured {
    let round_len = pools[..threads].iter().map(Pool::len).min().unwrap_or(0) as u64;
    let mut measured = Measured::default();
    let mut done = 0;
    while done < iters && round_len > 0 {
        let n = (iters - done).min(round_len) as usize;
        for pool in &pools[..threads] {
            fx.forget(pool.digests());
        }
        let process = match fx.ds.config().backend {
            Backend::Filesystem => fx.process.clone(),
            Backend::S3 => fx.ds.start_process(),
        };
        let inserters = Inserter::per_thread(&process, threads);
        let (wall, lat) = run(inserters, |t, i| &pools[t].chunks[i], n, record);
        measured.wall += wall;
        measured.latencies.extend(lat);
        done += n as u64;
    }
    measured
}

/// Inserts `iters` chunks per thread that the store already has (the touch path); the
/// pools must have been stored first ([`Fixture::populate`]).
pub fn insert_present(
    fx: &Fixture,
    pools: &[Pool],
    threads: usize,
    iters: u64,
    record: bool,
) -> Measured {
    let inserters = Inserter::per_thread(&fx.process, threads);
    let pick = |t: usize, i: usize| {
        let pool = &pools[t].chunks;
        &pool[i % pool.len()]
    };
    let (wall, latencies) = run(inserters, pick, iters as usize, record);
    Measured { wall, latencies }
}

fn run<'p>(
    inserters: Vec<Inserter>,
    pick: impl Fn(usize, usize) -> &'p (Digest, Vec<u8>) + Sync,
    n: usize,
    record: bool,
) -> (Duration, Vec<Duration>) {
    let states: Vec<(Inserter, Vec<Duration>)> = inserters
        .into_iter()
        .map(|i| (i, Vec::with_capacity(if record { n } else { 0 })))
        .collect();
    let (wall, states) = timed(states, |t, (inserter, lat)| {
        for i in 0..n {
            let (d, data) = pick(t, i);
            if record {
                let start = Instant::now();
                inserter.insert(d, data);
                lat.push(start.elapsed());
            } else {
                inserter.insert(d, data);
            }
        }
    });
    let latencies = states.into_iter().flat_map(|(_, lat)| lat).collect();
    (wall, latencies)
}

/// The storage's own cost of the write path: writes `iters` new chunks per thread straight
/// into the local chunk directory (no hash, no lock), in rounds like [`insert_new`].
pub fn write_only(fx: &Fixture, pools: &[Pool], threads: usize, iters: u64) -> Duration {
    let round_len = pools[..threads].iter().map(Pool::len).min().unwrap_or(0) as u64;
    let chunks = &fx.storage().chunks;
    let now = fx.ds.clock().now();
    let mut wall = Duration::ZERO;
    let mut done = 0;
    while done < iters && round_len > 0 {
        let n = (iters - done).min(round_len) as usize;
        for pool in &pools[..threads] {
            fx.forget(pool.digests());
        }
        let (dt, _) = timed(vec![(); threads], |t, ()| {
            for (d, data) in &pools[t].chunks[..n] {
                chunks.write(d, data, now).expect("storage write");
            }
        });
        wall += dt;
        done += n as u64;
    }
    wall
}

/// Hashes `iters` chunks per thread (the baseline: sha256 of the same bytes, with the same
/// threads and barrier as the inserts). Thread `t` hashes `pools[t]` round robin.
pub fn hash_only(pools: &[Pool], threads: usize, iters: u64) -> Duration {
    let states = vec![(); threads];
    let (wall, _) = timed(states, |t, ()| {
        let pool = &pools[t].chunks;
        for i in 0..iters as usize {
            let (_, data) = &pool[i % pool.len()];
            std::hint::black_box(Digest::of(std::hint::black_box(data)));
        }
    });
    wall
}
