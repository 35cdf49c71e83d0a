//! Changing a test store's storage behind the store's back, the same way for the model and
//! for real files: aged atimes, bit rot, junk names, planted indexes and failing writes.

use super::case::Kind;
use super::env::Env;
use std::fs;
use std::path::PathBuf;
use store::{Digest, Platform, SnapshotId};

impl<P: Platform> Env<P> {
    /// Sets a local chunk file's atime, bypassing the store.
    pub fn set_atime(&self, digest: &Digest, atime: i64) {
        assert!(
            self.storage
                .chunks
                .touch(digest, atime)
                .expect("setting an atime"),
            "{}: chunk {digest:?} to age has no local file",
            self.case
        );
    }

    /// Overwrites a local chunk file's content (bit rot), bypassing the store.
    pub fn corrupt(&self, digest: &Digest, data: &[u8]) {
        match self.case.kind {
            Kind::Model => self.model().chunks.corrupt(digest, data.to_vec()),
            Kind::Disk => fs::write(self.chunk_path(digest), data).expect("corrupting a chunk"),
        }
    }

    /// Puts a junk name into the chunk directory; returns the name the listing reports.
    pub fn add_junk(&self) -> String {
        match self.case.kind {
            Kind::Model => {
                self.model().chunks.add_junk("lost+found");
                "lost+found".to_string()
            }
            Kind::Disk => {
                let path = self.root().join(".chunks").join("notes.txt");
                fs::write(path, b"not a chunk").expect("writing a junk file");
                "notes.txt".to_string()
            }
        }
    }

    /// Whether the junk name put by [`Env::add_junk`] is still there.
    pub fn junk_exists(&self, name: &str) -> bool {
        let listed = self.listing().junk.iter().any(|j| j == name);
        match self.case.kind {
            Kind::Model => listed,
            Kind::Disk => listed && self.root().join(".chunks").join(name).is_file(),
        }
    }

    /// Plants a published index file with raw bytes, bypassing the store.
    pub fn plant_index(&self, snapshot: &SnapshotId, name: &str, bytes: &[u8]) {
        match self.case.kind {
            Kind::Model => self.model().indexes.put_raw(snapshot, name, bytes.to_vec()),
            Kind::Disk => {
                let dir = self.root().join(snapshot.path());
                fs::create_dir_all(&dir).expect("creating a snapshot directory");
                fs::write(dir.join(format!("{name}.didx")), bytes).expect("planting an index");
            }
        }
    }

    /// Makes writes of `digest` into the local chunk dir fail (model: the whole directory
    /// is read-only; disk: a file blocks the chunk's prefix directory).
    pub fn block_local_writes(&self, digest: &Digest, on: bool) {
        match self.case.kind {
            Kind::Model => self.model().chunks.set_read_only(on),
            Kind::Disk => {
                let blocker = self.root().join(".chunks").join(digest.prefix());
                toggle_blocker(blocker, on);
            }
        }
    }

    /// Makes bucket puts of `digest` fail (model: the bucket is read-only; disk: a file
    /// blocks the object's prefix directory).
    pub fn block_bucket_writes(&self, digest: &Digest, on: bool) {
        match self.case.kind {
            Kind::Model => self.model().bucket.set_read_only(on),
            Kind::Disk => {
                let blocker = self.bucket_root().join(".chunks").join(digest.prefix());
                toggle_blocker(blocker, on);
            }
        }
    }
}

fn toggle_blocker(blocker: PathBuf, on: bool) {
    if on {
        assert!(
            !blocker.exists(),
            "{} exists: pick data with a fresh prefix",
            blocker.display()
        );
        fs::write(&blocker, b"blocks the prefix directory").expect("writing a blocker file");
    } else {
        fs::remove_file(&blocker).expect("removing the blocker file");
    }
}
