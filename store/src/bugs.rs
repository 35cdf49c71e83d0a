//! Seeded bugs: each historical race of the upstream store, and the mistakes this project's
//! harness found or added with an actor, as a runtime switch.
//!
//! All are off by default. Turning one on makes the store reproduce that bug and nothing
//! else, so one build can show that the clean store passes every check and that the
//! harness catches every bug (see the `harness` and `scenarios` crates).

use std::fmt;
use std::str::FromStr;

/// One historical race (`docs/design.md` §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SeededBug {
    /// Phase 2 (filesystem) stats a chunk before taking the chunk store mutex and unlinks it
    /// after: a writer can insert or touch the chunk in between.
    SweepStatOutsideMutex,
    /// Inserting a chunk that already exists returns without touching it, so an old
    /// unreferenced chunk a writer re-uses keeps its old atime.
    InsertSkipsTouch,
    /// The "already present" re-use paths (pull, S3 upload) touch the chunk without the
    /// chunk store mutex.
    TouchWithoutMutex,
    /// The exclusive process lock forgets other processes' shared locks, so GC in the new
    /// process of a reload runs while an old-process writer is active.
    LockForgetsOtherProcesses,
    /// The GC cutoff ignores the oldest active writer.
    CutoffIgnoresOldestWriter,
    /// S3 upload and cache insert run without the per-chunk lock.
    UploadWithoutChunkLock,
    /// Cache insert enters the LRU first and its eviction callback takes the chunk store
    /// mutex inside the LRU mutex: the lock order is inverted.
    EvictionLocksStoreInsideLru,
    /// An S3 upload skips a chunk the LRU holds without touching it (the protocol as
    /// `docs/design.md` §1 words it): an old unreferenced cached chunk a writer re-uses keeps its
    /// old atime and GC removes it. Found by this project's tests, not an upstream report.
    LruHitSkipsTouch,
    /// A cache read serves the local copy on an LRU hit without checking it against the
    /// digest: after bit rot in the cache directory, every restore of the chunk fails
    /// although the bucket holds a good object. Found by the generated phase.
    CacheServesRottenCopy,
    /// Cache eviction replaces the evicted chunk's file by a new marker carrying the atime
    /// it read before: a touch by another process's writer in between (a reload shares the
    /// cache directory, not the chunk store mutex) is rolled back, and the chunk that writer
    /// uses looks older than its start. Found by the generated phase.
    EvictionRollsBackAtime,
    /// A failed touch (an I/O error) is taken for a successful one: the chunk keeps its old
    /// atime while GC's mark, or the writer re-using it, believes it protected. Shows only
    /// under fault injection.
    TouchErrorAsSuccess,
    /// A failed stat (an I/O error) is taken for "no such file": the S3 sweep then judges an
    /// object without a local marker as unmarked garbage and deletes it. Shows only under
    /// fault injection.
    FailedStatAsAbsent,
    /// A batched delete that failed (part of the batch may be left) is taken as done: GC
    /// completes and reports success with garbage left behind. Shows only under fault
    /// injection.
    FailedDeleteAsDone,
    /// S3 verify renames a rotten cached copy aside, then writes a marker in its place: when
    /// that write fails, the good bucket object is left without its GC mark and the next
    /// sweep deletes it although an index references it. Shows only under fault
    /// injection. Found by the generated phase under faults.
    VerifyUnmarksObject,
    /// GC phase 1 reads a snapshot's unpublished `.tmp_didx` files as if they were
    /// visible: after a writer crashed between writing its index and publishing it, GC
    /// marks that index's chunks at every run and they are never collected. Shows only
    /// under fault injection (a crash).
    GcReadsTempIndex,
    /// S3 GC trusts a chunk's local marker as proof that its object exists: after the
    /// object was lost behind the store's back, GC never reports it missing, and the marker
    /// stays until the next upload of the chunk puts the object back. Shows only under
    /// fault injection (a lost object).
    GcTrustsMarker,
    /// A sync (pull) job takes a chunk the target already has for done once it has
    /// checked that its file exists, without touching it: an old unreferenced chunk keeps
    /// its old atime while the pulled snapshot references it, and GC removes it. Upstream's
    /// pull tests presence with a conditional touch, which this skips; our own seeded bug,
    /// added with the sync job.
    PullChecksWithoutTouch,
    /// A touch or write of a chunk file stamps it with the clock read before its storage
    /// step, not with the time the step happens (as a kernel's `UTIME_NOW` does): a stamp
    /// by an old-process thread that lands after a newer one by a new-process writer (a
    /// reload shares the chunk directory, not the chunk store mutex) moves the chunk's atime
    /// back, behind the start of the writer that uses it. Found by the guided search.
    StaleStamp,
    /// S3 GC phase 2 judges an object that phase 1 found referenced but missing (lost
    /// behind the store's back, so no marker carries its mark): an upload that put it back
    /// in between and whose cache write failed left the object with no local file, and
    /// phase 2 deletes it as unmarked garbage although an index references it. Shows only
    /// under two faults (the lost object, the failed cache write). Found by review; the
    /// guided search under `--faults 2` reaches it.
    SweepJudgesMissing,
    /// An S3 upload (or pull) takes the chunk's local file (content or marker) as proof
    /// that its object exists, as upstream does, and skips the put: after the object was
    /// lost behind the store's back (a read found it gone and left the marker, which
    /// carries the GC mark, to GC phase 3), the upload reports the chunk stored and its
    /// index names an object that is gone. Shows only under fault injection (a lost
    /// object). Found by tightening the lost-object exemption (#18).
    UploadTrustsMarker,
}

impl SeededBug {
    /// Every seeded bug.
    pub const ALL: [SeededBug; 20] = [
        Self::SweepStatOutsideMutex,
        Self::InsertSkipsTouch,
        Self::TouchWithoutMutex,
        Self::LockForgetsOtherProcesses,
        Self::CutoffIgnoresOldestWriter,
        Self::UploadWithoutChunkLock,
        Self::EvictionLocksStoreInsideLru,
        Self::LruHitSkipsTouch,
        Self::CacheServesRottenCopy,
        Self::EvictionRollsBackAtime,
        Self::TouchErrorAsSuccess,
        Self::FailedStatAsAbsent,
        Self::FailedDeleteAsDone,
        Self::VerifyUnmarksObject,
        Self::GcReadsTempIndex,
        Self::GcTrustsMarker,
        Self::PullChecksWithoutTouch,
        Self::StaleStamp,
        Self::SweepJudgesMissing,
        Self::UploadTrustsMarker,
    ];

    /// The bugs in how the store reacts to a failing storage operation: they show only when
    /// faults are injected.
    pub const FAULT_HANDLING: [SeededBug; 8] = [
        Self::TouchErrorAsSuccess,
        Self::FailedStatAsAbsent,
        Self::FailedDeleteAsDone,
        Self::VerifyUnmarksObject,
        Self::GcReadsTempIndex,
        Self::GcTrustsMarker,
        Self::SweepJudgesMissing,
        Self::UploadTrustsMarker,
    ];

    /// Whether the bug shows only under fault injection.
    pub fn needs_faults(self) -> bool {
        Self::FAULT_HANDLING.contains(&self)
    }

    /// Storage faults one execution needs at least for the bug to show: 0 for a race,
    /// 2 for [`SeededBug::SweepJudgesMissing`] (a lost object and a failed cache write),
    /// 1 for the other fault-handling bugs.
    pub fn faults_needed(self) -> u8 {
        match self {
            Self::SweepJudgesMissing => 2,
            bug => u8::from(bug.needs_faults()),
        }
    }

    /// The kebab-case name used on command lines and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::SweepStatOutsideMutex => "sweep-stat-outside-mutex",
            Self::InsertSkipsTouch => "insert-skips-touch",
            Self::TouchWithoutMutex => "touch-without-mutex",
            Self::LockForgetsOtherProcesses => "lock-forgets-other-processes",
            Self::CutoffIgnoresOldestWriter => "cutoff-ignores-oldest-writer",
            Self::UploadWithoutChunkLock => "upload-without-chunk-lock",
            Self::EvictionLocksStoreInsideLru => "eviction-locks-store-inside-lru",
            Self::LruHitSkipsTouch => "lru-hit-skips-touch",
            Self::CacheServesRottenCopy => "cache-serves-rotten-copy",
            Self::EvictionRollsBackAtime => "eviction-rolls-back-atime",
            Self::TouchErrorAsSuccess => "touch-error-as-success",
            Self::FailedStatAsAbsent => "failed-stat-as-absent",
            Self::FailedDeleteAsDone => "failed-delete-as-done",
            Self::VerifyUnmarksObject => "verify-unmarks-object",
            Self::GcReadsTempIndex => "gc-reads-temp-index",
            Self::GcTrustsMarker => "gc-trusts-marker",
            Self::PullChecksWithoutTouch => "pull-checks-without-touch",
            Self::StaleStamp => "stale-stamp",
            Self::SweepJudgesMissing => "sweep-judges-missing",
            Self::UploadTrustsMarker => "upload-trusts-marker",
        }
    }

    /// One line: the race, or the wrong reaction to a fault.
    pub fn summary(self) -> &'static str {
        match self {
            Self::SweepStatOutsideMutex => {
                "GC stats a chunk outside the mutex, a writer re-uses it, GC unlinks it"
            }
            Self::InsertSkipsTouch => "inserting an existing chunk does not refresh its atime",
            Self::TouchWithoutMutex => {
                "the pull / S3 \"already present\" path touches without the mutex"
            }
            Self::LockForgetsOtherProcesses => "after a reload, GC cannot see old-process writers",
            Self::CutoffIgnoresOldestWriter => {
                "the cutoff ignores a writer older than the grace period"
            }
            Self::UploadWithoutChunkLock => "S3 upload and cache insert outside the per-chunk lock",
            Self::EvictionLocksStoreInsideLru => {
                "eviction takes the chunk store mutex inside the LRU mutex"
            }
            Self::LruHitSkipsTouch => "an S3 upload skips an LRU hit without touching it",
            Self::CacheServesRottenCopy => "a cache hit serves a rotten local copy",
            Self::EvictionRollsBackAtime => {
                "an old-process eviction writes a marker with a stale atime"
            }
            Self::TouchErrorAsSuccess => "a failed touch is taken as done",
            Self::FailedStatAsAbsent => "a failed stat is taken as \"no such file\"",
            Self::FailedDeleteAsDone => "a failed batched delete is taken as done",
            Self::VerifyUnmarksObject => {
                "S3 verify renames a rotten copy aside, then a marker write can fail"
            }
            Self::GcReadsTempIndex => "GC marks the chunks of unpublished .tmp_didx files",
            Self::GcTrustsMarker => "S3 GC takes a local marker as proof that the object exists",
            Self::PullChecksWithoutTouch => {
                "a sync job re-uses a chunk it found present without touching it"
            }
            Self::StaleStamp => "a touch or write stamps the time read before its step",
            Self::SweepJudgesMissing => {
                "S3 GC phase 2 judges an object phase 1 found missing, put back since"
            }
            Self::UploadTrustsMarker => {
                "an S3 upload takes a local file as proof that its object exists"
            }
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl fmt::Display for SeededBug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SeededBug {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|b| b.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|b| b.name()).collect();
                format!("unknown seeded bug {s:?}; known: {}", names.join(", "))
            })
    }
}

/// The set of seeded bugs switched on for a store (empty by default; serialized as the list
/// of their names).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(into = "Vec<SeededBug>", from = "Vec<SeededBug>")]
pub struct Bugs(u32);

impl From<Bugs> for Vec<SeededBug> {
    fn from(bugs: Bugs) -> Self {
        bugs.list()
    }
}

impl From<Vec<SeededBug>> for Bugs {
    fn from(list: Vec<SeededBug>) -> Self {
        list.into_iter().fold(Bugs::none(), Bugs::with)
    }
}

impl Bugs {
    /// No bug: the store as upstream fixed it.
    pub const fn none() -> Self {
        Self(0)
    }

    /// Only `bug`.
    pub fn only(bug: SeededBug) -> Self {
        Self(bug.bit())
    }

    /// This set plus `bug`.
    pub fn with(self, bug: SeededBug) -> Self {
        Self(self.0 | bug.bit())
    }

    /// Whether `bug` is switched on.
    #[inline]
    pub fn has(self, bug: SeededBug) -> bool {
        self.0 & bug.bit() != 0
    }

    /// The bugs switched on, in [`SeededBug::ALL`] order.
    pub fn list(self) -> Vec<SeededBug> {
        SeededBug::ALL
            .into_iter()
            .filter(|b| self.has(*b))
            .collect()
    }

    /// Whether no bug is on.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_sets_are_independent() {
        for bug in SeededBug::ALL {
            assert_eq!(bug.name().parse::<SeededBug>(), Ok(bug));
            let set = Bugs::only(bug);
            for other in SeededBug::ALL {
                assert_eq!(set.has(other), other == bug);
            }
        }
        assert!(Bugs::default().is_empty());
        assert!("nonsense".parse::<SeededBug>().is_err());
    }
}
