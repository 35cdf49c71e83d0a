//! A sync (pull) job: a snapshot of another datastore copied into this one, chunk by chunk.
//!
//! The job is a backup session of the target datastore, so GC sees it as a writer (its
//! start bounds the cutoff) and it references only chunks it made known: a chunk the
//! target already has is touched and re-used, any other is read from the source and
//! inserted, then the index is published. Upstream's pull tests for a chunk with a
//! conditional touch for the same reason: the touch is the check.

use super::BackupWriter;
use crate::digest::Digest;
use crate::error::StoreError;
use crate::ids::SnapshotId;
use crate::index;
use crate::platform::Platform;
use crate::process::Process;
use crate::SeededBug;
use anyhow::{Context, Result};
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
    /// # Errors
    /// Those of [`Process::start_backup`] and of a session's steps; [`StoreError::NotFound`]
    /// when the source has no such snapshot or index; the source's read errors (a missing
    /// or corrupt chunk); a corrupt source index. The session is aborted on any error.
    pub fn pull_snapshot<Q: Platform>(
        self: &Arc<Self>,
        source: &Process<Q>,
        snapshot: &SnapshotId,
        time: i64,
    ) -> Result<PullStats> {
        let indexes = &source.datastore().storage().indexes;
        let names = indexes
            .indexes(snapshot)?
            .ok_or_else(|| StoreError::NotFound(format!("source snapshot {snapshot}")))?;
        let mut writer = self.start_backup(&snapshot.group, time)?;
        let mut stats = PullStats::default();
        for name in names {
            let path = format!("{snapshot}/{name}.didx");
            let bytes = indexes
                .read(snapshot, &name)?
                .ok_or_else(|| StoreError::NotFound(format!("source index {path}")))?;
            let digests = index::decode(&path, &bytes)?;
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
        if !present {
            let data = source
                .read_chunk(&digest)
                .with_context(|| format!("reading chunk {digest} from the sync source"))?;
            self.upload(digest, &data)?;
        }
        Ok(present)
    }
}

/// The seeded bug of the sync job.
mod seeded {
    use super::BackupWriter;
    use crate::digest::Digest;
    use crate::observer::ChunkUse;
    use crate::platform::Platform;
    use anyhow::Result;

    impl<P: Platform> BackupWriter<P> {
        /// [`crate::SeededBug::PullChecksWithoutTouch`]: the chunk's local file is statted
        /// under the chunk store mutex and, when there, taken as re-used without a touch.
        pub(super) fn present_without_touch(&mut self, digest: Digest) -> Result<bool> {
            let process = self.process.clone();
            let guard = process.chunk_store.lock(&digest);
            let present = process.chunk_store.stat(&guard, &digest)?.is_some();
            drop(guard);
            if present {
                self.emit_used(digest, ChunkUse::Reused);
                self.session.insert(digest);
            }
            Ok(present)
        }
    }
}
