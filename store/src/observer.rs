//! Instrumentation: the store reports every event that changes the ground truth.
//!
//! The store calls [`Observer::event`] at the exact point where something happens (while
//! still holding whatever lock makes it happen), so an observer can keep ghost state that
//! is never stale with respect to the store's critical sections. The default observer,
//! [`NoopObserver`], is zero-sized and does nothing. What the store does to storage and
//! locks never depends on the observer; only which events it reports and what it computes
//! for them does ([`Observer::inspects_lru`]).

use crate::decision::Outcome;
use crate::digest::Digest;
use crate::ids::{ProcessId, SnapshotId, WriterId};
use crate::storage::{Fault, Site};

/// Which lock an event is about, in the one order locks may be taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockKind {
    /// The per-chunk lock of a digest (shared by all processes).
    Chunk(Digest),
    /// The chunk store mutex of a process (shard 0 unless the store is sharded).
    ChunkStore(ProcessId, u32),
    /// The LRU mutex of a process's cache.
    Lru(ProcessId),
}

impl LockKind {
    /// The lock's rank: locks must be taken in increasing rank.
    pub fn rank(&self) -> u8 {
        match self {
            Self::Chunk(_) => 1,
            Self::ChunkStore(..) => 2,
            Self::Lru(_) => 3,
        }
    }
}

/// How a writer came to depend on a chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkUse {
    /// Listed in the previous snapshot; the client may reference it without uploading.
    Registered,
    /// Uploaded by the writer (about to be written or touched under the chunk store lock).
    Uploaded,
    /// Re-used because it is already present (pull path, S3 "already present" path).
    Reused,
}

/// A ground-truth event that borrows nothing: kept as it is (it is `Copy`) by whoever records
/// a trail of events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fact {
    /// A daemon process started (the first one, or the new one of a reload).
    ProcessStarted {
        /// The process.
        process: ProcessId,
    },
    /// A reload: `new` started and `old` was told to shut down.
    Reload {
        /// The process told to shut down.
        old: ProcessId,
        /// The process that replaces it.
        new: ProcessId,
    },
    /// A writer session took its shared process lock at `start`.
    WriterStarted {
        /// Its process.
        process: ProcessId,
        /// The writer.
        writer: WriterId,
        /// Its start time (seconds), as recorded in the process lock bookkeeping.
        start: i64,
    },
    /// A writer is about to depend on a chunk (emitted before the chunk is touched or written).
    ChunkUsed {
        /// Its process.
        process: ProcessId,
        /// The writer.
        writer: WriterId,
        /// The chunk.
        digest: Digest,
        /// How.
        how: ChunkUse,
    },
    /// A writer will publish nothing more (it finished or aborted); emitted before it
    /// releases any lock.
    WriterFinished {
        /// Its process.
        process: ProcessId,
        /// The writer.
        writer: WriterId,
    },
    /// A thread took a lock (`blocking` false for a successful try-lock).
    LockAcquired {
        /// Which lock.
        lock: LockKind,
        /// The thread ([`crate::Platform::thread_id`]).
        thread: u64,
        /// Whether the thread could have waited for it.
        blocking: bool,
    },
    /// A thread released a lock.
    LockReleased {
        /// Which lock.
        lock: LockKind,
        /// The thread.
        thread: u64,
    },
    /// A chunk's local file (content or marker) was written or its atime was set.
    ChunkStamped {
        /// The process whose chunk store did it.
        process: ProcessId,
        /// The chunk.
        digest: Digest,
        /// Its atime now.
        atime: i64,
        /// Whether the file was written (content or marker), not only touched.
        written: bool,
        /// The thread that did it (it must hold the chunk store mutex of the digest).
        thread: u64,
    },
    /// A chunk store read a chunk file's size and atime (what a sweep decides by).
    ChunkStatted {
        /// The process whose chunk store did it.
        process: ProcessId,
        /// The chunk.
        digest: Digest,
        /// The thread that did it (it must hold the chunk store mutex of the digest).
        thread: u64,
    },
    /// A process crashed (an injected fault): every later storage operation of it fails,
    /// and its in-memory state (LRU, writers, mutexes) dies with it.
    ProcessCrashed {
        /// The process.
        process: ProcessId,
    },
    /// The storage injected a fault into an operation (model storage, under a checker's
    /// choice; see [`crate::storage::fault`]).
    FaultInjected {
        /// Where.
        site: Site,
        /// What.
        fault: Fault,
        /// The chunk the operation names, if any.
        digest: Option<Digest>,
        /// The thread whose operation it is.
        thread: u64,
    },
    /// An object is about to be put into the bucket (S3 upload).
    ObjectPutting {
        /// The process doing it.
        process: ProcessId,
        /// The chunk.
        digest: Digest,
        /// The thread doing it (it must hold the chunk's per-chunk lock).
        thread: u64,
    },
    /// A thread released the LRU mutex of `process`, which lists `entries` digests with
    /// [`lru_fingerprint`] `fingerprint`: reported instead of [`Fact::LockReleased`] to
    /// observers that [`Observer::inspects_lru`].
    LruReleased {
        /// The process.
        process: ProcessId,
        /// The thread.
        thread: u64,
        /// How many digests the LRU lists.
        entries: u64,
        /// The fingerprint of the digests it lists.
        fingerprint: u64,
    },
    /// A cache read served `digest`'s local copy on an LRU hit, under its per-chunk lock;
    /// `intact` tells whether that copy hashed to the digest.
    CacheHitServed {
        /// The process.
        process: ProcessId,
        /// The chunk.
        digest: Digest,
        /// Whether the copy served matches the digest.
        intact: bool,
    },
    /// A process's LRU now holds `digest`.
    LruInserted {
        /// The process.
        process: ProcessId,
        /// The chunk.
        digest: Digest,
        /// The thread that inserted it (it holds the LRU mutex).
        thread: u64,
    },
    /// A process's LRU dropped `digest` (evicted to a marker, removed or quarantined).
    LruRemoved {
        /// The process.
        process: ProcessId,
        /// The chunk.
        digest: Digest,
        /// The thread that dropped it (it holds the LRU mutex).
        thread: u64,
    },
    /// A chunk store read a chunk file's content.
    ChunkRead {
        /// The process whose chunk store did it.
        process: ProcessId,
        /// The chunk.
        digest: Digest,
        /// The thread that did it (it must hold the chunk store mutex of the digest).
        thread: u64,
    },
    /// A thread is about to read a bucket object (look it up or fetch it).
    ObjectRead {
        /// The process doing it.
        process: ProcessId,
        /// The chunk.
        digest: Digest,
        /// The thread doing it.
        thread: u64,
    },
    /// The store took a decision on state another thread or process can change (see
    /// [`crate::decision`]).
    Decided {
        /// What it decided.
        outcome: Outcome,
        /// The process whose thread decided.
        process: ProcessId,
        /// The chunk the decision is about, if it is about one.
        digest: Option<Digest>,
        /// The thread that decided.
        thread: u64,
    },
    /// `remove` (cache remove, or sweep unlink) is about to delete a chunk's local file.
    RemoveCalled {
        /// The process doing it.
        process: ProcessId,
        /// The chunk.
        digest: Digest,
        /// The calling thread.
        thread: u64,
    },
    /// GC is about to drop the local file (and LRU entry) of a chunk whose bucket object it
    /// found gone: a marker that no longer stands for an object.
    LostChunkForgotten {
        /// The GC's process.
        process: ProcessId,
        /// The chunk.
        digest: Digest,
        /// The thread doing it (it must hold the chunk's per-chunk lock and shard).
        thread: u64,
    },
    /// Verify is about to rename a corrupt chunk aside.
    ChunkQuarantined {
        /// The process whose chunk store does it.
        process: ProcessId,
        /// The chunk.
        digest: Digest,
        /// The thread doing it (it must hold the chunk store mutex of the digest).
        thread: u64,
    },
    /// A GC took the exclusive lock and fixed its cutoff.
    GcStarted {
        /// Its process.
        process: ProcessId,
        /// `phase1_start` (seconds).
        phase1_start: i64,
        /// The oldest writer start of this process, or `phase1_start`.
        oldest_writer: i64,
        /// Chunks with an atime below this are garbage.
        min_atime: i64,
        /// The thread running it.
        thread: u64,
    },
    /// GC is about to list the bucket (S3 phase 2): an object put from now on may be missing
    /// from its listing.
    GcListingBucket {
        /// The GC's process.
        process: ProcessId,
    },
    /// A writer's upload of a chunk failed: the writer relies on nothing that upload did
    /// (it may still reference the chunk as known from its previous snapshot).
    ChunkUploadFailed {
        /// Its process.
        process: ProcessId,
        /// The writer.
        writer: WriterId,
        /// The chunk.
        digest: Digest,
    },
    /// GC skipped a chunk whose per-chunk lock was busy.
    GcSkippedBusy {
        /// The chunk.
        digest: Digest,
    },
    /// A GC ended; `completed` is false when it aborted (shutdown, error).
    GcFinished {
        /// Its process.
        process: ProcessId,
        /// Whether every phase ran to its end.
        completed: bool,
    },
}

/// One ground-truth event: a [`Fact`], or one of the few events that carry borrowed data.
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// An event without borrowed parts.
    Fact(Fact),
    /// An index was renamed into place: GC can see it from now on.
    IndexPublished {
        /// The writer's process.
        process: ProcessId,
        /// The writer.
        writer: WriterId,
        /// The snapshot.
        snapshot: &'a SnapshotId,
        /// The index name.
        name: &'a str,
        /// Every digest it references.
        digests: &'a [Digest],
    },
    /// A snapshot and all its indexes are gone from disk (prune, or an aborted writer's
    /// cleanup); reported after the removal succeeded, so a failed removal leaves its
    /// indexes visible.
    SnapshotPruned {
        /// The snapshot.
        snapshot: &'a SnapshotId,
    },
    /// Objects are about to be deleted from the bucket.
    ObjectsDeleting {
        /// The process doing it.
        process: ProcessId,
        /// The chunks.
        digests: &'a [Digest],
        /// The thread doing it (it must hold the per-chunk lock of every one).
        thread: u64,
    },
}

impl From<Fact> for Event<'_> {
    fn from(fact: Fact) -> Self {
        Self::Fact(fact)
    }
}

/// An order-independent fingerprint of a set of digests (the XOR of their first eight
/// bytes): with the count, what [`Fact::LruReleased`] reports of an LRU without copying it.
pub fn lru_fingerprint<'a>(digests: impl IntoIterator<Item = &'a Digest>) -> u64 {
    digests.into_iter().fold(0, |acc, d| {
        let mut head = [0u8; 8];
        head.copy_from_slice(&d.0[..8]);
        acc ^ u64::from_le_bytes(head)
    })
}

/// Receives the store's events. Must not block or call back into the store.
pub trait Observer: Send + Sync {
    /// Called at the point where `event` happens.
    fn event(&self, event: &Event<'_>);

    /// Whether the store should report a cache's LRU contents ([`Fact::LruReleased`]) at
    /// every release of its mutex: fingerprinting them walks the whole LRU at every release,
    /// which the production observer does not want.
    fn inspects_lru(&self) -> bool {
        false
    }
}

/// The production observer: zero-sized, does nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopObserver;

impl Observer for NoopObserver {
    #[inline(always)]
    fn event(&self, _event: &Event<'_>) {}
}
