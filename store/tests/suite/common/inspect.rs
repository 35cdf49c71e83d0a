//! Reading a test store's storage back, the same way for the model and for real files:
//! stats and atimes, listings, what the backend stores, index contents, and the assertion
//! that the backend stores exactly a set of chunks.

use super::case::Kind;
use super::env::Env;
use std::collections::BTreeSet;
use std::path::PathBuf;
use store::storage::{ChunkStat, Listing};
use store::{Backend, Digest, Platform, SnapshotId};

impl<P: Platform> Env<P> {
    /// The real path of a local chunk file (disk storage only).
    pub fn chunk_path(&self, digest: &Digest) -> PathBuf {
        self.root().join(digest.chunk_key())
    }

    /// The real path of a bucket object (disk storage only).
    pub fn object_path(&self, digest: &Digest) -> PathBuf {
        self.bucket_root().join(digest.chunk_key())
    }

    /// Size and atime of a local chunk file.
    pub fn stat(&self, digest: &Digest) -> Option<ChunkStat> {
        self.storage.chunks.stat(digest).expect("stat of a chunk")
    }

    pub fn atime(&self, digest: &Digest) -> i64 {
        self.stat(digest)
            .unwrap_or_else(|| panic!("{}: chunk {digest:?} has no local file", self.case))
            .atime
    }

    /// The local chunk directory's listing.
    pub fn listing(&self) -> Listing {
        self.storage.chunks.list().expect("listing the chunk dir")
    }

    pub fn local_digests(&self) -> BTreeSet<Digest> {
        self.listing().digests.into_iter().collect()
    }

    pub fn bucket_objects(&self) -> BTreeSet<Digest> {
        self.storage
            .bucket
            .list()
            .expect("listing the bucket")
            .into_iter()
            .collect()
    }

    /// Where the backend keeps its chunks: the local files (filesystem) or the bucket (S3).
    pub fn stored(&self) -> BTreeSet<Digest> {
        match self.case.backend {
            Backend::Filesystem => self.local_digests(),
            Backend::S3 => self.bucket_objects(),
        }
    }

    /// The chunk's content as the backend serves it: the local file (filesystem) or the
    /// bucket object (S3); `None` when missing.
    pub fn content(&self, digest: &Digest) -> Option<Vec<u8>> {
        match self.case.backend {
            Backend::Filesystem => self.storage.chunks.read(digest).expect("reading a chunk"),
            Backend::S3 => self.storage.bucket.get(digest).expect("getting an object"),
        }
    }

    /// Asserts that the backend stores exactly `expected` (and, on S3, that the local cache
    /// has no file for a chunk missing from the bucket).
    pub fn assert_stored(&self, expected: &[Digest], what: &str) {
        let expected: BTreeSet<Digest> = expected.iter().copied().collect();
        assert_eq!(
            self.stored(),
            expected,
            "{}: stored chunks {what}",
            self.case
        );
        if self.case.is_s3() {
            let local = self.local_digests();
            assert!(
                local.is_subset(&expected),
                "{}: local cache files {local:?} not all in the bucket {expected:?} ({what})",
                self.case
            );
        }
        if self.case.kind == Kind::Disk {
            for d in &expected {
                let path = match self.case.backend {
                    Backend::Filesystem => self.chunk_path(d),
                    Backend::S3 => self.object_path(d),
                };
                assert!(
                    path.is_file(),
                    "{}: {} should exist ({what})",
                    self.case,
                    path.display()
                );
            }
        }
    }

    /// The digests of a published index.
    pub fn read_index(&self, snapshot: &SnapshotId, name: &str) -> Vec<Digest> {
        let bytes = self
            .storage
            .indexes
            .read(snapshot, name)
            .expect("reading an index")
            .unwrap_or_else(|| panic!("{}: index {snapshot}/{name} is missing", self.case));
        store::index::decode(name, &bytes).expect("decoding an index")
    }

    /// Whether a snapshot exists.
    pub fn snapshot_exists(&self, snapshot: &SnapshotId) -> bool {
        self.storage
            .indexes
            .indexes(snapshot)
            .expect("listing a snapshot")
            .is_some()
    }
}
