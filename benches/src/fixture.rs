//! A datastore to benchmark: model or real storage, system clock, no-op observer by default.

use std::path::PathBuf;
use std::sync::Arc;
use store::{Backend, Clock, Datastore, Digest, NoopObserver, Observer, Process, Std, Storage};
use store::{LockGranularity, StoreConfig};

/// Which storage a datastore runs over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The in-memory model storage (every operation one step under one std mutex).
    Model,
    /// Real files in a temporary directory (`$BENCH_DIR`, else the system temp dir).
    Disk,
}

impl Kind {
    /// `model` or `disk`, for benchmark names.
    pub fn label(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::Disk => "disk",
        }
    }
}

/// `single` or `sharded`, for benchmark names.
pub fn lock_label(lock: LockGranularity) -> &'static str {
    match lock {
        LockGranularity::Single => "single",
        LockGranularity::Sharded(_) => "sharded",
    }
}

/// `fs` or `s3`, for benchmark names.
pub fn backend_label(backend: Backend) -> &'static str {
    match backend {
        Backend::Filesystem => "fs",
        Backend::S3 => "s3",
    }
}

/// The granularities compared side by side: upstream's single mutex and 16 shards.
pub const LOCKS: [LockGranularity; 2] = [LockGranularity::Single, LockGranularity::Sharded(16)];

/// A datastore with its first process (and its temporary directory, removed on drop).
pub struct Fixture {
    /// The datastore.
    pub ds: Arc<Datastore<Std>>,
    /// Its first process.
    pub process: Arc<Process<Std>>,
    /// The storage kind.
    pub kind: Kind,
    _dir: Option<tempfile::TempDir>,
}

impl Fixture {
    /// A datastore over `kind` storage with `backend` and `lock`, the system clock and the
    /// no-op observer; the cache holds `cache_capacity` chunks (S3).
    pub fn new(kind: Kind, backend: Backend, lock: LockGranularity, cache_capacity: usize) -> Self {
        let config = StoreConfig::new(backend)
            .with_lock_granularity(lock)
            .with_cache_capacity(cache_capacity);
        Self::with_observer(kind, config, Arc::new(NoopObserver))
    }

    /// A datastore with `config` reporting to `observer`.
    ///
    /// # Panics
    /// When the temporary directory cannot be created (a benchmark cannot go on).
    pub fn with_observer(kind: Kind, config: StoreConfig, observer: Arc<dyn Observer>) -> Self {
        let (storage, dir) = match kind {
            Kind::Model => (Storage::model::<Std>(), None),
            Kind::Disk => {
                let dir = match std::env::var_os("BENCH_DIR") {
                    Some(base) => tempfile::tempdir_in(PathBuf::from(base)),
                    None => tempfile::tempdir(),
                }
                .expect("creating the benchmark directory");
                let storage =
                    Storage::on_disk(&dir.path().join("store"), &dir.path().join("bucket"))
                        .expect("opening on-disk storage");
                (storage, Some(dir))
            }
        };
        let ds = Datastore::new(config, storage, Clock::System, observer);
        let process = ds.start_process();
        Self {
            ds,
            process,
            kind,
            _dir: dir,
        }
    }

    /// The storage under the store.
    pub fn storage(&self) -> &Storage {
        self.ds.storage()
    }

    /// Untimed setup: removes local files and bucket objects of `digests`, bypassing the
    /// store, so the next insert of them is new again.
    ///
    /// # Panics
    /// On storage errors.
    pub fn forget<'a>(&self, digests: impl IntoIterator<Item = &'a Digest>) {
        let digests: Vec<Digest> = digests.into_iter().copied().collect();
        for d in &digests {
            self.storage().chunks.remove(d).expect("removing a chunk");
        }
        if self.ds.config().backend == Backend::S3 {
            self.storage()
                .bucket
                .delete_batch(&digests)
                .expect("deleting objects");
        }
    }

    /// Untimed setup: stores chunks directly (local file with atime now, and the object on
    /// S3), bypassing the store.
    ///
    /// # Panics
    /// On storage errors.
    pub fn populate<'a>(&self, chunks: impl IntoIterator<Item = (&'a Digest, &'a [u8])>) {
        let now = self.ds.clock().now();
        let s3 = self.ds.config().backend == Backend::S3;
        for (d, data) in chunks {
            self.storage()
                .chunks
                .write(d, data, now)
                .expect("writing a chunk");
            if s3 {
                self.storage()
                    .bucket
                    .put_if_absent(d, data)
                    .expect("putting an object");
            }
        }
    }

    /// Untimed setup: `n` small (64-byte) chunks for a sweep to walk, tagged apart from
    /// every pool.
    pub fn populate_sweep(&self, n: usize) {
        let chunks: Vec<(Digest, Vec<u8>)> = (0..n as u64)
            .map(|i| {
                let data = crate::data::chunk(u64::MAX - i, 64);
                (Digest::of(&data), data)
            })
            .collect();
        self.populate(chunks.iter().map(|(d, c)| (d, c.as_slice())));
    }
}
