//! Storage spies: wrappers around a store's chunk dir, bucket and index dir that record
//! calls into the [`EventLog`] and run a one-shot [`Hook`] right after a chosen call, so a
//! test can act inside an actor's window; [`Env::spied`] builds a store over them.

use super::case::Case;
use super::env::Env;
use super::events::{EventLog, Rec};
use super::shortcuts::thread_id;
use std::sync::{Arc, Mutex};
use store::storage::{Bucket, ChunkDir, ChunkStat, IndexDir, Listing};
use store::{Digest, SnapshotId, StoreConfig};

impl Env {
    /// A store with `config` over spied storage; the spies' recorder is also the observer.
    pub fn spied(case: Case, config: StoreConfig) -> (Self, Spies) {
        let recorder = EventLog::new();
        let mut spies = None;
        let env = Self::build(case, config, recorder.clone(), |mut s| {
            let made = Spies {
                chunks: Arc::new(SpyChunkDir {
                    inner: s.chunks.clone(),
                    recorder: recorder.clone(),
                    after_stat: Hook::default(),
                }),
                bucket: Arc::new(SpyBucket {
                    inner: s.bucket.clone(),
                    after_get: Hook::default(),
                    before_list: Hook::default(),
                }),
                indexes: Arc::new(SpyIndexDir {
                    inner: s.indexes.clone(),
                    after_read: Hook::default(),
                }),
                recorder: recorder.clone(),
            };
            s.chunks = made.chunks.clone();
            s.bucket = made.bucket.clone();
            s.indexes = made.indexes.clone();
            spies = Some(made);
            s
        });
        (env, spies.expect("the storage was wrapped"))
    }
}

/// The spies around a store's storage (see [`Env::spied`]).
pub struct Spies {
    pub chunks: Arc<SpyChunkDir>,
    pub bucket: Arc<SpyBucket>,
    pub indexes: Arc<SpyIndexDir>,
    /// The observer, also fed with the chunk dir's `stat` and `touch` calls.
    pub recorder: Arc<EventLog>,
}

/// A one-shot hook, optionally only for one digest.
type HookFn = Box<dyn FnOnce() + Send>;

#[derive(Default)]
pub struct Hook {
    slot: Mutex<Option<(Option<Digest>, HookFn)>>,
}

impl Hook {
    /// Arms the hook: it runs once, at the next call (for `digest`, if given).
    pub fn arm(&self, digest: Option<Digest>, f: impl FnOnce() + Send + 'static) {
        *self.slot.lock().unwrap_or_else(|e| e.into_inner()) = Some((digest, Box::new(f)));
    }

    /// Runs the hook if it is armed for `digest`; the slot lock is not held meanwhile.
    fn fire(&self, digest: Option<&Digest>) {
        let f = {
            let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
            let matches = match (&*slot, digest) {
                (Some((None, _)), _) => true,
                (Some((Some(want), _)), Some(d)) => want == d,
                _ => false,
            };
            if matches {
                slot.take().map(|(_, f)| f)
            } else {
                None
            }
        };
        if let Some(f) = f {
            f();
        }
    }
}

/// A chunk dir that records `stat` and `touch` calls and can run a hook right after a stat.
pub struct SpyChunkDir {
    pub inner: Arc<dyn ChunkDir>,
    pub recorder: Arc<EventLog>,
    pub after_stat: Hook,
}

impl ChunkDir for SpyChunkDir {
    fn stat(&self, digest: &Digest) -> anyhow::Result<Option<ChunkStat>> {
        let result = self.inner.stat(digest);
        self.recorder.push(Rec::Stat {
            digest: *digest,
            thread: thread_id(),
        });
        self.after_stat.fire(Some(digest));
        result
    }
    fn write(&self, digest: &Digest, data: &[u8], atime: i64) -> anyhow::Result<()> {
        self.inner.write(digest, data, atime)
    }
    fn touch(&self, digest: &Digest, atime: i64) -> anyhow::Result<bool> {
        self.recorder.push(Rec::Touch {
            digest: *digest,
            thread: thread_id(),
        });
        self.inner.touch(digest, atime)
    }
    fn read(&self, digest: &Digest) -> anyhow::Result<Option<Vec<u8>>> {
        self.inner.read(digest)
    }
    fn truncate(&self, digest: &Digest) -> anyhow::Result<Option<i64>> {
        self.inner.truncate(digest)
    }
    fn remove(&self, digest: &Digest) -> anyhow::Result<bool> {
        self.inner.remove(digest)
    }
    fn quarantine(&self, digest: &Digest) -> anyhow::Result<Option<String>> {
        self.inner.quarantine(digest)
    }
    fn list(&self) -> anyhow::Result<Listing> {
        self.inner.list()
    }
    fn inspect(&self, digest: &Digest) -> Option<ChunkStat> {
        self.inner.inspect(digest)
    }
    fn inspect_all(&self) -> Vec<(Digest, ChunkStat)> {
        self.inner.inspect_all()
    }
}

/// A bucket that can run a hook right after a `get` returned, and one right before a
/// `list`.
pub struct SpyBucket {
    pub inner: Arc<dyn Bucket>,
    pub after_get: Hook,
    pub before_list: Hook,
}

impl Bucket for SpyBucket {
    fn put_if_absent(&self, digest: &Digest, data: &[u8]) -> anyhow::Result<bool> {
        self.inner.put_if_absent(digest, data)
    }
    fn get(&self, digest: &Digest) -> anyhow::Result<Option<Vec<u8>>> {
        let result = self.inner.get(digest);
        self.after_get.fire(Some(digest));
        result
    }
    fn contains(&self, digest: &Digest) -> anyhow::Result<bool> {
        self.inner.contains(digest)
    }
    fn list(&self) -> anyhow::Result<Vec<Digest>> {
        self.before_list.fire(None);
        self.inner.list()
    }
    fn delete_batch(&self, digests: &[Digest]) -> anyhow::Result<()> {
        self.inner.delete_batch(digests)
    }
    fn inspect(&self, digest: &Digest) -> bool {
        self.inner.inspect(digest)
    }
    fn inspect_all(&self) -> Vec<Digest> {
        self.inner.inspect_all()
    }
}

/// An index dir that can run a hook right after a published index was read.
pub struct SpyIndexDir {
    pub inner: Arc<dyn IndexDir>,
    pub after_read: Hook,
}

impl IndexDir for SpyIndexDir {
    fn create_snapshot(&self, snapshot: &SnapshotId) -> anyhow::Result<()> {
        self.inner.create_snapshot(snapshot)
    }
    fn write_tmp(&self, snapshot: &SnapshotId, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
        self.inner.write_tmp(snapshot, name, bytes)
    }
    fn publish(&self, snapshot: &SnapshotId, name: &str) -> anyhow::Result<()> {
        self.inner.publish(snapshot, name)
    }
    fn remove_tmp(&self, snapshot: &SnapshotId, name: &str) -> anyhow::Result<()> {
        self.inner.remove_tmp(snapshot, name)
    }
    fn groups(&self) -> anyhow::Result<Vec<String>> {
        self.inner.groups()
    }
    fn snapshots(&self, group: &str) -> anyhow::Result<Vec<i64>> {
        self.inner.snapshots(group)
    }
    fn files(&self, snapshot: &SnapshotId) -> anyhow::Result<Option<Vec<String>>> {
        self.inner.files(snapshot)
    }
    fn read_file(&self, snapshot: &SnapshotId, file: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let result = self.inner.read_file(snapshot, file);
        self.after_read.fire(None);
        result
    }
    fn remove_snapshot(&self, snapshot: &SnapshotId) -> anyhow::Result<bool> {
        self.inner.remove_snapshot(snapshot)
    }
}
