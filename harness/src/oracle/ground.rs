//! Ground truth read from storage through `inspect`, which takes no scheduling point.

use store::{Backend, Digest, Storage};

/// The storage a datastore runs over, as the oracle reads it.
pub struct Ground {
    /// The storage.
    pub storage: Storage,
    /// Where chunks live: local files, or bucket objects.
    pub backend: Backend,
    /// The digest of the empty chunk, whose full content is zero bytes.
    pub empty: Digest,
}

impl Ground {
    /// Whether `digest` has full content locally. A zero-length file is a marker, except
    /// for the empty chunk, whose full content is zero bytes.
    #[inline]
    pub fn has_content(&self, digest: &Digest) -> bool {
        self.storage
            .chunks
            .inspect(digest)
            .is_some_and(|st| st.size > 0 || *digest == self.empty)
    }

    /// Whether `digest` exists where chunks live (local content, or the bucket object).
    #[inline]
    pub fn chunk_exists(&self, digest: &Digest) -> bool {
        match self.backend {
            Backend::Filesystem => self.has_content(digest),
            Backend::S3 => self.storage.bucket.inspect(digest),
        }
    }
}
