//! The oracle's ghost of a running garbage collection.

use std::collections::BTreeSet;
use store::Digest;

/// A running garbage collection.
pub struct GhostGc {
    /// The thread running it.
    pub thread: u64,
    /// Its cutoff.
    pub min_atime: i64,
    /// Chunks it skipped because their per-chunk lock was busy.
    pub skipped: BTreeSet<Digest>,
    /// Whether a writer started while it ran (for coverage).
    pub overlapped_writer: bool,
    /// Whether a reload happened while it ran.
    pub overlapped_reload: bool,
    /// Whether it began listing the bucket (S3 phase 2).
    pub listing: bool,
    /// Objects put since it began listing the bucket, or being put then: its listing may
    /// miss them, so its progress is not judged on them.
    pub put_after_listing: BTreeSet<Digest>,
}

impl GhostGc {
    /// A GC on `thread` with cutoff `min_atime` that has done nothing yet.
    pub(super) fn new(thread: u64, min_atime: i64) -> Self {
        Self {
            thread,
            min_atime,
            skipped: BTreeSet::new(),
            overlapped_writer: false,
            overlapped_reload: false,
            listing: false,
            put_after_listing: BTreeSet::new(),
        }
    }
}
