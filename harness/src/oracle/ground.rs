//! Ground truth read from storage through `inspect`, which takes no scheduling point.

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use store::{Backend, Digest, SnapshotId, Storage};

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

    /// Whether `digest` exists where chunks live (local content, or the bucket object, as
    /// [`Ground::object_exists`] counts it).
    #[inline]
    pub fn chunk_exists(&self, digest: &Digest, vouched: &BTreeSet<Digest>) -> bool {
        match self.backend {
            Backend::Filesystem => self.has_content(digest),
            Backend::S3 => self.object_exists(digest, vouched),
        }
    }

    /// Whether `digest`'s bucket object exists, as far as the store is answerable for it.
    /// An object lost behind the store's back (an injected fault) counts as there until the
    /// store acts as if it were, by re-using the chunk's local file for a writer (`vouched`,
    /// kept by the ghost), or until it puts the object again. Its loss is the bucket's
    /// doing; what the store does about it (GC reports it missing and drops its marker, an
    /// upload puts it back) is checked apart.
    ///
    /// A re-use is the one act judged: it happens under the per-chunk lock, under which no
    /// other thread's bucket operation on the chunk runs while a local file exists, so the
    /// store can know the object is there (a HEAD) when it re-uses the file. The store's
    /// writes of a local file are not: a cache write follows the upload's own put, and a
    /// GC's or eviction's marker follows a check or a put that a loss at another thread's
    /// bucket operation (a GC's HEAD, a read's fetch) may overtake, which no thread of the
    /// store could have seen (found by the generated phase under faults: an upload's cache
    /// write after a GC's HEAD lost the object it had just put).
    #[inline]
    pub fn object_exists(&self, digest: &Digest, vouched: &BTreeSet<Digest>) -> bool {
        let bucket = &self.storage.bucket;
        bucket.inspect(digest) || (bucket.inspect_lost(digest) && !vouched.contains(digest))
    }

    /// Whether `digest`'s local file holds content matching the digest.
    pub fn has_good_content(&self, digest: &Digest) -> bool {
        self.storage.chunks.inspect_intact(digest) == Some(true)
    }

    /// Whether any published index is on disk.
    pub fn any_index(&self) -> bool {
        let mut found = false;
        self.storage.indexes.inspect(&mut |_, _, _| {
            found = true;
            ControlFlow::Break(())
        });
        found
    }

    /// The first published index on disk that references `digest`, as `snapshot/name`.
    pub fn index_referencing(&self, digest: &Digest) -> Option<String> {
        let mut found = None;
        self.storage
            .indexes
            .inspect(&mut |snapshot, name, digests| {
                if digests.contains(digest) {
                    found = Some(format!("{snapshot}/{name}"));
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            });
        found
    }

    /// Index `name` of `snapshot` on disk, if it is there, as `judge` sees its digests
    /// (borrowed: this runs at every publication).
    pub fn with_index<R>(
        &self,
        snapshot: &SnapshotId,
        name: &str,
        judge: impl FnOnce(&[Digest]) -> R,
    ) -> Option<R> {
        let mut judge = Some(judge);
        let mut found = None;
        self.storage.indexes.inspect(&mut |s, n, digests| {
            if s == snapshot && n == name {
                found = judge.take().map(|judge| judge(digests));
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        });
        found
    }

    /// The name of some published index of `snapshot` still on disk.
    pub fn index_of(&self, snapshot: &SnapshotId) -> Option<String> {
        let mut found = None;
        self.storage.indexes.inspect(&mut |s, name, _| {
            if s == snapshot {
                found = Some(name.to_string());
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        });
        found
    }
}
