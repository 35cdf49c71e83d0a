//! Lock contention profiles on real threads: which lock the threads of a workload wait
//! on, how often, for how long, and how long they hold it.
//!
//! **Problem.** Throughput alone does not say where threads wait. Before changing a lock,
//! a storage engineer wants `lockstat`'s view of the store: per lock class, acquisitions,
//! the share that had to wait, and the wait and hold time distributions, split by the
//! kind of thread (writer, GC, reader, verify, prune).
//!
//! **Idea.** Every platform lock is created with its [`LockClass`]. The [`Profiled`]
//! platform is [`crate::Std`] with each lock instrumented: a lock first tries to take
//! the mutex; only when that fails does it read the clock before and after blocking
//! (a contended acquisition and its wait). Every hold is timed from acquisition to
//! release. Condition waits (a thread blocked on a per-chunk lock another thread holds)
//! count as waits of the condition variable's class. The store names the [`Role`] a thread
//! acts in at its entry points (a backup writer's upload, a collection, a read), so a
//! generated program whose threads do several things is split correctly.
//!
//! Records go to a per-thread record (uncontended atomics, allocated per lock class and
//! role on first use) and are summed by [`snapshot`]; a thread's record is folded into the
//! process-wide totals when the thread exits. Durations land in log-linear histograms
//! (8 buckets per power of two, so a percentile is within 12.5 % of the true value); the
//! maximum and the total are exact.
//!
//! **Usage.** Run the store as `Datastore<Profiled>`, call [`reset`] before the measured
//! part and [`snapshot`] after it. There is one profile per OS process.
//!
//! ```
//! use store::profile::{self, LockClass, Profiled};
//! use store::{Backend, Datastore, StoreConfig};
//! profile::reset();
//! let ds = Datastore::<Profiled>::in_memory(StoreConfig::new(Backend::Filesystem));
//! let process = ds.start_process();
//! process.garbage_collect().unwrap();
//! let snap = profile::snapshot();
//! assert!(snap.class_total(LockClass::ProcessLock).acquisitions > 0);
//! ```

mod histogram;
mod platform;
mod record;

pub use histogram::Summary;
pub use platform::Profiled;
pub use record::{reset, snapshot, Row, Snapshot};

use serde::Serialize;
use std::fmt;

/// What a platform lock guards: the unit a profile reports on (a "lock class" in
/// `lockstat`'s terms; all shards of the chunk store mutex are one class).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockClass {
    /// The chunk store mutex of a process (every shard).
    ChunkStore,
    /// The S3 cache's LRU mutex.
    Lru,
    /// The mutexes of the per-chunk lock table (short critical sections).
    ChunkLockTable,
    /// A thread waiting for a per-chunk lock that another thread holds (a condition
    /// wait; its count is the number of waits, not of acquisitions).
    ChunkLockWait,
    /// The process lock on the datastore's `.lock` file.
    ProcessLock,
    /// The backup group and snapshot locks.
    PathLocks,
    /// A process's table of active writers (the GC cutoff reads it).
    Writers,
    /// The model storage's step mutex: every model storage operation is one step.
    ModelStep,
    /// Locks of whoever drives the store (a harness, a test), not the store's own.
    Driver,
}

impl LockClass {
    /// Every class, in report order.
    pub const ALL: [Self; 9] = [
        Self::ChunkStore,
        Self::Lru,
        Self::ChunkLockTable,
        Self::ChunkLockWait,
        Self::ProcessLock,
        Self::PathLocks,
        Self::Writers,
        Self::ModelStep,
        Self::Driver,
    ];

    /// The class's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::ChunkStore => "chunk-store",
            Self::Lru => "lru",
            Self::ChunkLockTable => "chunk-lock-table",
            Self::ChunkLockWait => "chunk-lock-wait",
            Self::ProcessLock => "process-lock",
            Self::PathLocks => "path-locks",
            Self::Writers => "writers",
            Self::ModelStep => "model-step",
            Self::Driver => "driver",
        }
    }

    /// Whether the class is a condition wait (no holds, every record a wait).
    pub fn is_condition(self) -> bool {
        self == Self::ChunkLockWait
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for LockClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The kind of thread a lock is taken by, named by the store's entry points. A thread
/// keeps the role of the outermost entry point it is in (a verify that reads through
/// the cache stays a verify).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A backup writer: session start, uploads, re-use, indexes, finish; a direct insert.
    Writer,
    /// Garbage collection.
    Gc,
    /// A reader of chunks (restore through the cache).
    Reader,
    /// Verification of a chunk.
    Verify,
    /// Pruning a snapshot.
    Prune,
    /// A service reload.
    Reload,
    /// Outside every entry point (setup, a driver's own locks).
    #[default]
    Other,
}

impl Role {
    /// Every role, in report order.
    pub const ALL: [Self; 7] = [
        Self::Writer,
        Self::Gc,
        Self::Reader,
        Self::Verify,
        Self::Prune,
        Self::Reload,
        Self::Other,
    ];

    /// The role's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Writer => "writer",
            Self::Gc => "gc",
            Self::Reader => "reader",
            Self::Verify => "verify",
            Self::Prune => "prune",
            Self::Reload => "reload",
            Self::Other => "other",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
