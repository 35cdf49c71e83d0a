//! Storage behind traits: the local chunk directory, the bucket and the index files.
//!
//! Each trait has a real implementation on the file system (`fs_*`) and an in-memory
//! model (`model_*`). In the model every operation is one step taken under a platform
//! mutex, so a model checker can preempt between any two storage operations; the model's
//! state itself sits behind a plain std lock so an oracle can [`ChunkDir::inspect`] it
//! without adding a scheduling point.
//!
//! Times are passed in by the caller (`atime`), never read by the storage, so the store
//! decides what "now" is (system or logical clock) and reports the same value to observers.

use crate::digest::Digest;
use crate::ids::SnapshotId;
use anyhow::Result;
use std::ops::ControlFlow;

#[cfg(test)]
mod contract;
pub mod fault;
mod fs_bucket;
mod fs_chunk_dir;
mod fs_index_dir;
mod model_bucket;
mod model_cell;
mod model_chunk_dir;
mod model_index_dir;

pub use fault::{Errno, Fault, FaultSource, ProcessCrashed, Site, StorageFault};
pub use fs_bucket::FsBucket;
pub use fs_chunk_dir::FsChunkDir;
pub use fs_index_dir::FsIndexDir;
pub use model_bucket::ModelBucket;
pub use model_chunk_dir::ModelChunkDir;
pub use model_index_dir::ModelIndexDir;

/// What the chunk store needs to know of a local chunk file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkStat {
    /// File size in bytes (0 for an S3 cache marker).
    pub size: u64,
    /// Access time in seconds: the garbage collector's mark.
    pub atime: i64,
}

/// The entries of the chunk directory at one point in time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    /// Chunk files, sorted.
    pub digests: Vec<Digest>,
    /// Names that are neither chunks nor quarantined (`.bad`) chunks; never touched.
    pub junk: Vec<String>,
}

/// The local chunk directory, `.chunks/XXXX/<digest>`.
pub trait ChunkDir: Send + Sync {
    /// Size and atime of a chunk file, `None` when there is none.
    fn stat(&self, digest: &Digest) -> Result<Option<ChunkStat>>;
    /// Writes `data` (empty for a marker) to a temporary file in the chunk's directory and
    /// renames it into place (a new inode), with atime `atime`. On failure the old file,
    /// if any, is left as it was.
    fn write(&self, digest: &Digest, data: &[u8], atime: i64) -> Result<()>;
    /// Sets the atime of an existing chunk file; `Ok(false)` when there is none.
    fn touch(&self, digest: &Digest, atime: i64) -> Result<bool>;
    /// [`ChunkDir::write`] stamped with the time as the write happens, read from `now`
    /// inside the operation as a kernel stamps a new file: a stamp that lands after another
    /// is never older than it. Returns the atime left.
    fn write_now(&self, digest: &Digest, data: &[u8], now: &dyn Fn() -> i64) -> Result<i64> {
        let atime = now();
        self.write(digest, data, atime)?;
        Ok(atime)
    }
    /// [`ChunkDir::touch`] to the time as the touch happens, read from `now` inside the
    /// operation (as `utimensat` with `UTIME_NOW` stamps it); the atime set, `None` when there
    /// is no file.
    fn touch_now(&self, digest: &Digest, now: &dyn Fn() -> i64) -> Result<Option<i64>> {
        let atime = now();
        Ok(self.touch(digest, atime)?.then_some(atime))
    }
    /// The content of a chunk file, `None` when there is none.
    fn read(&self, digest: &Digest) -> Result<Option<Vec<u8>>>;
    /// Empties a chunk file in place (it becomes a marker), keeping its inode and its atime,
    /// whatever that is by then; returns the atime kept, `Ok(None)` when there is no file.
    fn truncate(&self, digest: &Digest) -> Result<Option<i64>>;
    /// Deletes a chunk file; `Ok(false)` when there was none.
    fn remove(&self, digest: &Digest) -> Result<bool>;
    /// Renames a chunk file to `<digest>.N.bad` with the first free `N` and returns the new
    /// name; `None` when there is no such chunk.
    fn quarantine(&self, digest: &Digest) -> Result<Option<String>>;
    /// Every chunk file (and any junk name) at this moment.
    fn list(&self) -> Result<Listing>;
    /// The state of a chunk file without a scheduling point: for oracles, not the store.
    fn inspect(&self, digest: &Digest) -> Option<ChunkStat>;
    /// Every chunk file with its state, without a scheduling point: for oracles.
    fn inspect_all(&self) -> Vec<(Digest, ChunkStat)>;
    /// A chunk file's content without a scheduling point (the model overrides this to peek
    /// at its state): for oracles. `None` when it is missing or unreadable.
    fn inspect_content(&self, digest: &Digest) -> Option<Vec<u8>> {
        self.read(digest).ok().flatten()
    }
    /// Whether a chunk file's content hashes to its digest, without a scheduling point: for
    /// oracles. `None` when it is missing or unreadable. The model remembers the answer
    /// until the file changes, since oracles ask at every write.
    fn inspect_intact(&self, digest: &Digest) -> Option<bool> {
        self.inspect_content(digest)
            .map(|data| Digest::of(&data) == *digest)
    }
}

/// The S3 stand-in: one object per chunk, keyed `.chunks/XXXX/<digest>`.
pub trait Bucket: Send + Sync {
    /// Stores the object unless it exists (a conditional put); `Ok(true)` when written.
    fn put_if_absent(&self, digest: &Digest, data: &[u8]) -> Result<bool>;
    /// The object's content, `None` when there is none.
    fn get(&self, digest: &Digest) -> Result<Option<Vec<u8>>>;
    /// Whether the object exists (a HEAD request: no content is transferred).
    fn contains(&self, digest: &Digest) -> Result<bool>;
    /// The objects present now, sorted; the answer may be stale by the time it is used.
    fn list(&self) -> Result<Vec<Digest>>;
    /// Deletes objects (missing ones are ignored).
    fn delete_batch(&self, digests: &[Digest]) -> Result<()>;
    /// Whether the object exists, without a scheduling point: for oracles, not the store.
    fn inspect(&self, digest: &Digest) -> bool;
    /// Every object, without a scheduling point: for oracles.
    fn inspect_all(&self) -> Vec<Digest>;
    /// Whether the object was lost behind the store's back (an injected fault) and not put
    /// again since, without a scheduling point: for oracles. A real bucket cannot tell.
    fn inspect_lost(&self, _digest: &Digest) -> bool {
        false
    }
}

/// The ending of a published index file.
pub const PUBLISHED: &str = ".didx";

/// The ending of an index file being written (or left by a crashed writer).
pub const UNPUBLISHED: &str = ".tmp_didx";

/// The index name of a published index file (`disk` for `disk.didx`); `None` for any
/// other file.
pub fn published_name(file: &str) -> Option<String> {
    file.strip_suffix(PUBLISHED).map(str::to_string)
}

/// Index files: `group/time/<name>.didx`, written as `<name>.tmp_didx` and renamed into place.
pub trait IndexDir: Send + Sync {
    /// Creates a snapshot directory; fails when it exists.
    fn create_snapshot(&self, snapshot: &SnapshotId) -> Result<()>;
    /// Writes `<name>.tmp_didx` in the snapshot (not visible to GC).
    fn write_tmp(&self, snapshot: &SnapshotId, name: &str, bytes: &[u8]) -> Result<()>;
    /// Renames `<name>.tmp_didx` to `<name>.didx`: from now on GC sees it.
    fn publish(&self, snapshot: &SnapshotId, name: &str) -> Result<()>;
    /// Deletes a snapshot's unpublished `<name>.tmp_didx`, if any.
    fn remove_tmp(&self, snapshot: &SnapshotId, name: &str) -> Result<()>;
    /// Every backup group (`type/id`), sorted.
    fn groups(&self) -> Result<Vec<String>>;
    /// Every snapshot time of a group, sorted oldest first (empty when the group is gone).
    fn snapshots(&self, group: &str) -> Result<Vec<i64>>;
    /// The index files of a snapshot by their full names (`<name>.didx` published,
    /// `<name>.tmp_didx` not yet, or left by a crashed writer), sorted; `None` when the
    /// snapshot is gone.
    fn files(&self, snapshot: &SnapshotId) -> Result<Option<Vec<String>>>;
    /// An index file's bytes, by its full name; `None` when it (or its snapshot) is gone.
    fn read_file(&self, snapshot: &SnapshotId, file: &str) -> Result<Option<Vec<u8>>>;
    /// The published index names of a snapshot, sorted; `None` when the snapshot is gone.
    fn indexes(&self, snapshot: &SnapshotId) -> Result<Option<Vec<String>>> {
        let files = self.files(snapshot)?;
        Ok(files.map(|files| files.iter().filter_map(|f| published_name(f)).collect()))
    }
    /// A published index's bytes; `None` when it (or its snapshot) is gone.
    fn read(&self, snapshot: &SnapshotId, name: &str) -> Result<Option<Vec<u8>>> {
        self.read_file(snapshot, &format!("{name}{PUBLISHED}"))
    }
    /// Deletes a snapshot with all its files; `Ok(false)` when it did not exist.
    fn remove_snapshot(&self, snapshot: &SnapshotId) -> Result<bool>;
    /// Visits every published index as it is now, for oracles: `visit` gets the snapshot,
    /// the index name and its digests, and may stop the walk. Reads without a scheduling
    /// point (the model overrides this to peek at its state) and never fails: an index that
    /// cannot be read or decoded is visited with no digests (it protects nothing).
    fn inspect(&self, visit: &mut IndexVisitor<'_>) {
        for group in self.groups().unwrap_or_default() {
            for time in self.snapshots(&group).unwrap_or_default() {
                let snapshot = SnapshotId {
                    group: group.clone(),
                    time,
                };
                for name in self.indexes(&snapshot).ok().flatten().unwrap_or_default() {
                    let bytes = self.read(&snapshot, &name).ok().flatten();
                    if visit(&snapshot, &name, &decode_or_nothing(bytes.as_deref())).is_break() {
                        return;
                    }
                }
            }
        }
    }
}

/// What [`IndexDir::inspect`] calls for each published index: its snapshot, name and
/// digests; `Break` ends the walk.
pub type IndexVisitor<'a> = dyn FnMut(&SnapshotId, &str, &[Digest]) -> ControlFlow<()> + 'a;

/// The digests of an index's bytes, or none when they are missing or do not decode.
pub fn decode_or_nothing(bytes: Option<&[u8]>) -> Vec<Digest> {
    // The path only names the file in a decoding error, which is dropped here.
    bytes
        .and_then(|b| crate::index::decode("", b).ok())
        .unwrap_or_default()
}
