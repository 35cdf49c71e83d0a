//! Restore reads: a chunk's content, checked against its digest.

use crate::digest::Digest;
use crate::error::StoreError;
use crate::platform::Platform;
use crate::process::Process;
use anyhow::Result;

impl<P: Platform> Process<P> {
    /// Reads a chunk as a restore does: on S3 through this process's cache
    /// ([`crate::LocalDatastoreLruCache::access`]), on the filesystem from its file under
    /// the chunk store mutex. The content is checked against the digest.
    ///
    /// # Errors
    /// [`StoreError::MissingChunk`] when there is no such chunk;
    /// [`StoreError::DigestMismatch`] when its content is corrupt; I/O errors.
    pub fn read_chunk(&self, digest: &Digest) -> Result<Vec<u8>> {
        let data = match self.cache() {
            Some(cache) => cache.access(digest)?,
            None => {
                let guard = self.chunk_store().lock(digest);
                self.chunk_store()
                    .read(&guard, digest)?
                    .ok_or(StoreError::MissingChunk(*digest))?
            }
        };
        digest.verify(&data)?;
        Ok(data)
    }
}
