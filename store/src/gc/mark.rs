//! Phase 1: mark every chunk a visible index references (touch it, or leave a marker for
//! an object that exists on S3).

use super::{seeded, GcStatus};
use crate::bugs::SeededBug;
use crate::datastore::{Backend, Datastore};
use crate::decision::Decision;
use crate::digest::Digest;
use crate::ids::SnapshotId;
use crate::index;
use crate::platform::Platform;
use crate::process::Process;
use crate::storage::PUBLISHED;
use anyhow::Result;
use std::collections::BTreeSet;

impl<P: Platform> Process<P> {
    /// Phase 1: touch every chunk of every visible index.
    pub(super) fn mark(&self, ds: &Datastore<P>, status: &mut GcStatus) -> Result<()> {
        for group in ds.storage.indexes.groups()? {
            self.mark_group(ds, &group, status)?;
        }
        Ok(())
    }

    /// Marks one group's snapshots; lists the group again when its newest snapshot vanished
    /// while being read (a backup may have replaced it by a newer one).
    pub(super) fn mark_group(
        &self,
        ds: &Datastore<P>,
        group: &str,
        status: &mut GcStatus,
    ) -> Result<()> {
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
    pub(super) fn mark_snapshot(
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

    pub(super) fn mark_chunk(
        &self,
        ds: &Datastore<P>,
        digest: &Digest,
        status: &mut GcStatus,
    ) -> Result<()> {
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
}
