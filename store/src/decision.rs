//! The store's decision points: every branch where it decides on state that another thread
//! or process can change (a file's presence, size or atime, the LRU, the bucket, a lock, the
//! clock, a reload), with its outcomes, declared in one place.
//!
//! The store reports each decision it takes as [`crate::Fact::Decided`] with its
//! [`Outcome`], so a checker can tell which of the store's decisions a run exercised and
//! which it never reached. [`OUTCOMES`] lists every declared outcome with a line of meaning.
//!
//! The store names decisions with the crate-private `Decision` enum, which denies dead code:
//! an outcome that no code of the store reports does not compile. Seeded bugs report none of
//! their own (a seeded path is not one of the store's decisions).

use std::fmt;

/// One declared outcome: its decision point, its name and what it means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutcomeInfo {
    /// The decision point (`gc-recover`).
    pub point: &'static str,
    /// The outcome at that point (`put-back`).
    pub outcome: &'static str,
    /// What the store found and did.
    pub meaning: &'static str,
}

/// Declares the crate-private `Decision` enum and [`OUTCOMES`] from one table, in the same
/// order, so an outcome's number is its index in [`OUTCOMES`].
macro_rules! decisions {
    ($(
        $(#[doc = $doc:literal])*
        $point:literal {
            $($variant:ident = $outcome:literal: $meaning:literal,)+
        }
    )+) => {
        /// A decision the store takes (see the module docs): one variant per outcome.
        #[deny(dead_code)]
        #[derive(Clone, Copy, Debug)]
        #[repr(u16)]
        pub(crate) enum Decision {
            $($(
                #[doc = $meaning]
                $variant,
            )+)+
        }

        /// Every declared outcome, grouped by decision point, in declaration order.
        pub const OUTCOMES: &[OutcomeInfo] = &[
            $($(OutcomeInfo { point: $point, outcome: $outcome, meaning: $meaning },)+)+
        ];
    };
}

decisions! {
    /// Filesystem insert (upload, pull): what the stat under the chunk store mutex found.
    "insert" {
        InsertTouched = "touched": "a file of the same size was there: touched, not written",
        InsertCreated = "created": "no file was there: written",
        InsertReplaced = "replaced": "a file of another size was there: written over",
        InsertVanished = "vanished": "the file statted under the mutex was gone at the touch: written again",
    }
    /// Any touch of a chunk file (insert, re-use, GC mark).
    "touch" {
        TouchFound = "found": "the file was there: its atime is now",
        TouchAbsent = "absent": "no file to touch",
        TouchFailed = "failed": "the touch failed (an I/O error): reported as an error",
    }
    /// S3 upload, under the per-chunk lock.
    "upload" {
        UploadReused = "reused": "the local file (content or marker) was touched: no put",
        UploadPut = "put": "no local file (or one whose object is gone): the object was put and cached",
        UploadPutFailed = "put-failed": "the put failed: the upload failed",
        UploadCacheFailed = "cache-failed": "the object was put but caching it failed",
    }
    /// S3 re-use of a local file (an upload's or a pull's), under the per-chunk lock: a HEAD
    /// first, since a file is no proof of its object.
    "reuse-check" {
        ReuseObjectFound = "object-found": "a HEAD found the object: the file is touched and re-used",
        ReuseObjectGone = "object-gone": "the object is gone (lost behind the store's back): not re-used, the upload puts it",
        ReuseHeadFailed = "head-failed": "the HEAD failed: the upload or pull fails",
    }
    /// Sync job: whether the target had a chunk of the pulled snapshot.
    "pull" {
        PullPresent = "present": "the target had the chunk: touched and re-used",
        PullFetched = "fetched": "the target lacked it: read from the source and uploaded",
    }
    /// S3 cache insert: what entering the LRU pushed out.
    "cache-insert" {
        CacheInsertRoom = "room": "the LRU had room: nothing evicted",
        CacheInsertRefreshed = "refreshed": "the LRU listed the chunk already: nothing evicted",
        CacheInsertEvictedHere = "evicted-same-shard": "the evicted chunk is in the held shard: emptied now",
        CacheInsertEvictedDeferred = "evicted-other-shard": "the evicted chunk is in another shard: emptied after, under its own",
    }
    /// Eviction of a chunk to a marker: what its file was.
    "evict" {
        EvictContent = "content": "the file had content: emptied to a marker, keeping its atime",
        EvictMarker = "marker": "the file was a marker already",
        EvictGone = "gone": "the file was gone (removed since)",
        EvictRecached = "re-cached": "deferred eviction: the LRU lists the chunk again, its content stays",
    }
    /// S3 cache read, under the per-chunk lock: the LRU and the local copy.
    "cache-read" {
        CacheHitIntact = "hit-intact": "an LRU hit with a local copy that hashes to the digest: served",
        CacheHitNotIntact = "hit-not-intact": "an LRU hit whose local copy is rotten or a marker: fetched again",
        CacheHitNoFile = "hit-no-file": "an LRU hit with no local file: fetched again",
        CacheMiss = "miss": "not in the LRU: fetched from the bucket",
    }
    /// S3 cache read that goes to the bucket.
    "cache-fetch" {
        CacheFetched = "fetched": "the object was there and intact: cached and served",
        CacheFetchMissing = "object-missing": "the bucket has no such object: reported missing (a local file stays for GC phase 3)",
        CacheFetchCorrupt = "object-corrupt": "the object does not hash to its digest: nothing cached",
    }
    /// Filesystem read (restore).
    "fs-read" {
        FsReadIntact = "intact": "the file hashes to its digest",
        FsReadCorrupt = "corrupt": "the file does not hash to its digest: reported corrupt",
        FsReadMissing = "missing": "no such file: reported missing",
    }
    /// Backup start: the process lock, the group lock, the group's snapshots and the
    /// previous snapshot's lock.
    "backup-start" {
        StartShuttingDown = "refused-shutting-down": "a reload told the process to shut down: refused",
        StartGcElsewhere = "refused-gc": "a GC of another process holds the exclusive process lock: refused",
        StartGroupBusy = "refused-group-busy": "another backup holds the group's lock: refused",
        StartNotNewer = "refused-not-newer": "the group's last snapshot is not older: refused",
        StartPreviousBusy = "refused-previous-busy": "a prune holds the previous snapshot's lock: refused",
        StartFirst = "first": "the group has no snapshot: a full backup",
        StartIncremental = "incremental": "the previous snapshot's chunks are registered as known",
        StartPreviousPruned = "previous-pruned": "the previous snapshot was pruned between listing and locking: a full backup",
    }
    /// A backup session that ends without finishing.
    "abort" {
        AbortRemoved = "snapshot-removed": "the snapshot directory is removed",
        AbortLeft = "snapshot-left": "removing it failed: its published indexes stay visible",
        AbortNothingCreated = "nothing-created": "the session created no snapshot",
    }
    /// GC start: the exclusive process lock.
    "gc-start" {
        GcStarted = "started": "the exclusive process lock is taken",
        GcShuttingDown = "refused-shutting-down": "a reload told the process to shut down: refused",
        GcOtherGc = "refused-other-gc": "another GC holds the exclusive lock: refused",
        GcOtherWriter = "refused-other-writer": "a writer of another process is active: refused",
    }
    /// GC cutoff, fixed once at start from the clock and the writers.
    "gc-cutoff" {
        CutoffGrace = "grace": "the cutoff is the clock minus the grace period",
        CutoffOldestWriter = "oldest-writer": "an older active writer moved the cutoff back",
    }
    /// GC phase 1 over one backup group's snapshots.
    "gc-mark" {
        MarkSnapshot = "snapshot": "a snapshot's indexes were read and their chunks marked",
        MarkSnapshotVanished = "snapshot-vanished": "a listed snapshot was gone when read",
        MarkIndexVanished = "index-vanished": "a listed index was gone when read (pruned since)",
        MarkGroupRelisted = "group-relisted": "the group's newest snapshot vanished: the group is listed again",
    }
    /// GC phase 1, one referenced chunk, under the chunk store mutex.
    "gc-mark-chunk" {
        MarkTouched = "touched": "the chunk's local file was touched",
        MarkMarkerWritten = "marker-written": "S3: no local file but the object exists: a marker is written",
        MarkMissing = "missing": "neither a local file nor an object: reported missing",
    }
    /// GC phase 2 on the filesystem: one chunk file, statted under the mutex.
    "gc-sweep-file" {
        SweepFileGone = "gone": "the listed file was gone when statted",
        SweepFileRemoved = "removed": "older than the cutoff: removed",
        SweepFilePending = "pending": "older than the oldest writer but within the margin: kept",
        SweepFileInUse = "in-use": "newer than the oldest writer: kept",
    }
    /// GC phase 2 on S3: one listed object.
    "gc-sweep-object" {
        SweepObjectPutBack = "put-back": "phase 1 found it missing, so it was put back since: kept",
        SweepObjectBusy = "busy": "its per-chunk lock was busy: skipped",
        SweepObjectUnmarked = "removed-unmarked": "no local file: never marked, removed",
        SweepObjectOld = "removed-old": "its local file is older than the cutoff: removed",
        SweepObjectPending = "pending": "older than the oldest writer but within the margin: kept",
        SweepObjectInUse = "in-use": "newer than the oldest writer: kept",
    }
    /// GC phase 2 on S3: a batch of object deletions.
    "gc-delete" {
        DeleteFullBatch = "full-batch": "the queue reached the batch size: deleted",
        DeleteLastBatch = "last-batch": "the rest at the end of the sweep: deleted",
        DeleteOnAbort = "on-abort": "a reload stopped the sweep: the queue is deleted before aborting",
        DeleteFailed = "failed": "the batch delete failed: GC fails",
    }
    /// GC phase 3 on S3: one local file, statted under its per-chunk lock and the mutex.
    "gc-sweep-marker" {
        SweepMarkerBusy = "busy": "its per-chunk lock was busy: skipped",
        SweepMarkerGone = "gone": "the listed file was gone when statted",
        SweepMarkerRemoved = "removed": "older than the cutoff: removed",
        SweepMarkerListed = "kept-listed": "kept, and the bucket listing had its object",
        SweepMarkerUnlisted = "kept-unlisted": "kept, but the bucket listing lacked its object: checked",
    }
    /// GC phase 3 on S3: a kept local file whose object the listing lacked.
    "gc-recover" {
        RecoverObjectPresent = "object-present": "the object exists (put after the listing began)",
        RecoverPutBack = "put-back": "the object is lost: put back from an intact cached copy",
        RecoverForgotten = "forgotten": "the object is lost and no intact copy is cached: reported missing, marker dropped",
        RecoverHeadFailed = "head-failed": "looking the object up failed: GC fails",
    }
    /// GC end.
    "gc-run" {
        GcCompleted = "completed": "every phase ran to its end",
        GcAbortedByReload = "aborted-by-reload": "a reload told the process to shut down: GC stopped",
        GcFailed = "failed": "an error stopped GC",
    }
    /// Verify of one chunk, under its per-chunk lock and the mutex.
    "verify" {
        VerifyGood = "good": "the content hashes to the digest",
        VerifyNotCached = "not-cached": "S3: only a marker is local: nothing to verify",
        VerifyMissing = "missing": "no local file: reported missing",
        VerifyEmptied = "emptied": "S3: the cached copy was rotten: emptied to a marker",
        VerifyQuarantined = "quarantined": "filesystem: the file was rotten: renamed aside",
        VerifyVanished = "vanished": "the rotten file was gone when acted on (another process removed it): reported missing",
    }
    /// Prune of one snapshot.
    "prune" {
        PrunePruned = "pruned": "the snapshot and its indexes are gone",
        PruneBusy = "busy": "a backup holds the snapshot's lock: refused",
        PruneNotFound = "not-found": "no such snapshot",
        PruneFailed = "failed": "removing it failed: its indexes stay visible",
    }
}

impl Decision {
    /// The outcome this decision reports.
    #[inline]
    pub(crate) fn outcome(self) -> Outcome {
        Outcome(self as u16)
    }
}

/// A decision outcome, as the store reports it: an index into [`OUTCOMES`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Outcome(u16);

impl Outcome {
    /// How many outcomes are declared.
    pub const COUNT: usize = OUTCOMES.len();

    /// Every declared outcome, in declaration order.
    pub fn all() -> impl Iterator<Item = Outcome> {
        (0..Self::COUNT).map(|i| Outcome(i as u16))
    }

    /// Its position in [`OUTCOMES`].
    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    /// Its declaration.
    pub fn info(self) -> &'static OutcomeInfo {
        &OUTCOMES[self.index()]
    }

    /// The outcome named `point/outcome`, if declared.
    pub fn from_name(name: &str) -> Option<Outcome> {
        Self::all().find(|o| o.to_string() == name)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let info = self.info();
        write!(f, "{}/{}", info.point, info.outcome)
    }
}

impl fmt::Debug for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Outcome({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn names_are_unique_and_round_trip() {
        let names: BTreeSet<String> = Outcome::all().map(|o| o.to_string()).collect();
        assert_eq!(names.len(), Outcome::COUNT);
        for outcome in Outcome::all() {
            assert_eq!(Outcome::from_name(&outcome.to_string()), Some(outcome));
        }
        assert_eq!(Outcome::from_name("gc-recover/nonsense"), None);
    }

    #[test]
    fn a_decision_reports_its_own_declaration() {
        let info = Decision::RecoverPutBack.outcome().info();
        assert_eq!((info.point, info.outcome), ("gc-recover", "put-back"));
    }
}
