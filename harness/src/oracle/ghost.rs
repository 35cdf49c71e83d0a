//! Ghost state: the ground truth the oracle rebuilds from the store's events.

use std::collections::{BTreeMap, BTreeSet};
use store::{Digest, LockKind, ProcessId, SnapshotId, WriterId};

/// An active writer session.
pub struct GhostWriter {
    /// Its process.
    pub process: ProcessId,
    /// Chunks it uploaded, re-used or registered: all of them must survive until its
    /// indexes are visible and it has finished.
    pub used: BTreeSet<Digest>,
}

/// A running garbage collection.
pub struct GhostGc {
    /// Its cutoff.
    pub min_atime: i64,
    /// Chunks it skipped because their per-chunk lock was busy.
    pub skipped: BTreeSet<Digest>,
    /// Whether a reload happened or a writer started while it ran (for coverage).
    pub overlapped_writer: bool,
    /// Whether a reload happened while it ran.
    pub overlapped_reload: bool,
}

/// Everything the oracle knows.
#[derive(Default)]
pub struct Ghost {
    /// Published, not pruned indexes: `(snapshot, name)` → digests.
    pub visible: BTreeMap<(SnapshotId, String), Vec<Digest>>,
    /// Active writers.
    pub writers: BTreeMap<WriterId, GhostWriter>,
    /// Each process's LRU content.
    pub lru: BTreeMap<ProcessId, BTreeSet<Digest>>,
    /// Holder thread of each held lock.
    pub holders: BTreeMap<LockKind, u64>,
    /// Locks each thread holds, in acquisition order.
    pub held: BTreeMap<u64, Vec<LockKind>>,
    /// Running GCs by process.
    pub gcs: BTreeMap<ProcessId, GhostGc>,
}

impl Ghost {
    /// The first visible index referencing `digest`, as `snapshot/name`.
    pub fn visible_reference(&self, digest: &Digest) -> Option<String> {
        self.visible
            .iter()
            .find(|(_, digests)| digests.contains(digest))
            .map(|((snapshot, name), _)| format!("{snapshot}/{name}"))
    }

    /// The first active writer that uses `digest`, with its process.
    pub fn writer_using(
        &self,
        digest: &Digest,
        same_process: Option<ProcessId>,
    ) -> Option<(WriterId, ProcessId)> {
        self.writers
            .iter()
            .filter(|(_, w)| match same_process {
                Some(p) => w.process == p,
                None => true,
            })
            .find(|(_, w)| w.used.contains(digest))
            .map(|(id, w)| (*id, w.process))
    }

    /// Drops every index of a pruned snapshot.
    pub fn prune(&mut self, snapshot: &SnapshotId) {
        self.visible.retain(|(s, _), _| s != snapshot);
    }
}
