//! Phase 2: sweep the chunk files (filesystem) or the bucket (S3) against the cutoff.

use super::{Cutoff, GcStatus, Verdict};
use crate::bugs::SeededBug;
use crate::chunk_store::ChunkStoreGuard;
use crate::datastore::{ChunkLockGuard, Datastore};
use crate::decision::Decision;
use crate::digest::Digest;
use crate::observer::{Event, Fact};
use crate::platform::Platform;
use crate::process::Process;
use crate::storage::ChunkStat;
use anyhow::{Context, Result};
use std::collections::BTreeSet;

impl<P: Platform> Process<P> {
    /// Phase 2, filesystem backend.
    pub(super) fn sweep_files(
        &self,
        ds: &Datastore<P>,
        cutoff: Cutoff,
        status: &mut GcStatus,
    ) -> Result<()> {
        let digests = Self::list_local(ds, "the chunk store", status)?;
        for digest in digests {
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
    pub(super) fn sweep_bucket(
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
    pub(super) fn remove_cached(
        &self,
        guard: &ChunkStoreGuard<'_, P>,
        digest: &Digest,
    ) -> Result<()> {
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
    pub(super) fn delete_objects(
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
}
