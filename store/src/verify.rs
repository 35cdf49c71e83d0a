//! Verify: re-hash a chunk and rename it aside when corrupt.

use crate::digest::Digest;
use crate::error::StoreError;
use crate::platform::Platform;
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
}

impl<P: Platform> Process<P> {
    /// Verifies a chunk's local content. Under the per-chunk lock and the chunk store
    /// mutex, a corrupt chunk is renamed to `<digest>.N.bad` and evicted from the LRU, so a
    /// later upload of a good copy writes it again. On S3 a marker with the chunk's atime
    /// takes its place: the bucket object is still good and keeps its GC mark.
    ///
    /// # Errors
    /// [`StoreError::MissingChunk`] when there is no local file; I/O errors.
    pub fn verify_chunk(&self, digest: &Digest) -> Result<VerifyOutcome> {
        let ds = self.datastore();
        let _lock = ds.lock_chunk(*digest);
        let guard = self.chunk_store.lock(digest);
        let data = self
            .chunk_store
            .read(&guard, digest)?
            .ok_or(StoreError::MissingChunk(*digest))?;
        if data.is_empty() && self.cache.is_some() {
            return Ok(VerifyOutcome::NotCached);
        }
        if digest.verify(&data).is_ok() {
            return Ok(VerifyOutcome::Good);
        }
        let stat_atime = self.chunk_store.stat(&guard, digest)?.map(|st| st.atime);
        // Out of the LRU before the file goes: with a sharded chunk store mutex, a thread
        // holding another shard may take the LRU mutex in between, and must not find an
        // entry without content (found by the generated phase).
        if let Some(cache) = &self.cache {
            cache.forget(&guard, digest);
        }
        let name = self
            .chunk_store
            .quarantine(&guard, digest)?
            .ok_or(StoreError::MissingChunk(*digest))?;
        if self.cache.is_some() {
            // The bucket object is still good: keep its GC mark with a marker.
            if let Some(atime) = stat_atime {
                self.chunk_store
                    .write_with_atime(&guard, digest, &[], atime)?;
            }
        }
        Ok(VerifyOutcome::Quarantined(name))
    }
}
