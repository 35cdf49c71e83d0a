//! Phase 3 (S3): sweep leftover local markers, and check kept files whose object the
//! bucket listing lacked.

use super::{Cutoff, GcStatus, Verdict};
use crate::bugs::SeededBug;
use crate::chunk_store::ChunkStoreGuard;
use crate::datastore::Datastore;
use crate::decision::Decision;
use crate::digest::Digest;
use crate::observer::Fact;
use crate::platform::Platform;
use crate::process::Process;
use anyhow::{Context, Result};
use std::collections::BTreeSet;

impl<P: Platform> Process<P> {
    /// Phase 3, S3 backend: remove leftover local markers older than the cutoff, and check
    /// the kept ones the bucket listing (`listed`) lacked.
    pub(super) fn sweep_markers(
        &self,
        ds: &Datastore<P>,
        cutoff: Cutoff,
        listed: &BTreeSet<Digest>,
        status: &mut GcStatus,
    ) -> Result<()> {
        let digests = Self::list_local(ds, "the local cache", status)?;
        let store = &self.chunk_store;
        for digest in digests {
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
    pub(super) fn recover_lost(
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
