//! Restore reads: a chunk's content, checked against its digest.

use crate::decision::Decision;
use crate::digest::Digest;
use crate::error::StoreError;
use crate::platform::{acting_as, Platform, Role};
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
        let _acting = acting_as::<P>(Role::Reader);
        let data = match self.cache() {
            Some(cache) => cache.access(digest)?,
            None => return self.read_file(digest),
        };
        digest.verify(&data)?;
        Ok(data)
    }

    /// Filesystem: reads a chunk's file under the chunk store mutex, checked against the
    /// digest.
    fn read_file(&self, digest: &Digest) -> Result<Vec<u8>> {
        let store = self.chunk_store();
        let guard = store.lock(digest);
        let Some(data) = store.read(&guard, digest)? else {
            store.decide(Decision::FsReadMissing, digest);
            return Err(StoreError::MissingChunk(*digest).into());
        };
        let checked = digest.verify(&data);
        let decision = match checked {
            Ok(()) => Decision::FsReadIntact,
            Err(_) => Decision::FsReadCorrupt,
        };
        store.decide(decision, digest);
        checked?;
        Ok(data)
    }
}
