//! Garbage collection: mark every chunk a visible index references, then sweep old ones.
//!
//! GC takes the exclusive process lock (refused while another process has a writer), fixes
//! its cutoff once, and runs:
//! - **phase 1 (mark)**: a live walk of all indexes, touching each referenced chunk under the
//!   chunk store mutex (of that chunk's shard, like every step below); a group is listed again when its newest snapshot vanished mid-walk;
//! - **phase 2 (sweep)**: filesystem: every chunk file is stat'ed and, if older than the
//!   cutoff, unlinked, under the mutex. S3: every listed object is try-locked (skipped when
//!   busy), its local marker stat'ed under the mutex, and if old removed from the cache and
//!   queued for deletion keeping its per-chunk lock; queued objects are deleted in batches;
//! - **phase 3 (S3)**: leftover local markers are swept the same way. A marked local file
//!   whose object the bucket listing lacked is checked against the bucket under its
//!   per-chunk lock: an object lost behind the store's back is put back from an intact
//!   cached copy, or else reported missing and its marker dropped, so that the next upload
//!   of the chunk puts the object back instead of trusting the marker.
//!
//! Between steps GC checks whether a reload told its process to shut down, and aborts.

use crate::bugs::SeededBug;
use crate::chunk_store::ChunkStoreGuard;
use crate::datastore::{Backend, ChunkLockGuard, Datastore};
use crate::decision::Decision;
use crate::digest::Digest;
use crate::error::StoreError;
use crate::ids::SnapshotId;
use crate::index;
use crate::locks::Refused;
use crate::observer::{Event, Fact};
use crate::platform::{acting_as, Platform, Role};
use crate::process::Process;
use crate::storage::{ChunkStat, PUBLISHED};
use anyhow::{Context, Result};
use std::collections::BTreeSet;

/// What a garbage collection did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GcStatus {
    /// Chunks with an atime below this were garbage.
    pub min_atime: i64,
    /// Index files read in phase 1.
    pub index_files: u64,
    /// Chunk references touched in phase 1.
    pub marked_chunks: u64,
    /// References to chunks found nowhere (locally, nor in the bucket on S3) in phase 1,
    /// plus, on S3, each chunk phase 3 found with a local marker that outlived its object.
    pub missing_chunks: u64,
    /// The chunks behind [`GcStatus::missing_chunks`], each once.
    pub missing: BTreeSet<Digest>,
    /// Lost bucket objects put back from an intact cached copy in phase 3 (S3).
    pub restored_objects: u64,
    /// Chunks removed (local files on the filesystem backend, bucket objects on S3).
    pub removed_chunks: u64,
    /// Bytes of removed local chunk files.
    pub removed_bytes: u64,
    /// Chunks older than the writers' start but within the grace period: kept.
    pub pending_chunks: u64,
    /// Bytes of pending chunks.
    pub pending_bytes: u64,
    /// Chunks in use: kept.
    pub in_use_chunks: u64,
    /// Bytes of chunks in use.
    pub in_use_bytes: u64,
    /// Leftover local markers removed in phase 3 (S3).
    pub removed_markers: u64,
    /// Chunks skipped because their per-chunk lock was busy (S3).
    pub skipped_busy: u64,
    /// Names in the chunk directory that are not chunks (left alone).
    pub junk_entries: u64,
}

/// The cutoff, fixed once at GC start.
#[derive(Clone, Copy, Debug)]
struct Cutoff {
    min_atime: i64,
    oldest_writer: i64,
}

/// What the sweep does with a chunk file.
enum Verdict {
    Remove,
    Pending,
    InUse,
}

impl Cutoff {
    fn judge(&self, atime: i64) -> Verdict {
        if atime < self.min_atime {
            Verdict::Remove
        } else if atime < self.oldest_writer {
            Verdict::Pending
        } else {
            Verdict::InUse
        }
    }
}

impl<P: Platform> Process<P> {
    /// Runs a garbage collection in this process.
    ///
    /// # Errors
    /// [`crate::StoreError::Locked`] when another GC runs or another process has an active
    /// writer; [`crate::StoreError::ShuttingDown`] when a reload stopped it; a corrupt
    /// index (GC stops before sweeping anything, so nothing an unreadable index references
    /// is lost); I/O errors.
    pub fn garbage_collect(&self) -> Result<GcStatus> {
        let _acting = acting_as::<P>(Role::Gc);
        let ds = self.datastore().clone();
        (self.check_shutdown()).inspect_err(|_| self.decide(Decision::GcShuttingDown))?;
        let taken = match ds.bug(SeededBug::LockForgetsOtherProcesses) {
            true => ds.locks.try_exclusive_forgetting_others(self.id()),
            false => ds.locks.try_exclusive(self.id()),
        };
        self.decide(match taken {
            Ok(()) => Decision::GcStarted,
            Err(Refused::OtherGc) => Decision::GcOtherGc,
            Err(Refused::OtherWriter) => Decision::GcOtherWriter,
        });
        taken.map_err(StoreError::from)?;
        let phase1_start = ds.clock.now();
        let oldest_writer = self.oldest_writer().unwrap_or(phase1_start);
        let mut min_atime = phase1_start - ds.config.grace_secs;
        if oldest_writer < min_atime && !ds.bug(SeededBug::CutoffIgnoresOldestWriter) {
            min_atime = oldest_writer - ds.config.writer_margin_secs;
            self.decide(Decision::CutoffOldestWriter);
        } else {
            self.decide(Decision::CutoffGrace);
        }
        ds.emit(Fact::GcStarted {
            process: self.id(),
            phase1_start,
            oldest_writer,
            min_atime,
            thread: P::thread_id(),
        });
        let cutoff = Cutoff {
            min_atime,
            oldest_writer,
        };
        let mut status = GcStatus {
            min_atime,
            ..GcStatus::default()
        };
        let result = self.run_phases(&ds, cutoff, &mut status);
        self.decide(match &result {
            Ok(()) => Decision::GcCompleted,
            Err(err) if matches!(StoreError::of(err), Some(StoreError::ShuttingDown(_))) => {
                Decision::GcAbortedByReload
            }
            Err(_) => Decision::GcFailed,
        });
        ds.emit(Fact::GcFinished {
            process: self.id(),
            completed: result.is_ok(),
        });
        ds.locks.release_exclusive(self.id());
        result.map(|()| status)
    }

    /// Reports a decision of this GC that is not about one chunk.
    fn decide(&self, decision: Decision) {
        self.datastore().decide(decision, self.id(), None);
    }

    fn run_phases(&self, ds: &Datastore<P>, cutoff: Cutoff, status: &mut GcStatus) -> Result<()> {
        self.mark(ds, status).context("GC phase 1 (mark)")?;
        match ds.config.backend {
            Backend::Filesystem => self.sweep_files(ds, cutoff, status),
            Backend::S3 => {
                let listed = self
                    .sweep_bucket(ds, cutoff, status)
                    .context("GC phase 2 (bucket sweep)")?;
                self.sweep_markers(ds, cutoff, &listed, status)
                    .context("GC phase 3 (marker sweep)")
            }
        }
    }

    /// Phase 1: touch every chunk of every visible index.
    fn mark(&self, ds: &Datastore<P>, status: &mut GcStatus) -> Result<()> {
        for group in ds.storage.indexes.groups()? {
            self.mark_group(ds, &group, status)?;
        }
        Ok(())
    }

    /// Marks one group's snapshots; lists the group again when its newest snapshot vanished
    /// while being read (a backup may have replaced it by a newer one).
    fn mark_group(&self, ds: &Datastore<P>, group: &str, status: &mut GcStatus) -> Result<()> {
        let mut done = BTreeSet::new();
        let mut times = ds.storage.indexes.snapshots(group)?;
        loop {
            let mut newest_vanished = false;
            for (i, time) in times.iter().enumerate() {
                if done.contains(time) {
                    continue;
                }
                self.check_shutdown()?;
                let snapshot = SnapshotId {
                    group: group.to_string(),
                    time: *time,
                };
                let present = self.mark_snapshot(ds, &snapshot, status)?;
                if !present && i + 1 == times.len() {
                    newest_vanished = true;
                }
                done.insert(*time);
            }
            if !newest_vanished {
                return Ok(());
            }
            self.decide(Decision::MarkGroupRelisted);
            times = ds.storage.indexes.snapshots(group)?;
        }
    }

    /// Marks one snapshot's chunks; `Ok(false)` when it vanished.
    fn mark_snapshot(
        &self,
        ds: &Datastore<P>,
        snapshot: &SnapshotId,
        status: &mut GcStatus,
    ) -> Result<bool> {
        let Some(files) = ds.storage.indexes.files(snapshot)? else {
            self.decide(Decision::MarkSnapshotVanished);
            return Ok(false);
        };
        let is_index = match ds.bug(SeededBug::GcReadsTempIndex) {
            true => seeded::ends_in_didx,
            false => |file: &str| file.ends_with(PUBLISHED),
        };
        for file in files.iter().filter(|file| is_index(file)) {
            let path = format!("{snapshot}/{file}");
            let Some(bytes) = ds.storage.indexes.read_file(snapshot, file)? else {
                match file.ends_with(PUBLISHED) {
                    // Pruned since the listing.
                    true => {
                        self.decide(Decision::MarkIndexVanished);
                        return Ok(false);
                    }
                    // A temporary index (only the seeded bug reads them) published or
                    // removed since the listing.
                    false => continue,
                }
            };
            status.index_files += 1;
            for digest in index::decode(&path, &bytes)? {
                self.mark_chunk(ds, &digest, status)?;
            }
        }
        self.decide(Decision::MarkSnapshot);
        Ok(true)
    }

    fn mark_chunk(&self, ds: &Datastore<P>, digest: &Digest, status: &mut GcStatus) -> Result<()> {
        let store = &self.chunk_store;
        let guard = store.lock(digest);
        status.marked_chunks += 1;
        if store.touch(&guard, digest)? {
            store.decide(Decision::MarkTouched, digest);
            return Ok(());
        }
        // Not cached (S3): leave a marker so the sweep sees this chunk's mark, but only for
        // an object that exists: a marker claims the object is there.
        let in_bucket = ds.config.backend == Backend::S3 && self.object_exists(ds, digest)?;
        if in_bucket {
            store.decide(Decision::MarkMarkerWritten, digest);
            store.write(&guard, digest, &[])?;
        } else {
            store.decide(Decision::MarkMissing, digest);
            Self::missing(status, digest);
        }
        Ok(())
    }

    /// Looks `digest`'s object up in the bucket.
    fn object_exists(&self, ds: &Datastore<P>, digest: &Digest) -> Result<bool> {
        ds.reading_object(self.id(), digest);
        (ds.storage.bucket.contains(digest))
            .with_context(|| format!("looking up chunk {digest} in the bucket"))
    }

    fn missing(status: &mut GcStatus, digest: &Digest) {
        status.missing_chunks += 1;
        status.missing.insert(*digest);
    }

    fn count(status: &mut GcStatus, verdict: &Verdict, size: u64) {
        let (chunks, bytes) = match verdict {
            Verdict::Remove => (&mut status.removed_chunks, &mut status.removed_bytes),
            Verdict::Pending => (&mut status.pending_chunks, &mut status.pending_bytes),
            Verdict::InUse => (&mut status.in_use_chunks, &mut status.in_use_bytes),
        };
        *chunks += 1;
        *bytes += size;
    }

    /// Phase 2, filesystem backend.
    fn sweep_files(&self, ds: &Datastore<P>, cutoff: Cutoff, status: &mut GcStatus) -> Result<()> {
        let listing = ds
            .storage
            .chunks
            .list()
            .context("listing the chunk store")?;
        status.junk_entries = listing.junk.len() as u64;
        for digest in listing.digests {
            self.check_shutdown()?;
            let stat_outside = ds.bug(SeededBug::SweepStatOutsideMutex);
            let early: Option<ChunkStat> = if stat_outside {
                self.chunk_store.stat_without_mutex(&digest)?
            } else {
                None
            };
            let guard = self.chunk_store.lock(&digest);
            let stat = if stat_outside {
                early
            } else {
                self.chunk_store.stat(&guard, &digest)?
            };
            let Some(stat) = stat else {
                self.chunk_store.decide(Decision::SweepFileGone, &digest);
                continue;
            };
            let verdict = cutoff.judge(stat.atime);
            self.chunk_store.decide(
                match verdict {
                    Verdict::Remove => Decision::SweepFileRemoved,
                    Verdict::Pending => Decision::SweepFilePending,
                    Verdict::InUse => Decision::SweepFileInUse,
                },
                &digest,
            );
            if let Verdict::Remove = verdict {
                // SAFETY: P1 `guard` holds `digest`'s shard (the only shard with a single
                // mutex) across the stat above and this call, and every insert or touch of
                // `digest` takes that same shard; P2 phase 1 touched every chunk of every
                // visible index, so this one is unreferenced; P3 the cutoff is at most the
                // oldest writer's start minus the margin, and every chunk a writer of this
                // process uses is touched or written after its start; P4 the exclusive
                // process lock is held, so no other process has a writer.
                unsafe { self.chunk_store.remove_chunk(&guard, &digest) }?;
            }
            Self::count(status, &verdict, stat.size);
        }
        Ok(())
    }

    /// Phase 2, S3 backend: sweep the bucket; returns the objects it listed.
    fn sweep_bucket(
        &self,
        ds: &Datastore<P>,
        cutoff: Cutoff,
        status: &mut GcStatus,
    ) -> Result<BTreeSet<Digest>> {
        ds.emit(Fact::GcListingBucket { process: self.id() });
        let objects = ds.storage.bucket.list().context("listing the bucket")?;
        let listed: BTreeSet<Digest> = objects.iter().copied().collect();
        let mut queue: Vec<ChunkLockGuard<'_, P>> = Vec::new();
        let store = &self.chunk_store;
        for digest in objects {
            if let Err(err) = self.check_shutdown() {
                self.delete_objects(ds, &mut queue, Decision::DeleteOnAbort)?;
                return Err(err.into());
            }
            if status.missing.contains(&digest) && !ds.bug(SeededBug::SweepJudgesMissing) {
                // Phase 1 found it referenced with neither a local file nor an object, so no
                // marker carries its mark. An upload has put it back since (its cache write
                // may have failed, leaving no local file): it is no garbage.
                store.decide(Decision::SweepObjectPutBack, &digest);
                continue;
            }
            let Some(lock) = ds.try_lock_chunk(digest) else {
                store.decide(Decision::SweepObjectBusy, &digest);
                status.skipped_busy += 1;
                continue;
            };
            let guard = store.lock(&digest);
            let stat = store.stat(&guard, &digest)?;
            // An object with no local file was neither marked nor cached: garbage.
            let atime = stat.map_or(i64::MIN, |s| s.atime);
            let verdict = cutoff.judge(atime);
            store.decide(
                match (&verdict, stat) {
                    (Verdict::Remove, None) => Decision::SweepObjectUnmarked,
                    (Verdict::Remove, Some(_)) => Decision::SweepObjectOld,
                    (Verdict::Pending, _) => Decision::SweepObjectPending,
                    (Verdict::InUse, _) => Decision::SweepObjectInUse,
                },
                &digest,
            );
            if let Verdict::Remove = verdict {
                self.remove_cached(&guard, &digest)?;
                queue.push(lock);
            }
            Self::count(status, &verdict, stat.map_or(0, |s| s.size));
            drop(guard);
            if queue.len() >= ds.config.delete_batch {
                self.delete_objects(ds, &mut queue, Decision::DeleteFullBatch)?;
            }
        }
        self.delete_objects(ds, &mut queue, Decision::DeleteLastBatch)?;
        Ok(listed)
    }

    /// Removes a chunk from this process's cache during a sweep.
    fn remove_cached(&self, guard: &ChunkStoreGuard<'_, P>, digest: &Digest) -> Result<()> {
        let cache = self.cache().context("S3 backend without a cache")?;
        // SAFETY: P1 `guard` holds `digest`'s shard across the stat that judged this chunk
        // and this call (both callers take it with `lock(&digest)`; `remove` re-checks it in
        // debug builds), and every insert, touch or eviction marker of `digest` takes it;
        // P2 phase 1 touched (or left a marker for) every chunk of every visible index, so
        // this one is unreferenced; P3 the cutoff is at most the oldest writer's start minus
        // the margin, and every chunk a writer of this process uses is touched or written
        // after its start under the per-chunk lock we hold; P4 the exclusive process lock is
        // held, so no other process has a writer. (A cross-shard eviction of `digest` still
        // pending re-stats it under this shard later and leaves a removed chunk alone.)
        unsafe { cache.remove(digest, guard) }
    }

    /// Deletes queued objects in one batch (`why`: which of the batches it is), then
    /// releases their per-chunk locks.
    fn delete_objects(
        &self,
        ds: &Datastore<P>,
        queue: &mut Vec<ChunkLockGuard<'_, P>>,
        why: Decision,
    ) -> Result<()> {
        if queue.is_empty() {
            return Ok(());
        }
        self.decide(why);
        let digests: Vec<Digest> = queue.iter().map(|lock| lock.digest()).collect();
        ds.emit(Event::ObjectsDeleting {
            process: self.id(),
            digests: &digests,
            thread: P::thread_id(),
        });
        let deleted = ds.storage.bucket.delete_batch(&digests);
        if deleted.is_err() {
            self.decide(Decision::DeleteFailed);
        }
        if !ds.bug(SeededBug::FailedDeleteAsDone) {
            deleted
                .with_context(|| format!("deleting {} objects from the bucket", digests.len()))?;
        }
        queue.clear();
        Ok(())
    }

    /// Phase 3, S3 backend: remove leftover local markers older than the cutoff, and check
    /// the kept ones the bucket listing (`listed`) lacked.
    fn sweep_markers(
        &self,
        ds: &Datastore<P>,
        cutoff: Cutoff,
        listed: &BTreeSet<Digest>,
        status: &mut GcStatus,
    ) -> Result<()> {
        let listing = ds
            .storage
            .chunks
            .list()
            .context("listing the local cache")?;
        status.junk_entries = listing.junk.len() as u64;
        let store = &self.chunk_store;
        for digest in listing.digests {
            self.check_shutdown()?;
            let Some(_lock) = ds.try_lock_chunk(digest) else {
                store.decide(Decision::SweepMarkerBusy, &digest);
                status.skipped_busy += 1;
                continue;
            };
            let guard = store.lock(&digest);
            let Some(stat) = store.stat(&guard, &digest)? else {
                store.decide(Decision::SweepMarkerGone, &digest);
                continue;
            };
            if let Verdict::Remove = cutoff.judge(stat.atime) {
                store.decide(Decision::SweepMarkerRemoved, &digest);
                self.remove_cached(&guard, &digest)?;
                status.removed_markers += 1;
            } else if listed.contains(&digest) {
                store.decide(Decision::SweepMarkerListed, &digest);
            } else if !ds.bug(SeededBug::GcTrustsMarker) {
                store.decide(Decision::SweepMarkerUnlisted, &digest);
                self.recover_lost(ds, &guard, &digest, status)?;
            }
        }
        Ok(())
    }

    /// A kept local file whose object the listing lacked, under its per-chunk lock and
    /// shard: the object may have been put after the listing began (then all is well), or
    /// lost behind the store's back. A lost one is put back from an intact cached copy;
    /// without one it is reported missing and the marker dropped, so that it no longer
    /// claims an object and the next upload of the chunk puts it back.
    fn recover_lost(
        &self,
        ds: &Datastore<P>,
        guard: &ChunkStoreGuard<'_, P>,
        digest: &Digest,
        status: &mut GcStatus,
    ) -> Result<()> {
        let store = &self.chunk_store;
        let exists = (self.object_exists(ds, digest))
            .inspect_err(|_| store.decide(Decision::RecoverHeadFailed, digest))?;
        if exists {
            store.decide(Decision::RecoverObjectPresent, digest);
            return Ok(());
        }
        let cached = store.read(guard, digest)?;
        if let Some(data) = cached.filter(|data| digest.verify(data).is_ok()) {
            store.decide(Decision::RecoverPutBack, digest);
            ds.emit(Fact::ObjectPutting {
                process: self.id(),
                digest: *digest,
                thread: P::thread_id(),
            });
            ds.storage
                .bucket
                .put_if_absent(digest, &data)
                .with_context(|| format!("putting lost chunk {digest} back from the cache"))?;
            status.restored_objects += 1;
            return Ok(());
        }
        store.decide(Decision::RecoverForgotten, digest);
        if let Some(cache) = self.cache() {
            cache.forget(guard, digest);
        }
        store.forget_lost(guard, digest)?;
        Self::missing(status, digest);
        Ok(())
    }
}

/// The seeded bugs of garbage collection that need code of their own.
mod seeded {
    /// [`crate::SeededBug::GcReadsTempIndex`]: phase 1 takes every file ending in `didx`
    /// for an index, so the `.tmp_didx` a crashed writer left counts as published.
    pub(super) fn ends_in_didx(file: &str) -> bool {
        file.ends_with("didx")
    }
}
