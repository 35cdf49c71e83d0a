//! The fixture every oracle test shares: an [`Oracle`] over typed model storage, helpers that
//! put chunk files and bucket objects in place directly and feed it events, and the
//! assertions on the violation it reports (or not), both through [`Oracle::violation`] and
//! through the panic message.

use harness::execution::ExecutionLog;
use harness::oracle::{Oracle, OracleOptions, Property};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::Arc;
use store::platform::panic_message;
use store::storage::{Bucket, ChunkDir, IndexDir, ModelBucket, ModelChunkDir, ModelIndexDir};
use store::{
    Backend, ChunkUse, Digest, Event, Fact, LockKind, Observer, ProcessId, SnapshotId, Std,
    Storage, WriterId,
};

/// The thread every hand-written GC runs on.
const GC_THREAD: u64 = 990;

pub(super) const PA: ProcessId = ProcessId(1);
pub(super) const PB: ProcessId = ProcessId(2);
pub(super) const T1: u64 = 1;
pub(super) const T2: u64 = 2;
pub(super) const BACKENDS: [Backend; 2] = [Backend::Filesystem, Backend::S3];

/// A violation: its property and full message.
pub(super) type Violation = Option<(Property, String)>;

/// Puts a chunk (or nothing) in place and returns its digest.
pub(super) type SetUp = fn(&Fixture) -> Digest;

/// The digest of a one-byte chunk whose content is `n`.
pub(super) fn digest(n: u8) -> Digest {
    Digest::of(&[n])
}

pub(super) fn snapshot(time: i64) -> SnapshotId {
    SnapshotId {
        group: "vm/100".to_string(),
        time,
    }
}

pub(super) fn store_mutex(process: ProcessId) -> LockKind {
    LockKind::ChunkStore(process, 0)
}

/// A writer session the oracle was told about.
#[derive(Clone, Copy)]
pub(super) struct Writer {
    process: ProcessId,
    id: WriterId,
}

/// An oracle over model storage, with the typed storage to set up its ground truth.
pub(super) struct Fixture {
    pub(super) backend: Backend,
    log: Arc<ExecutionLog>,
    pub(super) oracle: Arc<Oracle>,
    pub(super) chunks: Arc<ModelChunkDir<Std>>,
    pub(super) bucket: Arc<ModelBucket<Std>>,
    pub(super) indexes: Arc<ModelIndexDir<Std>>,
}

impl Fixture {
    pub(super) fn new(backend: Backend) -> Self {
        Self::with_lock_order(backend, true)
    }

    pub(super) fn with_lock_order(backend: Backend, check_lock_order: bool) -> Self {
        let options = match check_lock_order {
            true => OracleOptions::new(backend),
            false => OracleOptions::new(backend).without_lock_order(),
        };
        Self::with_options(options)
    }

    /// An oracle checking as `options` say.
    pub(super) fn with_options(options: OracleOptions) -> Self {
        let backend = options.backend;
        let chunks = Arc::new(ModelChunkDir::<Std>::new());
        let bucket = Arc::new(ModelBucket::<Std>::new());
        let indexes = Arc::new(ModelIndexDir::<Std>::new());
        let storage = Storage {
            chunks: chunks.clone(),
            bucket: bucket.clone(),
            indexes: indexes.clone(),
        };
        // The oracle reports to the log installed where it is built.
        let log = ExecutionLog::new();
        let oracle = {
            let _installed = log.install();
            Oracle::with_options(&storage, options)
        };
        Self {
            backend,
            log,
            oracle,
            chunks,
            bucket,
            indexes,
        }
    }

    /// Runs `f`; when the oracle panics, checks that the panic and [`Oracle::violation`]
    /// agree and are well formed, and returns the violation. Other panics propagate.
    pub(super) fn violation_of(&self, f: impl FnOnce()) -> Violation {
        let before = self.oracle.violation();
        let outcome = catch_unwind(AssertUnwindSafe(f));
        let after = self.oracle.violation();
        let Err(payload) = outcome else {
            assert_eq!(
                after, before,
                "the oracle recorded a violation without panicking"
            );
            return None;
        };
        let message = panic_message(&*payload);
        let Some((property, recorded)) = after.filter(|_| before.is_none()) else {
            resume_unwind(payload);
        };
        assert_eq!(recorded, message, "violation() must hold the panic message");
        assert!(
            message.starts_with(&format!("{} violated: ", property.name())),
            "message must start with the property's name: {message}"
        );
        assert!(
            message.contains("event trail"),
            "message must carry the trail: {message}"
        );
        assert_eq!(
            self.log.violation(),
            Some(property),
            "the execution log must hold the property as data: {message}"
        );
        Some((property, message))
    }

    pub(super) fn event<'e>(&self, event: impl Into<Event<'e>>) {
        self.oracle.event(&event.into());
    }

    // --- storage set-up ---

    /// A local chunk file with full content and atime `atime`.
    pub(super) fn file(&self, n: u8, atime: i64) -> Digest {
        let d = digest(n);
        self.chunks.write(&d, &[n], atime).expect("model write");
        d
    }

    /// A zero-length local marker with atime `atime`.
    pub(super) fn marker(&self, n: u8, atime: i64) -> Digest {
        let d = digest(n);
        self.chunks.write(&d, &[], atime).expect("model write");
        d
    }

    /// A bucket object.
    pub(super) fn object(&self, n: u8) -> Digest {
        let d = digest(n);
        self.bucket.put_if_absent(&d, &[n]).expect("model put");
        d
    }

    /// The chunk, present where this backend keeps chunks (S3: object and cached content).
    pub(super) fn present(&self, n: u8) -> Digest {
        if self.backend == Backend::S3 {
            self.object(n);
        }
        self.file(n, 0)
    }

    // --- events ---

    pub(super) fn lock(&self, thread: u64, lock: LockKind) {
        self.acquire(thread, lock, true);
    }

    pub(super) fn try_lock(&self, thread: u64, lock: LockKind) {
        self.acquire(thread, lock, false);
    }

    fn acquire(&self, thread: u64, lock: LockKind, blocking: bool) {
        self.event(Fact::LockAcquired {
            lock,
            thread,
            blocking,
        });
    }

    pub(super) fn unlock(&self, thread: u64, lock: LockKind) {
        self.event(Fact::LockReleased { lock, thread });
    }

    /// Starts writer `id` in `process` at time 0; it uses `digests` (uploaded).
    pub(super) fn writer(&self, process: ProcessId, id: u64, digests: &[Digest]) -> Writer {
        self.writer_at(process, id, 0, digests)
    }

    /// Starts writer `id` in `process` at time `start`; it uses `digests` (uploaded).
    pub(super) fn writer_at(
        &self,
        process: ProcessId,
        id: u64,
        start: i64,
        digests: &[Digest],
    ) -> Writer {
        let writer = Writer {
            process,
            id: WriterId(id),
        };
        self.event(Fact::WriterStarted {
            process,
            writer: writer.id,
            start,
        });
        for d in digests {
            self.uses(writer, *d, ChunkUse::Uploaded);
        }
        writer
    }

    pub(super) fn uses(&self, writer: Writer, digest: Digest, how: ChunkUse) {
        self.event(Fact::ChunkUsed {
            process: writer.process,
            writer: writer.id,
            digest,
            how,
        });
    }

    /// Writes index `disk` of `snapshot` listing `digests` and reports its publication.
    pub(super) fn publish(&self, writer: Writer, snapshot: &SnapshotId, digests: &[Digest]) {
        self.indexes
            .put_raw(snapshot, "disk", store::index::encode(digests));
        self.report_published(writer, snapshot, digests);
    }

    /// Reports the publication of index `disk` of `snapshot` (the disk is left as it is).
    pub(super) fn report_published(
        &self,
        writer: Writer,
        snapshot: &SnapshotId,
        digests: &[Digest],
    ) {
        self.event(Event::IndexPublished {
            process: writer.process,
            writer: writer.id,
            snapshot,
            name: "disk",
            digests,
        });
    }

    /// Removes `snapshot` from disk and reports it pruned.
    pub(super) fn prune(&self, snapshot: &SnapshotId) {
        self.indexes
            .remove_snapshot(snapshot)
            .expect("model index dir removes");
        self.event(Event::SnapshotPruned { snapshot });
    }

    pub(super) fn finish(&self, writer: Writer) {
        self.event(Fact::WriterFinished {
            process: writer.process,
            writer: writer.id,
        });
    }

    /// A complete backup by writer `id` of `process`: `digests` become visible in `snapshot`.
    pub(super) fn backup(
        &self,
        process: ProcessId,
        id: u64,
        snapshot: &SnapshotId,
        digests: &[Digest],
    ) {
        let writer = self.writer(process, id, digests);
        self.publish(writer, snapshot, digests);
        self.finish(writer);
    }

    pub(super) fn remove_call(&self, process: ProcessId, thread: u64, digest: Digest) {
        self.event(Fact::RemoveCalled {
            process,
            digest,
            thread,
        });
    }

    /// A write (`written`) or touch of `digest`'s file by `thread` of `process`, reporting
    /// the atime the file has (as the store reports the one it left).
    pub(super) fn stamp(&self, process: ProcessId, thread: u64, digest: Digest, written: bool) {
        self.event(Fact::ChunkStamped {
            process,
            digest,
            atime: self.chunks.inspect(&digest).map_or(0, |st| st.atime),
            written,
            thread,
        });
    }

    /// `thread` (of the first process) about to put `digest`'s object into the bucket.
    pub(super) fn put(&self, thread: u64, digest: Digest) {
        self.event(Fact::ObjectPutting {
            process: PA,
            digest,
            thread,
        });
    }

    /// Verify about to rename `digest`'s file aside, by `thread` of `process`.
    pub(super) fn quarantine(&self, process: ProcessId, thread: u64, digest: Digest) {
        self.event(Fact::ChunkQuarantined {
            process,
            digest,
            thread,
        });
    }

    /// A stat of `digest` by `thread` of `process` (what a sweep decides by).
    pub(super) fn stat(&self, process: ProcessId, thread: u64, digest: Digest) {
        self.event(Fact::ChunkStatted {
            process,
            digest,
            thread,
        });
    }

    /// A sweep step of `thread` of `process`: under its chunk store mutex, a stat, then
    /// `remove` (P1 holds across the decision).
    pub(super) fn remove(&self, process: ProcessId, thread: u64, digest: Digest) {
        self.lock(thread, store_mutex(process));
        self.stat(process, thread, digest);
        self.remove_call(process, thread, digest);
        self.unlock(thread, store_mutex(process));
    }

    /// Deletes objects from the bucket, by thread `T1` of `process` holding their
    /// per-chunk locks.
    pub(super) fn delete_objects(&self, process: ProcessId, digests: &[Digest]) {
        for d in digests {
            self.try_lock(T1, LockKind::Chunk(*d));
        }
        self.event(Event::ObjectsDeleting {
            process,
            digests,
            thread: T1,
        });
        for d in digests {
            self.unlock(T1, LockKind::Chunk(*d));
        }
    }

    /// Releases the LRU mutex of `process` held by `thread`, reporting that the real LRU
    /// lists `digests`, as the cache does for an oracle.
    pub(super) fn lru_release(&self, process: ProcessId, thread: u64, digests: &[Digest]) {
        self.event(Fact::LruReleased {
            process,
            thread,
            entries: digests.len() as u64,
            fingerprint: store::lru_fingerprint(digests),
        });
    }

    /// Inserts into the LRU of `process` under its LRU mutex (checked on release).
    pub(super) fn lru_insert(&self, process: ProcessId, thread: u64, digest: Digest) {
        self.lock(thread, LockKind::Lru(process));
        self.event(Fact::LruInserted {
            process,
            digest,
            thread,
        });
        self.unlock(thread, LockKind::Lru(process));
    }

    pub(super) fn gc_start(&self, process: ProcessId, min_atime: i64) {
        self.gc_start_at(process, min_atime + 100, min_atime);
    }

    /// A GC of `process` reading `phase1_start` off its clock and cutting off at `min_atime`.
    pub(super) fn gc_start_at(&self, process: ProcessId, phase1_start: i64, min_atime: i64) {
        self.event(Fact::GcStarted {
            process,
            phase1_start,
            oldest_writer: phase1_start,
            min_atime,
            thread: GC_THREAD,
        });
    }

    pub(super) fn gc_finish(&self, process: ProcessId, completed: bool) {
        self.event(Fact::GcFinished { process, completed });
    }
}

/// Asserts `violation` is of `expected` and returns its message.
#[track_caller]
pub(super) fn expect(expected: Property, violation: Violation, case: &str) -> String {
    match violation {
        Some((property, message)) => {
            assert_eq!(property, expected, "{case}: wrong property:\n{message}");
            message
        }
        None => panic!("{case}: expected a {expected} violation, got none"),
    }
}

/// Asserts there is no violation.
#[track_caller]
pub(super) fn expect_none(violation: Violation, case: &str) {
    if let Some((_, message)) = violation {
        panic!("{case}: expected no violation, got:\n{message}");
    }
}
