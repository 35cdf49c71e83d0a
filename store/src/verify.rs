//! Verify: re-hash a chunk and rename it aside when corrupt.

use crate::bugs::SeededBug;
use crate::decision::Decision;
use crate::digest::Digest;
use crate::error::StoreError;
use crate::platform::{acting_as, Platform, Role};
use crate::process::Process;
use anyhow::Result;

/// What [`Process::verify_chunk`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyOutcome {
    /// The local content matches the digest.
    Good,
    /// Only a marker is local (S3 cache): nothing to verify locally.
    NotCached,
    /// The content was corrupt and was renamed to this name (`<digest>.N.bad`).
    Quarantined(String),
    /// S3: the cached copy was corrupt and was emptied to a marker (the bucket object is
    /// the chunk's home, and a read fetches it again).
    Emptied,
}

impl<P: Platform> Process<P> {
    /// Verifies a chunk's local content, under the per-chunk lock and the chunk store mutex.
    ///
    /// Filesystem: a corrupt chunk is renamed to `<digest>.N.bad`, so a later upload of a
    /// good copy writes it again. S3: the local file is only a cached copy of the bucket
    /// object, which keeps the chunk's GC mark through the file's atime; a corrupt copy is
    /// emptied in place to a marker, keeping that atime, in one step that either happens
    /// or leaves the file as it was. Either way the chunk first leaves the LRU.
    ///
    /// # Errors
    /// [`StoreError::MissingChunk`] when there is no local file; I/O errors.
    pub fn verify_chunk(&self, digest: &Digest) -> Result<VerifyOutcome> {
        let _acting = acting_as::<P>(Role::Verify);
        let ds = self.datastore();
        let store = &self.chunk_store;
        let _lock = ds.lock_chunk(*digest);
        let guard = store.lock(digest);
        let Some(data) = store.read(&guard, digest)? else {
            store.decide(Decision::VerifyMissing, digest);
            return Err(StoreError::MissingChunk(*digest).into());
        };
        if data.is_empty() && self.cache.is_some() {
            store.decide(Decision::VerifyNotCached, digest);
            return Ok(VerifyOutcome::NotCached);
        }
        if digest.verify(&data).is_ok() {
            store.decide(Decision::VerifyGood, digest);
            return Ok(VerifyOutcome::Good);
        }
        // Out of the LRU before the file changes: with a sharded chunk store mutex, a thread
        // holding another shard may take the LRU mutex in between, and must not find an
        // entry without content (found by the generated phase).
        if let Some(cache) = &self.cache {
            cache.forget(&guard, digest);
            if ds.bug(SeededBug::VerifyUnmarksObject) {
                return self.quarantine_then_mark(&guard, digest);
            }
            // A marker in place of the rotten copy: were it renamed aside first and the
            // marker written after, a failed write would leave the good object without its
            // mark, and GC would delete it under an index (found by the generated phase
            // under faults).
            return match store.truncate(&guard, digest)? {
                true => {
                    store.decide(Decision::VerifyEmptied, digest);
                    Ok(VerifyOutcome::Emptied)
                }
                false => self.vanished(digest),
            };
        }
        match store.quarantine(&guard, digest)? {
            Some(name) => {
                store.decide(Decision::VerifyQuarantined, digest);
                Ok(VerifyOutcome::Quarantined(name))
            }
            None => self.vanished(digest),
        }
    }

    /// The rotten file verify read was gone when it acted on it: another process removed
    /// it (its chunk store mutex does not exclude this one's).
    fn vanished(&self, digest: &Digest) -> Result<VerifyOutcome> {
        self.chunk_store.decide(Decision::VerifyVanished, digest);
        Err(StoreError::MissingChunk(*digest).into())
    }
}

/// The seeded bugs of verify that need code of their own.
mod seeded {
    use super::VerifyOutcome;
    use crate::chunk_store::ChunkStoreGuard;
    use crate::digest::Digest;
    use crate::error::StoreError;
    use crate::platform::Platform;
    use crate::process::Process;
    use anyhow::Result;

    impl<P: Platform> Process<P> {
        /// [`crate::SeededBug::VerifyUnmarksObject`]: S3 verify renames the rotten cached
        /// copy aside, then writes a marker with its atime in its place; when that write
        /// fails, the good bucket object is left without its GC mark.
        pub(super) fn quarantine_then_mark(
            &self,
            guard: &ChunkStoreGuard<'_, P>,
            digest: &Digest,
        ) -> Result<VerifyOutcome> {
            let stat_atime = self.chunk_store.stat(guard, digest)?.map(|st| st.atime);
            let name = self
                .chunk_store
                .quarantine(guard, digest)?
                .ok_or(StoreError::MissingChunk(*digest))?;
            if let Some(atime) = stat_atime {
                self.chunk_store
                    .write_with_atime(guard, digest, &[], atime)?;
            }
            Ok(VerifyOutcome::Quarantined(name))
        }
    }
}
