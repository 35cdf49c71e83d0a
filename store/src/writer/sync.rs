//! A sync (pull) job: a snapshot of another datastore copied into this one, chunk by chunk.
//!
//! The job is a backup session of the target datastore, so GC sees it as a writer (its
//! start bounds the cutoff) and it references only chunks it made known: a chunk the
//! target already has is touched and re-used, any other is read from the source and
//! inserted, then the index is published. Upstream's pull tests for a chunk with a
//! conditional touch for the same reason: the touch is the check.

use super::BackupWriter;
use crate::decision::Decision;
use crate::digest::Digest;
use crate::error::StoreError;
use crate::ids::SnapshotId;
use crate::index;
use crate::platform::Platform;
use crate::process::Process;
use crate::SeededBug;
use anyhow::{anyhow, Result};
use std::sync::Arc;

/// What a pull copied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PullStats {
    /// Chunks the target already had (touched and re-used).
    pub present: usize,
    /// Chunks read from the source and inserted.
    pub fetched: usize,
    /// Indexes published.
    pub indexes: usize,
}

impl<P: Platform> Process<P> {
    /// Pulls `snapshot` of `source` (a process of another datastore) into this datastore,
    /// as a snapshot of the same group at backup time `time`, index by index.
    ///
    /// The source snapshot is read without a lock on it (the source is another host's
    /// store): a source changing under the pull fails it, and nothing is published for it.
    ///
    /// # Errors
    /// Those of [`Process::start_backup`] and of a session's steps. Any failure of the
    /// source (no such snapshot or index, a corrupt index, a missing or corrupt chunk) is a
    /// message naming the sync source, not one of this datastore's [`StoreError`]s. The
    /// session is aborted on any error.
    pub fn pull_snapshot<Q: Platform>(
        self: &Arc<Self>,
        source: &Process<Q>,
        snapshot: &SnapshotId,
        time: i64,
    ) -> Result<PullStats> {
        let indexes = &source.datastore().storage().indexes;
        let names = (indexes.indexes(snapshot))
            .map_err(|err| source_error(snapshot, err))?
            .ok_or_else(|| source_error(snapshot, StoreError::NotFound(snapshot.to_string())))?;
        let mut writer = self.start_backup(&snapshot.group, time)?;
        let mut stats = PullStats::default();
        for name in names {
            let path = format!("{snapshot}/{name}.didx");
            let bytes = (indexes.read(snapshot, &name))
                .map_err(|err| source_error(snapshot, err))?
                .ok_or_else(|| source_error(snapshot, StoreError::NotFound(path.clone())))?;
            let digests =
                index::decode(&path, &bytes).map_err(|err| source_error(snapshot, err))?;
            writer.create_index(&name)?;
            for digest in digests {
                match writer.pull_chunk(source, digest)? {
                    true => stats.present += 1,
                    false => stats.fetched += 1,
                }
                writer.append(&name, digest)?;
            }
            writer.close_index(&name)?;
            stats.indexes += 1;
        }
        writer.finish()?;
        Ok(stats)
    }
}

impl<P: Platform> BackupWriter<P> {
    /// Makes `digest` known to this session: touched and re-used when the target has it,
    /// else read from `source` and uploaded. Whether the target had it.
    fn pull_chunk<Q: Platform>(&mut self, source: &Process<Q>, digest: Digest) -> Result<bool> {
        let present = match self
            .process
            .datastore()
            .bug(SeededBug::PullChecksWithoutTouch)
        {
            true => self.present_without_touch(digest)?,
            false => self.reuse_chunk(digest)?,
        };
        let store = &self.process.chunk_store;
        if present {
            store.decide(Decision::PullPresent, &digest);
            return Ok(true);
        }
        store.decide(Decision::PullFetched, &digest);
        let data = (source.read_chunk(&digest))
            .map_err(|err| anyhow!("sync source: reading chunk {digest}: {err:#}"))?;
        self.upload(digest, &data)?;
        Ok(false)
    }
}

/// A failure of the source, as a message: the source's own errors (a missing snapshot, a
/// corrupt chunk) are not this datastore's refusals, and a caller branching on this
/// datastore's [`StoreError`]s must not take them for one.
fn source_error(snapshot: &SnapshotId, err: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("sync source, snapshot {snapshot}: {err:#}")
}

/// The seeded bug of the sync job.
mod seeded {
    use super::BackupWriter;
    use crate::datastore::Backend;
    use crate::digest::Digest;
    use crate::observer::ChunkUse;
    use crate::platform::Platform;
    use anyhow::Result;

    impl<P: Platform> BackupWriter<P> {
        /// [`crate::SeededBug::PullChecksWithoutTouch`]: the chunk's local file is statted
        /// under the chunk store mutex and, when there, taken as re-used without a touch.
        ///
        /// Everything else is as [`BackupWriter::reuse_chunk`] does it: the per-chunk lock
        /// and the object's HEAD on S3, the use reported and the chunk adopted under the
        /// mutex.
        pub(super) fn present_without_touch(&mut self, digest: Digest) -> Result<bool> {
            let process = self.process.clone();
            let ds = process.datastore();
            let _lock = (ds.config.backend == Backend::S3).then(|| ds.lock_chunk(digest));
            let guard = process.chunk_store.lock(&digest);
            let s3 = ds.config.backend == Backend::S3;
            let present = process.chunk_store.stat(&guard, &digest)?.is_some()
                && (!s3 || self.object_behind(&digest)?);
            if present {
                self.emit_used(digest, ChunkUse::Reused);
                self.session.insert(digest);
            }
            Ok(present)
        }
    }
}
