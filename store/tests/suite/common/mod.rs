//! Shared helpers of the store's integration tests: one datastore per (backend, storage)
//! case over a manual clock, backup shortcuts, storage inspection that works for the model
//! and for real files, a recording observer and storage wrappers with hooks.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use store::storage::{
    Bucket, ChunkDir, ChunkStat, IndexDir, Listing, ModelBucket, ModelChunkDir, ModelIndexDir,
};
use store::{
    Backend, Clock, Datastore, Digest, Event, Fact, LockKind, NoopObserver, Observer, Platform,
    Process, SnapshotId, Std, Storage, StoreConfig, StoreError,
};

/// The manual clock's start (seconds).
pub const T0: i64 = 1_000_000;
/// The grace period of test stores (seconds).
pub const GRACE: i64 = 100;
/// The writer margin of test stores (seconds).
pub const MARGIN: i64 = 10;

/// Generates one `#[test]` per case for a function `fn name(case: Case)`:
/// `per_case!(name)` for all four cases, `per_case!(name: s3_model, s3_disk)` for some.
macro_rules! per_case {
    ($body:ident) => {
        per_case!($body: fs_model, fs_disk, s3_model, s3_disk);
    };
    ($body:ident: $($case:ident),+ $(,)?) => {
        mod $body {
            $(
                #[test]
                fn $case() {
                    super::$body($crate::common::Case::$case());
                }
            )+
        }
    };
}

/// Which storage a case runs over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// In-memory model storage.
    Model,
    /// Real files in a temporary directory.
    Disk,
}

/// One (backend, storage) combination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Case {
    pub backend: Backend,
    pub kind: Kind,
}

impl Case {
    pub fn fs_model() -> Self {
        Self {
            backend: Backend::Filesystem,
            kind: Kind::Model,
        }
    }
    pub fn fs_disk() -> Self {
        Self {
            backend: Backend::Filesystem,
            kind: Kind::Disk,
        }
    }
    pub fn s3_model() -> Self {
        Self {
            backend: Backend::S3,
            kind: Kind::Model,
        }
    }
    pub fn s3_disk() -> Self {
        Self {
            backend: Backend::S3,
            kind: Kind::Disk,
        }
    }

    /// The test store settings: grace [`GRACE`], margin [`MARGIN`].
    pub fn config(&self) -> StoreConfig {
        StoreConfig::new(self.backend).with_cutoff(GRACE, MARGIN)
    }

    pub fn is_s3(&self) -> bool {
        self.backend == Backend::S3
    }
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}/{:?}", self.backend, self.kind)
    }
}

/// The model storage parts, kept concrete for their test-support methods.
pub struct ModelParts {
    pub chunks: Arc<ModelChunkDir<Std>>,
    pub bucket: Arc<ModelBucket<Std>>,
    pub indexes: Arc<ModelIndexDir<Std>>,
}

/// A datastore of one case over a manual clock starting at [`T0`].
pub struct Env {
    pub case: Case,
    pub ds: Arc<Datastore<Std>>,
    /// The storage as the datastore sees it (possibly wrapped).
    pub storage: Storage,
    /// The model parts (model storage only).
    pub model: Option<ModelParts>,
    /// The temporary directory (disk storage only).
    pub dir: Option<tempfile::TempDir>,
}

impl Env {
    /// The case's default store: grace/margin of the tests, no observer.
    pub fn new(case: Case) -> Self {
        Self::build(case, case.config(), Arc::new(NoopObserver), |s| s)
    }

    /// A store with `config`.
    pub fn with_config(case: Case, config: StoreConfig) -> Self {
        Self::build(case, config, Arc::new(NoopObserver), |s| s)
    }

    /// A store with `config`, reporting to `observer`, over the case's storage passed
    /// through `wrap` (to put spies around it).
    pub fn build(
        case: Case,
        config: StoreConfig,
        observer: Arc<dyn Observer>,
        wrap: impl FnOnce(Storage) -> Storage,
    ) -> Self {
        let (storage, model, dir) = match case.kind {
            Kind::Model => {
                let parts = ModelParts {
                    chunks: Arc::new(ModelChunkDir::new()),
                    bucket: Arc::new(ModelBucket::new()),
                    indexes: Arc::new(ModelIndexDir::new()),
                };
                let storage = Storage {
                    chunks: parts.chunks.clone(),
                    bucket: parts.bucket.clone(),
                    indexes: parts.indexes.clone(),
                };
                (storage, Some(parts), None)
            }
            Kind::Disk => {
                let dir = tempfile::tempdir().expect("creating a temporary directory");
                let storage =
                    Storage::on_disk(&dir.path().join("store"), &dir.path().join("bucket"))
                        .expect("opening on-disk storage");
                (storage, None, Some(dir))
            }
        };
        let storage = wrap(storage);
        let ds = Datastore::<Std>::new(config, storage.clone(), Clock::manual(T0), observer);
        Self {
            case,
            ds,
            storage,
            model,
            dir,
        }
    }

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

    /// Starts a daemon process.
    pub fn process(&self) -> Arc<Process<Std>> {
        self.ds.start_process()
    }

    pub fn now(&self) -> i64 {
        self.ds.clock().now()
    }

    pub fn advance(&self, secs: i64) {
        self.ds.clock().advance(secs);
    }

    pub fn model(&self) -> &ModelParts {
        self.model.as_ref().expect("model storage only")
    }

    /// `<tmp>/store` (disk storage only).
    pub fn root(&self) -> PathBuf {
        self.dir
            .as_ref()
            .expect("disk storage only")
            .path()
            .join("store")
    }

    /// `<tmp>/bucket` (disk storage only).
    pub fn bucket_root(&self) -> PathBuf {
        self.dir
            .as_ref()
            .expect("disk storage only")
            .path()
            .join("bucket")
    }

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

/// Distinct chunk contents of distinct sizes.
pub fn chunk_data(i: usize) -> Vec<u8> {
    let mut data = format!("chunk number {i}:").into_bytes();
    data.resize(data.len() + i * 7 + 1, b'a' + (i % 26) as u8);
    data
}

pub fn snap(group: &str, time: i64) -> SnapshotId {
    SnapshotId {
        group: group.to_string(),
        time,
    }
}

/// The index name [`backup`] writes.
pub const INDEX: &str = "disk.img";

/// A complete backup of `group` at `time` uploading `data`, with one index [`INDEX`]
/// referencing every chunk; returns the digests in order.
pub fn backup(p: &Arc<Process<Std>>, group: &str, time: i64, data: &[Vec<u8>]) -> Vec<Digest> {
    let mut w = p.start_backup(group, time).expect("starting a backup");
    let digests: Vec<Digest> = data
        .iter()
        .map(|d| w.upload_chunk(d).expect("uploading a chunk"))
        .collect();
    publish_and_finish(w, &digests);
    digests
}

/// Publishes index [`INDEX`] referencing `digests` (all known to the session) and finishes
/// the session.
pub fn publish_and_finish(mut w: store::BackupWriter<Std>, digests: &[Digest]) {
    w.create_index(INDEX).expect("creating an index");
    for d in digests {
        w.append(INDEX, *d).expect("appending to an index");
    }
    w.close_index(INDEX).expect("closing an index");
    w.finish().expect("finishing a backup");
}

/// Uploads `data` in a session that is then aborted (dropped): the chunks stay stored but
/// no index references them.
pub fn upload_unreferenced(p: &Arc<Process<Std>>, group: &str, data: &[Vec<u8>]) -> Vec<Digest> {
    let mut w = p.start_backup(group, 1).expect("starting a backup");
    let digests = data
        .iter()
        .map(|d| w.upload_chunk(d).expect("uploading a chunk"))
        .collect();
    drop(w);
    digests
}

/// The [`StoreError`] at the root of an error, which must exist.
pub fn kind(err: &anyhow::Error) -> StoreError {
    StoreError::of(err)
        .unwrap_or_else(|| panic!("no StoreError in {err:#}"))
        .clone()
}

/// The calling thread's id as the store reports it.
pub fn thread_id() -> u64 {
    <Std as Platform>::thread_id()
}

// ---------------------------------------------------------------------------------------
// Recording observer
// ---------------------------------------------------------------------------------------

/// An owned summary of an event (or of a spied storage call).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rec {
    Acquired {
        lock: LockKind,
        thread: u64,
    },
    Released {
        lock: LockKind,
        thread: u64,
    },
    Stamped {
        digest: Digest,
        atime: i64,
    },
    Remove {
        digest: Digest,
        thread: u64,
    },
    GcStarted {
        min_atime: i64,
        oldest_writer: i64,
    },
    /// A spied `ChunkDir::stat` call.
    Stat {
        digest: Digest,
        thread: u64,
    },
    /// A spied `ChunkDir::touch` call.
    Touch {
        digest: Digest,
        thread: u64,
    },
    Other(String),
}

/// An observer keeping every event, in order.
#[derive(Default)]
pub struct EventLog {
    log: Mutex<Vec<Rec>>,
}

impl EventLog {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn log(&self) -> MutexGuard<'_, Vec<Rec>> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn push(&self, rec: Rec) {
        self.log().push(rec);
    }

    /// Takes the log so far.
    pub fn take(&self) -> Vec<Rec> {
        std::mem::take(&mut *self.log())
    }
}

impl Observer for EventLog {
    fn event(&self, event: &Event<'_>) {
        let rec = match *event {
            Event::Fact(Fact::LockAcquired { lock, thread, .. }) => Rec::Acquired { lock, thread },
            Event::Fact(Fact::LockReleased { lock, thread }) => Rec::Released { lock, thread },
            Event::Fact(Fact::ChunkStamped { digest, atime }) => Rec::Stamped { digest, atime },
            Event::Fact(Fact::RemoveCalled { digest, thread, .. }) => {
                Rec::Remove { digest, thread }
            }
            Event::Fact(Fact::GcStarted {
                min_atime,
                oldest_writer,
                ..
            }) => Rec::GcStarted {
                min_atime,
                oldest_writer,
            },
            ref other => Rec::Other(format!("{other:?}")),
        };
        self.push(rec);
    }
}

/// The locks `thread` holds just before `log[at]`.
pub fn held_before(log: &[Rec], at: usize, thread: u64) -> Vec<LockKind> {
    let mut held = Vec::new();
    for rec in &log[..at] {
        match rec {
            Rec::Acquired { lock, thread: t } if *t == thread => held.push(*lock),
            Rec::Released { lock, thread: t } if *t == thread => {
                if let Some(i) = held.iter().rposition(|l| l == lock) {
                    held.remove(i);
                }
            }
            _ => {}
        }
    }
    held
}

pub fn is_chunk_store(lock: &LockKind) -> bool {
    matches!(lock, LockKind::ChunkStore(..))
}

// ---------------------------------------------------------------------------------------
// Storage spies
// ---------------------------------------------------------------------------------------

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

/// A bucket that can run a hook right after a `get` returned.
pub struct SpyBucket {
    pub inner: Arc<dyn Bucket>,
    pub after_get: Hook,
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
    fn indexes(&self, snapshot: &SnapshotId) -> anyhow::Result<Option<Vec<String>>> {
        self.inner.indexes(snapshot)
    }
    fn read(&self, snapshot: &SnapshotId, name: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let result = self.inner.read(snapshot, name);
        self.after_read.fire(None);
        result
    }
    fn remove_snapshot(&self, snapshot: &SnapshotId) -> anyhow::Result<bool> {
        self.inner.remove_snapshot(snapshot)
    }
}
