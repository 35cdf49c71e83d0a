//! A backup writer session.
//!
//! A session holds a shared process lock (its start time is what bounds the GC cutoff), the
//! exclusive lock of its backup group, a shared lock on the previous snapshot (whose chunks it
//! may reference without uploading: *known* chunks) and an exclusive lock on the snapshot it
//! writes. Indexes are written as `name.tmp_didx` and renamed to `name.didx` on close, which
//! makes them visible to GC. Dropping a session without [`BackupWriter::finish`] aborts it:
//! its snapshot is deleted and its locks released.

use crate::datastore::Backend;
use crate::decision::Decision;
use crate::digest::Digest;
use crate::error::StoreError;
use crate::ids::{check_group_name, check_index_name, SnapshotId, WriterId};
use crate::index;
use crate::locks::LockMode;
use crate::observer::{ChunkUse, Event, Fact};
use crate::platform::{acting_as, unless_torn_down, Platform, Role};
use crate::process::Process;
use crate::SeededBug;
use anyhow::{bail, Context, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

pub mod sync;

fn group_lock(group: &str) -> String {
    format!("group:{group}")
}

pub(crate) fn snapshot_lock(snapshot: &SnapshotId) -> String {
    format!("snapshot:{}", snapshot.path())
}

/// A running backup session of one process.
pub struct BackupWriter<P: Platform> {
    process: Arc<Process<P>>,
    id: WriterId,
    start: i64,
    snapshot: SnapshotId,
    group_locked: bool,
    previous: Option<SnapshotId>,
    snapshot_locked: bool,
    snapshot_created: bool,
    /// Chunks this session uploaded, re-used or registered: the only ones it may reference.
    session: BTreeSet<Digest>,
    open: BTreeMap<String, Vec<Digest>>,
    published: BTreeSet<String>,
    finished: bool,
}

impl<P: Platform> Process<P> {
    /// Starts a backup of `group` (`type/id`) at backup time `time`.
    ///
    /// # Errors
    /// [`StoreError::ShuttingDown`] after a reload; [`StoreError::Locked`] while a GC of
    /// another process runs, another backup of the group runs, or the previous snapshot is
    /// being pruned; [`StoreError::BadName`]; a corrupt previous index; I/O errors. Nothing is
    /// left locked or created on error.
    pub fn start_backup(self: &Arc<Self>, group: &str, time: i64) -> Result<BackupWriter<P>> {
        let _acting = acting_as::<P>(Role::Writer);
        check_group_name(group)?;
        let (id, start) = self.register_writer()?;
        let mut writer = BackupWriter {
            process: self.clone(),
            id,
            start,
            snapshot: SnapshotId {
                group: group.to_string(),
                time,
            },
            group_locked: false,
            previous: None,
            snapshot_locked: false,
            snapshot_created: false,
            session: BTreeSet::new(),
            open: BTreeMap::new(),
            published: BTreeSet::new(),
            finished: false,
        };
        writer.lock_and_create()?;
        Ok(writer)
    }
}

impl<P: Platform> BackupWriter<P> {
    fn lock_and_create(&mut self) -> Result<()> {
        let ds = self.process.datastore().clone();
        let group = self.snapshot.group.clone();
        ds.locks
            .try_lock_path(&group_lock(&group), LockMode::Exclusive)
            .inspect_err(|_| self.decide(Decision::StartGroupBusy))?;
        self.group_locked = true;
        let times = ds.storage.indexes.snapshots(&group)?;
        if times.is_empty() {
            self.decide(Decision::StartFirst);
        }
        if let Some(last) = times.last() {
            if *last >= self.snapshot.time {
                self.decide(Decision::StartNotNewer);
                return Err(StoreError::BackupTimeNotNewer {
                    group,
                    time: self.snapshot.time,
                    last: *last,
                }
                .into());
            }
            self.register_previous(SnapshotId {
                group: group.clone(),
                time: *last,
            })?;
        }
        ds.locks
            .try_lock_path(&snapshot_lock(&self.snapshot), LockMode::Exclusive)?;
        self.snapshot_locked = true;
        ds.storage
            .indexes
            .create_snapshot(&self.snapshot)
            .with_context(|| format!("creating snapshot {}", self.snapshot))?;
        self.snapshot_created = true;
        Ok(())
    }

    /// Locks the previous snapshot shared and registers its chunks as known.
    fn register_previous(&mut self, previous: SnapshotId) -> Result<()> {
        let ds = self.process.datastore().clone();
        ds.locks
            .try_lock_path(&snapshot_lock(&previous), LockMode::Shared)
            .inspect_err(|_| self.decide(Decision::StartPreviousBusy))?;
        self.previous = Some(previous.clone());
        let Some(names) = ds.storage.indexes.indexes(&previous)? else {
            // Pruned between listing and locking: there is nothing to re-use.
            self.decide(Decision::StartPreviousPruned);
            ds.locks
                .unlock_path(&snapshot_lock(&previous), LockMode::Shared);
            self.previous = None;
            return Ok(());
        };
        self.decide(Decision::StartIncremental);
        for name in names {
            let path = format!("{previous}/{name}.didx");
            let bytes = ds
                .storage
                .indexes
                .read(&previous, &name)?
                .ok_or_else(|| StoreError::NotFound(path.clone()))?;
            for digest in index::decode(&path, &bytes)? {
                if self.session.insert(digest) {
                    self.emit_used(digest, ChunkUse::Registered);
                }
            }
        }
        Ok(())
    }

    /// Reports a decision this session took (not about one chunk).
    fn decide(&self, decision: Decision) {
        let process = &self.process;
        process.datastore().decide(decision, process.id(), None);
    }

    fn emit_used(&self, digest: Digest, how: ChunkUse) {
        self.process.datastore().emit(Fact::ChunkUsed {
            process: self.process.id(),
            writer: self.id,
            digest,
            how,
        });
    }

    /// This session's id.
    pub fn id(&self) -> WriterId {
        self.id
    }

    /// This session's start time (its shared process lock's record).
    pub fn start_time(&self) -> i64 {
        self.start
    }

    /// The snapshot being written.
    pub fn snapshot(&self) -> &SnapshotId {
        &self.snapshot
    }

    /// The chunks known from the previous snapshot or uploaded so far.
    pub fn known_chunks(&self) -> &BTreeSet<Digest> {
        &self.session
    }

    /// Uploads a chunk and returns its digest.
    ///
    /// # Errors
    /// As [`BackupWriter::upload`].
    pub fn upload_chunk(&mut self, data: &[u8]) -> Result<Digest> {
        let digest = Digest::of(data);
        self.upload(digest, data)?;
        Ok(digest)
    }

    /// Uploads a chunk sent under `digest`.
    ///
    /// Filesystem: insert (write, or touch when present). S3: under the per-chunk lock, skip
    /// when the local file (cached content or marker) is there, its object too (a HEAD),
    /// and touching the file succeeds; else upload to the bucket and cache it.
    ///
    /// # Errors
    /// [`StoreError::DigestMismatch`] (nothing is stored), or I/O errors.
    pub fn upload(&mut self, digest: Digest, data: &[u8]) -> Result<()> {
        let _acting = acting_as::<P>(Role::Writer);
        let process = self.process.clone();
        match process.datastore().config.backend {
            // `insert` checks the digest before it takes any lock.
            Backend::Filesystem => {
                process.chunk_store.insert(Some(self.id), &digest, data)?;
            }
            Backend::S3 => {
                digest.verify(data)?;
                let ds = process.datastore();
                let _lock =
                    (!ds.bug(SeededBug::UploadWithoutChunkLock)).then(|| ds.lock_chunk(digest));
                self.emit_used(digest, ChunkUse::Uploaded);
                let uploaded = self.upload_to_bucket(&digest, data);
                if uploaded.is_err() {
                    // Under the per-chunk lock, before a GC can judge the chunk.
                    process.chunk_store.upload_failed(self.id, &digest);
                }
                uploaded?;
            }
        }
        self.session.insert(digest);
        Ok(())
    }

    /// S3, under the per-chunk lock: skip when the local file and its object are there and
    /// the touch succeeds ([`Self::present_in_cache`]), else put the object and cache it.
    fn upload_to_bucket(&self, digest: &Digest, data: &[u8]) -> Result<()> {
        let store = &self.process.chunk_store;
        if self.present_in_cache(digest)? {
            store.decide(Decision::UploadReused, digest);
            return Ok(());
        }
        let ds = self.process.datastore();
        ds.emit(Fact::ObjectPutting {
            process: self.process.id(),
            digest: *digest,
            thread: P::thread_id(),
        });
        if let Err(err) = ds.storage.bucket.put_if_absent(digest, data) {
            store.decide(Decision::UploadPutFailed, digest);
            return Err(err).with_context(|| format!("uploading chunk {digest}"));
        }
        let cached = self.cache()?.insert(digest, data);
        let decision = match cached {
            Ok(()) => Decision::UploadPut,
            Err(_) => Decision::UploadCacheFailed,
        };
        store.decide(decision, digest);
        cached
    }

    /// Re-uses a chunk that is already present (pull path): touches it and makes it known to
    /// this session. `Ok(false)` when it is not present (the caller must upload it).
    ///
    /// # Errors
    /// I/O errors.
    pub fn reuse_chunk(&mut self, digest: Digest) -> Result<bool> {
        let _acting = acting_as::<P>(Role::Writer);
        let process = self.process.clone();
        let present = match process.datastore().config.backend {
            Backend::Filesystem => process.chunk_store.touch_for_reuse(self.id, &digest)?,
            Backend::S3 => {
                let _lock = process.datastore().lock_chunk(digest);
                let present = self.present_in_cache(&digest)?;
                // Only a chunk found is used: the caller uploads a missing one.
                if present {
                    self.emit_used(digest, ChunkUse::Reused);
                }
                present
            }
        };
        if present {
            self.session.insert(digest);
        }
        Ok(present)
    }

    fn cache(&self) -> Result<&crate::LocalDatastoreLruCache<P>> {
        self.process
            .cache()
            .context("S3 backend without a cache (internal error)")
    }

    /// S3: the chunk's local file (content or marker) exists, its object is in the bucket,
    /// and the file was touched; the caller holds the per-chunk lock.
    ///
    /// A local file is no proof of its object: the object may have been lost behind the
    /// store's back since the file was written (a read that finds it gone leaves the file,
    /// which carries the chunk's GC mark, to GC phase 3). So a file found is checked with a
    /// HEAD before it is re-used ([`Self::object_behind`]). A file whose object is gone is
    /// left as it is, and the caller puts the object over it.
    ///
    /// An LRU hit is touched as well: skipping the touch (seeded bug
    /// [`SeededBug::LruHitSkipsTouch`]) leaves an old unreferenced chunk's atime behind the
    /// writer's start, and GC removes it while the writer uses it.
    fn present_in_cache(&self, digest: &Digest) -> Result<bool> {
        let ds = self.process.datastore();
        if ds.bug(SeededBug::LruHitSkipsTouch) && self.cache()?.contains(digest) {
            // The bug skips the touch, not the check.
            return self.object_behind(digest);
        }
        let store = &self.process.chunk_store;
        if !store.present_for_reuse(digest)? || !self.object_behind(digest)? {
            return Ok(false);
        }
        store.touch_for_reuse(self.id, digest)
    }

    /// S3, under the per-chunk lock, with a local file of `digest` found: whether its
    /// object is in the bucket (a HEAD). The answer holds until the lock goes: every
    /// bucket operation that can find the object lost holds that lock (a read's fetch, a
    /// put, GC's sweep and phase 3), but GC phase 1's HEAD, which runs only for a chunk
    /// whose touch found no file, under the shard mutex it holds through its touch, HEAD
    /// and marker write. Taking the file's word for it (upstream's rule) is seeded bug
    /// [`SeededBug::UploadTrustsMarker`].
    pub(super) fn object_behind(&self, digest: &Digest) -> Result<bool> {
        let ds = self.process.datastore();
        if ds.bug(SeededBug::UploadTrustsMarker) {
            return Ok(true);
        }
        let store = &self.process.chunk_store;
        let exists = (self.process.object_exists(ds, digest))
            .inspect_err(|_| store.decide(Decision::ReuseHeadFailed, digest))?;
        let decision = match exists {
            true => Decision::ReuseObjectFound,
            false => Decision::ReuseObjectGone,
        };
        store.decide(decision, digest);
        Ok(exists)
    }

    /// Opens a new index `name` in the snapshot.
    ///
    /// # Errors
    /// [`StoreError::BadName`], or when the index exists.
    pub fn create_index(&mut self, name: &str) -> Result<()> {
        let _acting = acting_as::<P>(Role::Writer);
        check_index_name(name)?;
        if self.open.contains_key(name) || self.published.contains(name) {
            bail!("index {name} already exists in {}", self.snapshot);
        }
        self.open.insert(name.to_string(), Vec::new());
        Ok(())
    }

    /// Appends a digest to an open index.
    ///
    /// # Errors
    /// [`StoreError::UnknownChunk`] when this session neither uploaded nor registered the
    /// chunk; [`StoreError::NotFound`] when the index is not open.
    pub fn append(&mut self, name: &str, digest: Digest) -> Result<()> {
        let _acting = acting_as::<P>(Role::Writer);
        if !self.session.contains(&digest) {
            return Err(StoreError::UnknownChunk(digest).into());
        }
        self.open
            .get_mut(name)
            .ok_or_else(|| StoreError::NotFound(format!("open index {name}")))?
            .push(digest);
        Ok(())
    }

    /// Closes an index: writes `name.tmp_didx` and renames it to `name.didx` (visible to GC).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when not open; I/O errors (the index stays open).
    pub fn close_index(&mut self, name: &str) -> Result<()> {
        let _acting = acting_as::<P>(Role::Writer);
        let digests = self
            .open
            .get(name)
            .ok_or_else(|| StoreError::NotFound(format!("open index {name}")))?;
        let bytes = index::encode(digests);
        let indexes = &self.process.datastore().storage.indexes;
        indexes
            .write_tmp(&self.snapshot, name, &bytes)
            .with_context(|| format!("writing index {}/{name}", self.snapshot))?;
        indexes
            .publish(&self.snapshot, name)
            .with_context(|| format!("publishing index {}/{name}", self.snapshot))?;
        self.process.datastore().emit(Event::IndexPublished {
            process: self.process.id(),
            writer: self.id,
            snapshot: &self.snapshot,
            name,
            digests,
        });
        self.open.remove(name);
        self.published.insert(name.to_string());
        Ok(())
    }

    /// Finishes the session: releases its locks (its indexes stay).
    ///
    /// # Errors
    /// When an index is still open; the session is then aborted.
    pub fn finish(mut self) -> Result<()> {
        let _acting = acting_as::<P>(Role::Writer);
        if let Some(name) = self.open.keys().next() {
            return Err(StoreError::IndexStillOpen {
                snapshot: self.snapshot.to_string(),
                index: name.clone(),
            }
            .into());
        }
        self.finished = true;
        self.emit_done();
        self.release();
        Ok(())
    }

    /// Reports that this session will publish nothing more (before any lock is released).
    fn emit_done(&self) {
        self.process.datastore().emit(Fact::WriterFinished {
            process: self.process.id(),
            writer: self.id,
        });
    }

    fn release(&mut self) {
        let ds = self.process.datastore().clone();
        if self.snapshot_locked {
            ds.locks
                .unlock_path(&snapshot_lock(&self.snapshot), LockMode::Exclusive);
            self.snapshot_locked = false;
        }
        if let Some(previous) = self.previous.take() {
            ds.locks
                .unlock_path(&snapshot_lock(&previous), LockMode::Shared);
        }
        if self.group_locked {
            ds.locks
                .unlock_path(&group_lock(&self.snapshot.group), LockMode::Exclusive);
            self.group_locked = false;
        }
        self.process.unregister_writer(self.id);
    }

    /// Abort: removes temporary indexes and the snapshot, then releases the locks.
    fn abort(&mut self) {
        let _acting = acting_as::<P>(Role::Writer);
        self.emit_done();
        let ds = self.process.datastore().clone();
        for name in std::mem::take(&mut self.open).into_keys() {
            let _ = ds.storage.indexes.remove_tmp(&self.snapshot, &name);
        }
        if self.snapshot_created {
            // An error here leaves the snapshot directory, and with it any published index
            // (still visible, so still protecting its chunks); nothing is lost.
            let removed = ds.storage.indexes.remove_snapshot(&self.snapshot);
            self.decide(match removed {
                Ok(_) => Decision::AbortRemoved,
                Err(_) => Decision::AbortLeft,
            });
            if removed.is_ok() && !self.published.is_empty() {
                ds.emit(Event::SnapshotPruned {
                    snapshot: &self.snapshot,
                });
            }
        } else {
            self.decide(Decision::AbortNothingCreated);
        }
        self.release();
    }
}

impl<P: Platform> Drop for BackupWriter<P> {
    fn drop(&mut self) {
        if !self.finished {
            unless_torn_down::<P>(|| self.abort());
        }
    }
}
