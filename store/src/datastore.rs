//! The datastore: what all processes share (disk, bucket, kernel lock table, clock).

use crate::bugs::{Bugs, SeededBug};
use crate::clock::Clock;
use crate::decision::Decision;
use crate::digest::Digest;
use crate::ids::ProcessId;
use crate::lock_granularity::LockGranularity;
use crate::locks::LockTable;
use crate::observer::{Event, Fact, LockKind, NoopObserver, Observer};
use crate::platform::{unless_torn_down, AtomicU64, Platform};
use crate::process::Process;
use crate::storage::{
    Bucket, ChunkDir, FsBucket, FsChunkDir, FsIndexDir, IndexDir, ModelBucket, ModelChunkDir,
    ModelIndexDir,
};
use anyhow::Result;
use std::path::Path;
use std::sync::Arc;

/// Upstream's GC grace period: 24 hours and 5 minutes.
pub const DEFAULT_GRACE_SECS: i64 = 24 * 3600 + 5 * 60;
/// Margin kept below the oldest writer's start when it bounds the cutoff: 5 minutes.
pub const DEFAULT_WRITER_MARGIN_SECS: i64 = 5 * 60;

/// Where chunks live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Chunks are files in the local chunk store.
    Filesystem,
    /// Chunks are bucket objects; the local chunk store is an LRU cache of them.
    S3,
}

/// Datastore settings.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// The backend.
    pub backend: Backend,
    /// Chunks whose atime is older than GC start minus this are garbage.
    pub grace_secs: i64,
    /// When a writer is older than the grace period, the cutoff is its start minus this.
    pub writer_margin_secs: i64,
    /// Number of chunks the S3 cache keeps with content (at least 1).
    pub cache_capacity: usize,
    /// Objects deleted per bucket request (at least 1).
    pub delete_batch: usize,
    /// Seeded bugs switched on (none by default).
    pub bugs: Bugs,
    /// How the chunk store mutex is split ([`LockGranularity::Single`] by default).
    pub lock_granularity: LockGranularity,
}

impl StoreConfig {
    /// Upstream defaults for `backend`.
    pub fn new(backend: Backend) -> Self {
        Self {
            backend,
            grace_secs: DEFAULT_GRACE_SECS,
            writer_margin_secs: DEFAULT_WRITER_MARGIN_SECS,
            cache_capacity: 1024,
            delete_batch: 100,
            bugs: Bugs::none(),
            lock_granularity: LockGranularity::Single,
        }
    }

    /// Sets the grace period and writer margin (model checks use a few seconds).
    pub fn with_cutoff(mut self, grace_secs: i64, writer_margin_secs: i64) -> Self {
        self.grace_secs = grace_secs;
        self.writer_margin_secs = writer_margin_secs;
        self
    }

    /// Sets the cache capacity.
    pub fn with_cache_capacity(mut self, capacity: usize) -> Self {
        self.cache_capacity = capacity.max(1);
        self
    }

    /// Sets the bucket delete batch size.
    pub fn with_delete_batch(mut self, batch: usize) -> Self {
        self.delete_batch = batch.max(1);
        self
    }

    /// Sets how the chunk store mutex is split.
    pub fn with_lock_granularity(mut self, granularity: LockGranularity) -> Self {
        self.lock_granularity = granularity;
        self
    }

    /// Switches on seeded bugs.
    pub fn with_bugs(mut self, bugs: Bugs) -> Self {
        self.bugs = bugs;
        self
    }
}

/// The storage a datastore runs over.
#[derive(Clone)]
pub struct Storage {
    /// The local chunk directory.
    pub chunks: Arc<dyn ChunkDir>,
    /// The bucket (only used by the S3 backend).
    pub bucket: Arc<dyn Bucket>,
    /// The index files.
    pub indexes: Arc<dyn IndexDir>,
}

impl Storage {
    /// In-memory model storage (one scheduling point per operation).
    pub fn model<P: Platform>() -> Self {
        Self {
            chunks: Arc::new(ModelChunkDir::<P>::new()),
            bucket: Arc::new(ModelBucket::<P>::new()),
            indexes: Arc::new(ModelIndexDir::<P>::new()),
        }
    }

    /// Real files: the datastore at `root` (`root/.chunks`, `root/<type>/<id>/<time>`) and
    /// the bucket at `bucket_root`.
    ///
    /// # Errors
    /// When the directories cannot be created.
    pub fn on_disk(root: &Path, bucket_root: &Path) -> Result<Self> {
        Ok(Self {
            chunks: Arc::new(FsChunkDir::new(root)?),
            bucket: Arc::new(FsBucket::new(bucket_root)?),
            indexes: Arc::new(FsIndexDir::new(root)?),
        })
    }
}

/// A datastore: storage, the kernel lock table and the clock, shared by its processes.
pub struct Datastore<P: Platform> {
    pub(crate) config: StoreConfig,
    pub(crate) storage: Storage,
    pub(crate) locks: LockTable<P>,
    pub(crate) clock: Clock<P>,
    observer: Arc<dyn Observer>,
    next_process: AtomicU64<P>,
    next_writer: AtomicU64<P>,
}

impl<P: Platform> Datastore<P> {
    /// A datastore over `storage`, reading time from `clock`, reporting to `observer`.
    pub fn new(
        config: StoreConfig,
        storage: Storage,
        clock: Clock<P>,
        observer: Arc<dyn Observer>,
    ) -> Arc<Self> {
        Arc::new(Self {
            config,
            storage,
            locks: LockTable::new(),
            clock,
            observer,
            next_process: AtomicU64::new(1),
            next_writer: AtomicU64::new(1),
        })
    }

    /// A datastore over model storage with the system clock and no observer.
    pub fn in_memory(config: StoreConfig) -> Arc<Self> {
        Self::new(
            config,
            Storage::model::<P>(),
            Clock::System,
            Arc::new(NoopObserver),
        )
    }

    /// Starts a daemon process over this datastore.
    pub fn start_process(self: &Arc<Self>) -> Arc<Process<P>> {
        let id = ProcessId(self.next_process.fetch_add(1) as u32);
        self.emit(Fact::ProcessStarted { process: id });
        Process::new(id, self.clone())
    }

    /// The settings.
    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    /// The storage.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The clock.
    pub fn clock(&self) -> &Clock<P> {
        &self.clock
    }

    /// Whether a seeded bug is on.
    #[inline]
    pub(crate) fn bug(&self, bug: SeededBug) -> bool {
        self.config.bugs.has(bug)
    }

    /// Whether the observer wants the LRU contents reported ([`Observer::inspects_lru`]).
    pub(crate) fn inspects_lru(&self) -> bool {
        self.observer.inspects_lru()
    }

    /// Reports an event to the observer.
    #[inline]
    pub(crate) fn emit<'e>(&self, event: impl Into<Event<'e>>) {
        self.observer.event(&event.into());
    }

    /// Reports a decision the calling thread of `process` took (about `digest`, if it is
    /// about one chunk).
    #[inline]
    pub(crate) fn decide(&self, decision: Decision, process: ProcessId, digest: Option<&Digest>) {
        self.emit(Fact::Decided {
            outcome: decision.outcome(),
            process,
            digest: digest.copied(),
            thread: P::thread_id(),
        });
    }

    /// Reports that the calling thread of `process` is about to read `digest`'s bucket
    /// object (a lookup or a fetch).
    #[inline]
    pub(crate) fn reading_object(&self, process: ProcessId, digest: &Digest) {
        self.emit(Fact::ObjectRead {
            process,
            digest: *digest,
            thread: P::thread_id(),
        });
    }

    pub(crate) fn next_writer_id(&self) -> u64 {
        self.next_writer.fetch_add(1)
    }

    /// Blocks until the per-chunk lock of `digest` is held.
    pub(crate) fn lock_chunk(&self, digest: Digest) -> ChunkLockGuard<'_, P> {
        self.locks
            .lock_chunk(digest, || self.acquired_chunk(digest, true));
        ChunkLockGuard { ds: self, digest }
    }

    /// Takes the per-chunk lock of `digest` for GC if it is free; a busy lock is reported
    /// as [`Fact::GcSkippedBusy`] (GC is the only caller, and skips such a chunk).
    pub(crate) fn try_lock_chunk(&self, digest: Digest) -> Option<ChunkLockGuard<'_, P>> {
        let taken = self.locks.try_lock_chunk(digest, |taken| match taken {
            true => self.acquired_chunk(digest, false),
            false => self.emit(Fact::GcSkippedBusy { digest }),
        });
        // Lazily: a guard built and dropped on a busy lock would release the holder's lock.
        taken.then(|| ChunkLockGuard { ds: self, digest })
    }

    fn acquired_chunk(&self, digest: Digest, blocking: bool) {
        self.emit(Fact::LockAcquired {
            lock: LockKind::Chunk(digest),
            thread: P::thread_id(),
            blocking,
        });
    }
}

/// A held per-chunk lock; released on drop.
pub struct ChunkLockGuard<'a, P: Platform> {
    ds: &'a Datastore<P>,
    digest: Digest,
}

impl<P: Platform> ChunkLockGuard<'_, P> {
    /// The locked chunk.
    pub fn digest(&self) -> Digest {
        self.digest
    }
}

impl<P: Platform> Drop for ChunkLockGuard<'_, P> {
    fn drop(&mut self) {
        unless_torn_down::<P>(|| {
            self.ds.locks.unlock_chunk(self.digest, || {
                self.ds.emit(Fact::LockReleased {
                    lock: LockKind::Chunk(self.digest),
                    thread: P::thread_id(),
                })
            });
        });
    }
}
