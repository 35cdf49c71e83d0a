//! The chunk store of one process: the chunk store mutex and the operations it guards.
//!
//! Insert, touch, each sweep step and every cache operation run under the mutex. It is a
//! plain in-process mutex: a second process (after a reload) has its own and does not
//! exclude this one with it.
//!
//! The mutex may be split into shards ([`LockGranularity`]): every operation touches one
//! chunk and takes the shard of that chunk's digest ([`ChunkStore::lock`]), so operations
//! on the same digest still exclude each other (P1 is a per-digest promise), while those on
//! different shards run in parallel. A thread never holds two shards at once. With
//! [`LockGranularity::Single`] (the default) there is one shard and the store behaves
//! exactly as upstream.

use crate::bugs::SeededBug;
use crate::datastore::Datastore;
use crate::decision::Decision;
use crate::digest::Digest;
use crate::ids::{ProcessId, WriterId};
use crate::lock_granularity::LockGranularity;
use crate::observer::{ChunkUse, Fact, LockKind};
use crate::platform::{acting_as, unless_torn_down, LockClass, Mutex, MutexGuard, Platform, Role};
use crate::storage::ChunkStat;
use anyhow::{Context, Result};
use std::sync::Arc;

/// What [`ChunkStore::insert`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InsertOutcome {
    /// The chunk was written.
    Created,
    /// A file of the same size existed; its atime was refreshed.
    Touched,
}

/// A process's view of the local chunk directory, with its chunk store mutex (one per
/// shard).
pub struct ChunkStore<P: Platform> {
    process: ProcessId,
    ds: Arc<Datastore<P>>,
    granularity: LockGranularity,
    /// One mutex per shard; `granularity.shard_of(d)` indexes it.
    shards: Box<[Mutex<P, ()>]>,
}

/// Proof that the chunk store mutex of one shard is held (precondition P1 for the digests
/// of that shard); released on drop.
pub struct ChunkStoreGuard<'a, P: Platform> {
    store: &'a ChunkStore<P>,
    shard: u32,
    _guard: MutexGuard<'a, P, ()>,
}

impl<P: Platform> ChunkStoreGuard<'_, P> {
    /// The shard this guard holds.
    pub fn shard(&self) -> u32 {
        self.shard
    }

    /// Whether this guard holds the mutex that guards `digest`.
    pub fn covers(&self, digest: &Digest) -> bool {
        self.store.shard_of(digest) == self.shard
    }
}

impl<P: Platform> Drop for ChunkStoreGuard<'_, P> {
    fn drop(&mut self) {
        unless_torn_down::<P>(|| {
            self.store.ds.emit(Fact::LockReleased {
                lock: self.store.lock_kind(self.shard),
                thread: P::thread_id(),
            })
        });
    }
}

impl<P: Platform> ChunkStore<P> {
    pub(crate) fn new(process: ProcessId, ds: Arc<Datastore<P>>) -> Self {
        let granularity = ds.config.lock_granularity;
        let shards = (0..granularity.shards())
            .map(|_| Mutex::new(LockClass::ChunkStore, ()))
            .collect();
        Self {
            process,
            ds,
            granularity,
            shards,
        }
    }

    fn lock_kind(&self, shard: u32) -> LockKind {
        LockKind::ChunkStore(self.process, shard)
    }

    /// How this store's mutex is split.
    pub fn granularity(&self) -> LockGranularity {
        self.granularity
    }

    /// The shard whose mutex guards `digest` (0 with a single mutex).
    #[inline]
    pub fn shard_of(&self, digest: &Digest) -> u32 {
        self.granularity.shard_of(digest)
    }

    /// Takes the chunk store mutex that guards `digest` (the only one, with
    /// [`LockGranularity::Single`]). Never call it while holding another guard of this
    /// store: two shards are never nested.
    #[track_caller]
    pub fn lock(&self, digest: &Digest) -> ChunkStoreGuard<'_, P> {
        let shard = self.shard_of(digest);
        let guard = self.shards[shard as usize].lock();
        self.ds.emit(Fact::LockAcquired {
            lock: self.lock_kind(shard),
            thread: P::thread_id(),
            blocking: true,
        });
        ChunkStoreGuard {
            store: self,
            shard,
            _guard: guard,
        }
    }

    /// Checks (in debug builds) that `guard` is this store's and holds `digest`'s shard.
    #[inline]
    pub(crate) fn check_guard(&self, guard: &ChunkStoreGuard<'_, P>, digest: &Digest) {
        debug_assert!(
            std::ptr::eq(guard.store, self),
            "a guard of another chunk store was passed"
        );
        debug_assert!(
            guard.covers(digest),
            "the guard holds shard {} but {digest} belongs to shard {}",
            guard.shard,
            self.shard_of(digest)
        );
    }

    /// Inserts a chunk for `writer`: writes it, or touches it when a file of the same size
    /// exists. The data is checked against the digest first.
    ///
    /// # Errors
    /// [`crate::StoreError::DigestMismatch`] (nothing is written), or an I/O error.
    pub fn insert(
        &self,
        writer: Option<WriterId>,
        digest: &Digest,
        data: &[u8],
    ) -> Result<InsertOutcome> {
        let _acting = acting_as::<P>(Role::Writer);
        digest.verify(data)?;
        // Under the per-chunk lock, which another process's verify holds from reading a
        // chunk to renaming it aside (its chunk store mutex does not exclude this one's):
        // otherwise a good file written here could be renamed aside on a rotten reading
        // (found by the guided search).
        let _chunk = self.ds.lock_chunk(*digest);
        let guard = self.lock(digest);
        if let Some(writer) = writer {
            self.ds.emit(Fact::ChunkUsed {
                process: self.process,
                writer,
                digest: *digest,
                how: ChunkUse::Uploaded,
            });
        }
        let inserted = self.insert_locked(&guard, digest, data);
        if let (Err(_), Some(writer)) = (&inserted, writer) {
            // Under the mutex, before a GC can judge the chunk.
            self.upload_failed(writer, digest);
        }
        inserted
    }

    fn insert_locked(
        &self,
        guard: &ChunkStoreGuard<'_, P>,
        digest: &Digest,
        data: &[u8],
    ) -> Result<InsertOutcome> {
        let existing = self.stat(guard, digest)?;
        let decision = match existing {
            Some(st) if st.size == data.len() as u64 => {
                if self.ds.bug(SeededBug::InsertSkipsTouch) || self.touch(guard, digest)? {
                    self.decide(Decision::InsertTouched, digest);
                    return Ok(InsertOutcome::Touched);
                }
                // Gone between the stat and the touch, although both ran under the mutex:
                // only another process can have removed it. Written again, so the writer
                // never relies on a file that is not there.
                Decision::InsertVanished
            }
            Some(_) => Decision::InsertReplaced,
            None => Decision::InsertCreated,
        };
        self.decide(decision, digest);
        self.write(guard, digest, data)?;
        Ok(InsertOutcome::Created)
    }

    /// Reports a decision this chunk store took about `digest`.
    #[inline]
    pub(crate) fn decide(&self, decision: Decision, digest: &Digest) {
        self.ds.decide(decision, self.process, Some(digest));
    }

    /// Reports that `writer`'s upload of `digest` failed: it relies on nothing that upload
    /// did (reported used before the store acted, so that a GC sees it). The caller still
    /// holds what protected the upload (the chunk store mutex or the per-chunk lock), so no
    /// GC judges the chunk in between (found by the generated phase under faults).
    pub(crate) fn upload_failed(&self, writer: WriterId, digest: &Digest) {
        self.ds.emit(Fact::ChunkUploadFailed {
            process: self.process,
            writer,
            digest: *digest,
        });
    }

    /// Writes a chunk file (content, or an empty marker) with atime now: the time as the
    /// write happens, so a write landing after another process's stamp never moves the
    /// chunk's atime back (the seeded [`SeededBug::StaleStamp`] reads the clock first).
    pub fn write(
        &self,
        guard: &ChunkStoreGuard<'_, P>,
        digest: &Digest,
        data: &[u8],
    ) -> Result<()> {
        self.check_guard(guard, digest);
        if self.ds.bug(SeededBug::StaleStamp) {
            let now = self.ds.clock.now();
            return self.write_with_atime(guard, digest, data, now);
        }
        let now = || self.ds.clock.now();
        let atime = (self.ds.storage.chunks.write_now(digest, data, &now))
            .with_context(|| format!("inserting chunk {digest}"))?;
        self.stamped(digest, atime, true);
        Ok(())
    }

    /// Writes a chunk file with a given atime (an evicted chunk's marker keeps its mark).
    pub(crate) fn write_with_atime(
        &self,
        guard: &ChunkStoreGuard<'_, P>,
        digest: &Digest,
        data: &[u8],
        atime: i64,
    ) -> Result<()> {
        self.check_guard(guard, digest);
        self.ds
            .storage
            .chunks
            .write(digest, data, atime)
            .with_context(|| format!("inserting chunk {digest}"))?;
        self.stamped(digest, atime, true);
        Ok(())
    }

    /// Reports that this thread wrote (`written`) or touched `digest`'s file, leaving
    /// `atime`.
    fn stamped(&self, digest: &Digest, atime: i64, written: bool) {
        self.ds.emit(Fact::ChunkStamped {
            process: self.process,
            digest: *digest,
            atime,
            written,
            thread: P::thread_id(),
        });
    }

    /// Empties a chunk's file in place (a marker), keeping whatever atime it has by then;
    /// `Ok(false)` when the chunk is not there.
    pub(crate) fn truncate(&self, guard: &ChunkStoreGuard<'_, P>, digest: &Digest) -> Result<bool> {
        self.check_guard(guard, digest);
        let kept = self
            .ds
            .storage
            .chunks
            .truncate(digest)
            .with_context(|| format!("emptying chunk {digest} to a marker"))?;
        if let Some(atime) = kept {
            self.stamped(digest, atime, true);
        }
        Ok(kept.is_some())
    }

    /// Sets a chunk's atime to now; `Ok(false)` when the chunk is not there.
    pub fn touch(&self, guard: &ChunkStoreGuard<'_, P>, digest: &Digest) -> Result<bool> {
        self.check_guard(guard, digest);
        self.touch_file(digest)
    }

    /// [`ChunkStore::touch`] once its caller holds what it must: to the time as the touch
    /// happens (see [`ChunkStore::write`]).
    fn touch_file(&self, digest: &Digest) -> Result<bool> {
        let touched = match self.ds.bug(SeededBug::StaleStamp) {
            true => self.touch_with_clock_read_first(digest),
            false => (self.ds.storage.chunks).touch_now(digest, &|| self.ds.clock.now()),
        };
        let stamped = match touched {
            Err(_) if self.ds.bug(SeededBug::TouchErrorAsSuccess) => return Ok(true),
            Err(err) => {
                self.decide(Decision::TouchFailed, digest);
                return Err(err).with_context(|| format!("touching chunk {digest}"));
            }
            Ok(stamped) => stamped,
        };
        match stamped {
            Some(atime) => {
                self.decide(Decision::TouchFound, digest);
                self.stamped(digest, atime, false);
            }
            None => self.decide(Decision::TouchAbsent, digest),
        }
        Ok(stamped.is_some())
    }

    /// Touches a chunk `writer` wants to re-use because it is already present (pull path,
    /// S3 "already present" path), under the mutex; `Ok(false)` when it is not there.
    pub fn touch_for_reuse(&self, writer: WriterId, digest: &Digest) -> Result<bool> {
        let used = Fact::ChunkUsed {
            process: self.process,
            writer,
            digest: *digest,
            how: ChunkUse::Reused,
        };
        // Reported only once the touch found the chunk: a failed re-use leaves the writer
        // to upload the chunk, so it does not rely on this copy (reported before, it made
        // a GC removing the absent-locally chunk look like P3; found by the generated phase).
        // Held until the use is reported, so no GC judges the chunk in between.
        let guard = (!self.ds.bug(SeededBug::TouchWithoutMutex)).then(|| self.lock(digest));
        let touched = match &guard {
            Some(guard) => self.touch(guard, digest)?,
            None => self.touch_without_mutex(digest)?,
        };
        if touched {
            self.ds.emit(used);
        }
        Ok(touched)
    }

    /// Whether `digest`'s local file exists, looked at as a re-use looks at it: under the
    /// mutex (without it under [`SeededBug::TouchWithoutMutex`], as the touch that follows).
    pub(crate) fn present_for_reuse(&self, digest: &Digest) -> Result<bool> {
        let stat = match self.ds.bug(SeededBug::TouchWithoutMutex) {
            true => self.stat_without_mutex(digest)?,
            false => self.stat(&self.lock(digest), digest)?,
        };
        Ok(stat.is_some())
    }

    /// Size and atime of a chunk file.
    pub fn stat(
        &self,
        guard: &ChunkStoreGuard<'_, P>,
        digest: &Digest,
    ) -> Result<Option<ChunkStat>> {
        self.check_guard(guard, digest);
        self.stat_file(digest)
    }

    /// [`ChunkStore::stat`] once its caller holds what it must.
    fn stat_file(&self, digest: &Digest) -> Result<Option<ChunkStat>> {
        self.ds.emit(Fact::ChunkStatted {
            process: self.process,
            digest: *digest,
            thread: P::thread_id(),
        });
        match self.ds.storage.chunks.stat(digest) {
            Err(_) if self.ds.bug(SeededBug::FailedStatAsAbsent) => Ok(None),
            stat => stat.with_context(|| format!("stat of chunk {digest}")),
        }
    }

    /// Deletes a chunk's local file (a sweep step, or the file part of a cache remove).
    ///
    /// # Safety
    /// Deleting a chunk an index needs loses backup data. The caller guarantees:
    /// - **P1** `guard` is this store's mutex for `digest`'s shard, held across the
    ///   decision and this call: no concurrent insert or touch of the chunk;
    /// - **P2** no visible index references the chunk;
    /// - **P3** no active writer of this process inserted, touched or registered it;
    /// - **P4** no active writer of an old process (still alive after a reload) could
    ///   have inserted it.
    pub unsafe fn remove_chunk(
        &self,
        guard: &ChunkStoreGuard<'_, P>,
        digest: &Digest,
    ) -> Result<bool> {
        let fact = Fact::RemoveCalled {
            process: self.process,
            digest: *digest,
            thread: P::thread_id(),
        };
        self.unlink(guard, digest, fact, "removing chunk")
    }

    /// Reports `fact`, then deletes `digest`'s local file (`what` names the deletion in an
    /// error); `Ok(false)` when there was none.
    fn unlink(
        &self,
        guard: &ChunkStoreGuard<'_, P>,
        digest: &Digest,
        fact: Fact,
        what: &str,
    ) -> Result<bool> {
        self.check_guard(guard, digest);
        self.ds.emit(fact);
        self.ds
            .storage
            .chunks
            .remove(digest)
            .with_context(|| format!("{what} {digest}"))
    }

    /// Deletes the local file of a chunk whose bucket object is gone (S3 GC, which holds the
    /// chunk's per-chunk lock and checked the bucket under it). Unlike
    /// [`Self::remove_chunk`], an index may reference the chunk: the file is a marker that
    /// claims an object that no longer exists, and dropping it loses nothing: no local file
    /// is left claiming a gone object.
    pub(crate) fn forget_lost(
        &self,
        guard: &ChunkStoreGuard<'_, P>,
        digest: &Digest,
    ) -> Result<()> {
        let fact = Fact::LostChunkForgotten {
            process: self.process,
            digest: *digest,
            thread: P::thread_id(),
        };
        self.unlink(
            guard,
            digest,
            fact,
            "dropping the local marker of lost chunk",
        )?;
        Ok(())
    }

    /// Renames a corrupt chunk to `<digest>.N.bad`; `None` when it is not there.
    pub(crate) fn quarantine(
        &self,
        guard: &ChunkStoreGuard<'_, P>,
        digest: &Digest,
    ) -> Result<Option<String>> {
        self.check_guard(guard, digest);
        self.ds.emit(Fact::ChunkQuarantined {
            process: self.process,
            digest: *digest,
            thread: P::thread_id(),
        });
        self.ds
            .storage
            .chunks
            .quarantine(digest)
            .with_context(|| format!("renaming corrupt chunk {digest} aside"))
    }

    /// Reads a chunk file's content.
    pub fn read(&self, guard: &ChunkStoreGuard<'_, P>, digest: &Digest) -> Result<Option<Vec<u8>>> {
        self.check_guard(guard, digest);
        self.ds.emit(Fact::ChunkRead {
            process: self.process,
            digest: *digest,
            thread: P::thread_id(),
        });
        self.ds
            .storage
            .chunks
            .read(digest)
            .with_context(|| format!("reading chunk {digest}"))
    }

    /// The datastore.
    pub fn datastore(&self) -> &Arc<Datastore<P>> {
        &self.ds
    }

    /// The owning process.
    pub fn process(&self) -> ProcessId {
        self.process
    }
}

mod seeded;
