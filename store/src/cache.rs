//! `LocalDatastoreLruCache`: the S3 backend's local chunk cache.
//!
//! The local chunk store holds, per chunk, either its full content (cached) or a zero-length
//! marker (evicted, still carrying the GC's atime mark). An in-memory LRU of digests decides
//! which chunks keep content. Lock order: chunk store mutex, then the LRU mutex. Upstream's
//! eviction callback runs inside the LRU mutex and relies on the chunk store mutex already
//! being held; here the LRU mutex only covers the list itself, and the evicted chunk's file
//! is turned into a marker after it is released, under the chunk's shard (see
//! [`LocalDatastoreLruCache::insert`]).
//!
//! With a sharded chunk store mutex, inserting X holds X's shard, but the chunk Y it evicts
//! may belong to another shard, whose mutex must not be taken inside the LRU mutex (lock
//! order) nor while X's shard is held (two shards are never nested). Then Y is only popped
//! from the LRU there; after both are released, Y's shard is taken and Y's file turned
//! into a marker if it still needs it (see [`LocalDatastoreLruCache::insert`]).

use crate::bugs::SeededBug;
use crate::chunk_store::{ChunkStore, ChunkStoreGuard};
use crate::decision::Decision;
use crate::digest::Digest;
use crate::error::StoreError;
use crate::observer::{lru_fingerprint, Fact, LockKind};
use crate::platform::{acting_as, unless_torn_down, LockClass, Mutex, MutexGuard, Platform, Role};
use crate::storage::ChunkStat;
use anyhow::{Context, Result};
use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::Arc;

/// The local LRU cache of chunk content in front of the bucket.
pub struct LocalDatastoreLruCache<P: Platform> {
    store: Arc<ChunkStore<P>>,
    lru: Mutex<P, LruCache<Digest, ()>>,
}

/// A held LRU mutex; reports its release.
struct LruGuard<'a, P: Platform> {
    cache: &'a LocalDatastoreLruCache<P>,
    lru: MutexGuard<'a, P, LruCache<Digest, ()>>,
}

impl<P: Platform> Drop for LruGuard<'_, P> {
    fn drop(&mut self) {
        unless_torn_down::<P>(|| {
            let ds = self.cache.store.datastore();
            let thread = P::thread_id();
            if ds.inspects_lru() {
                ds.emit(Fact::LruReleased {
                    process: self.cache.store.process(),
                    thread,
                    entries: self.lru.len() as u64,
                    fingerprint: lru_fingerprint(self.lru.iter().map(|(d, ())| d)),
                });
            } else {
                ds.emit(Fact::LockReleased {
                    lock: self.cache.lock_kind(),
                    thread,
                });
            }
        });
    }
}

impl<P: Platform> LocalDatastoreLruCache<P> {
    /// A cache of `capacity` chunks over `store`.
    pub fn new(store: Arc<ChunkStore<P>>, capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        Self {
            store,
            lru: Mutex::new(LockClass::Lru, LruCache::new(capacity)),
        }
    }

    fn lock_kind(&self) -> LockKind {
        LockKind::Lru(self.store.process())
    }

    #[track_caller]
    fn lock_lru(&self) -> LruGuard<'_, P> {
        let lru = self.lru.lock();
        self.store.datastore().emit(Fact::LockAcquired {
            lock: self.lock_kind(),
            thread: P::thread_id(),
            blocking: true,
        });
        LruGuard { cache: self, lru }
    }

    /// Caches a chunk's content: under the chunk store mutex, writes the file and enters the
    /// LRU, whose eviction turns the least recently used chunk's file into a marker once the
    /// LRU mutex is released.
    ///
    /// When the evicted chunk Y belongs to another shard than `digest`, it is only popped
    /// from the LRU under `digest`'s shard; Y's marker is written afterwards under Y's own
    /// shard (`evict_deferred`). Meanwhile Y has content but no LRU entry, which the
    /// cache allows (the LRU only promises content for what it lists).
    ///
    /// # Errors
    /// I/O errors of the local store; the LRU is only updated after the file is written.
    pub fn insert(&self, digest: &Digest, data: &[u8]) -> Result<()> {
        if self
            .store
            .datastore()
            .bug(SeededBug::EvictionLocksStoreInsideLru)
        {
            return self.insert_inverted(digest, data);
        }
        let deferred = {
            let guard = self.store.lock(digest);
            self.store.write(&guard, digest, data)?;
            let mut lru = self.lock_lru();
            let pushed = lru.lru.push(*digest, ());
            // Reported as soon as it is in: the eviction below may fail (an I/O error), and
            // the LRU lists the chunk whatever happens to the evicted one (found by the
            // generated phase under faults).
            self.emit_inserted(digest);
            let evicted = match pushed {
                None => {
                    self.store.decide(Decision::CacheInsertRoom, digest);
                    return Ok(());
                }
                Some((evicted, ())) if evicted == *digest => {
                    self.store.decide(Decision::CacheInsertRefreshed, digest);
                    return Ok(());
                }
                Some((evicted, ())) => evicted,
            };
            self.emit_lru_removed(&evicted);
            // The LRU mutex is released before the evicted chunk's file is touched: only
            // its shard, held from here to the marker when it is `digest`'s, keeps
            // another thread from caching it again meanwhile (every LRU insert of a chunk
            // happens under its shard). The file I/O of an eviction no longer holds up
            // every other cache user.
            drop(lru);
            if !guard.covers(&evicted) {
                self.store
                    .decide(Decision::CacheInsertEvictedDeferred, &evicted);
                evicted
            } else {
                self.store
                    .decide(Decision::CacheInsertEvictedHere, &evicted);
                return self.evict_to_marker(&guard, &evicted);
            }
        };
        self.evict_deferred(&deferred)
    }

    /// Second half of a cross-shard eviction, with no lock held on entry: under the evicted
    /// chunk's own shard, turns its file into a marker with the same atime, unless
    /// - the LRU lists it again (re-cached meanwhile: its content is needed), or
    /// - its file is gone (GC removed it meanwhile, and maybe its object: writing a marker
    ///   would resurrect a local file without an object) or is already a marker (verify).
    ///
    /// Every write of the chunk's file and every LRU insert of it happens under its shard,
    /// which is held from the check to the write, so the decision cannot go stale.
    fn evict_deferred(&self, digest: &Digest) -> Result<()> {
        let guard = self.store.lock(digest);
        if self.lock_lru().lru.contains(digest) {
            self.store.decide(Decision::EvictRecached, digest);
            return Ok(());
        }
        let stat = self.store.stat(&guard, digest)?;
        self.store.decide(evicted(stat), digest);
        match stat {
            Some(stat) if stat.size > 0 => self.empty_to_marker(&guard, digest, stat.atime),
            _ => Ok(()),
        }
    }

    /// Turns a chunk's file into a marker in place, so it keeps the atime it has at that
    /// moment: the chunk store mutex only excludes this process, and a writer of another
    /// process (after a reload) may touch the chunk after `statted_atime` was read (the
    /// seeded [`SeededBug::EvictionRollsBackAtime`] writes a new marker with it instead).
    fn empty_to_marker(
        &self,
        guard: &ChunkStoreGuard<'_, P>,
        digest: &Digest,
        statted_atime: i64,
    ) -> Result<()> {
        let emptied = match self
            .store
            .datastore()
            .bug(SeededBug::EvictionRollsBackAtime)
        {
            true => self.marker_with_atime(guard, digest, statted_atime),
            false => self.store.truncate(guard, digest).map(drop),
        };
        emptied.with_context(|| format!("evicting chunk {digest} to a marker"))
    }

    fn emit_inserted(&self, digest: &Digest) {
        self.store.datastore().emit(Fact::LruInserted {
            process: self.store.process(),
            digest: *digest,
            thread: P::thread_id(),
        });
    }

    fn emit_lru_removed(&self, digest: &Digest) {
        self.store.datastore().emit(Fact::LruRemoved {
            process: self.store.process(),
            digest: *digest,
            thread: P::thread_id(),
        });
    }

    /// The eviction callback: empties the chunk's file to a marker, keeping its atime.
    /// `guard` holds the chunk's shard; the chunk has left the LRU.
    fn evict_to_marker(&self, guard: &ChunkStoreGuard<'_, P>, digest: &Digest) -> Result<()> {
        let stat = self.store.stat(guard, digest)?;
        self.store.decide(evicted(stat), digest);
        match stat {
            Some(stat) => self.empty_to_marker(guard, digest, stat.atime),
            None => Ok(()),
        }
    }

    /// Whether the LRU holds `digest` (its content is local).
    pub fn contains(&self, digest: &Digest) -> bool {
        self.lock_lru().lru.contains(digest)
    }

    /// Reads a chunk under its per-chunk lock: from the local content on an LRU hit when it
    /// hashes to the digest, otherwise from the bucket, in which case the chunk is checked
    /// against its digest and cached (over a rotten local copy).
    ///
    /// # Errors
    /// [`StoreError::MissingChunk`] when the bucket has no such object,
    /// [`StoreError::DigestMismatch`] when its content is corrupt (nothing is cached), or I/O.
    pub fn access(&self, digest: &Digest) -> Result<Vec<u8>> {
        let _acting = acting_as::<P>(Role::Reader);
        // The per-chunk lock keeps GC from deleting the object between fetch and insert.
        let _lock = self.store.datastore().lock_chunk(*digest);
        if let Some(data) = self.local_hit(digest)? {
            return Ok(data);
        }
        let ds = self.store.datastore();
        ds.reading_object(self.store.process(), digest);
        let Some(data) = (ds.storage.bucket.get(digest))
            .with_context(|| format!("fetching chunk {digest} from the bucket"))?
        else {
            self.store.decide(Decision::CacheFetchMissing, digest);
            return Err(StoreError::MissingChunk(*digest).into());
        };
        if let Err(err) = digest.verify(&data) {
            self.store.decide(Decision::CacheFetchCorrupt, digest);
            return Err(err).with_context(|| format!("bucket object of chunk {digest}"));
        }
        self.store.decide(Decision::CacheFetched, digest);
        self.insert(digest, &data)?;
        Ok(data)
    }

    /// The local copy of `digest` on an LRU hit, when it hashes to the digest; `None` when
    /// the bucket must serve it. The caller holds the per-chunk lock.
    fn local_hit(&self, digest: &Digest) -> Result<Option<Vec<u8>>> {
        let guard = self.store.lock(digest);
        if self.lock_lru().lru.get(digest).is_none() {
            self.store.decide(Decision::CacheMiss, digest);
            return Ok(None);
        }
        let Some(data) = self.store.read(&guard, digest)? else {
            self.store.decide(Decision::CacheHitNoFile, digest);
            return Ok(None);
        };
        // A local copy that does not hash to the digest (a marker, or bit rot in the cache
        // directory) is fetched again from the bucket, the chunk's home.
        let intact = digest.verify(&data).is_ok();
        let ds = self.store.datastore();
        let rotten = !data.is_empty() && ds.bug(SeededBug::CacheServesRottenCopy);
        if !(intact || rotten) {
            self.store.decide(Decision::CacheHitNotIntact, digest);
            return Ok(None);
        }
        if intact {
            self.store.decide(Decision::CacheHitIntact, digest);
        }
        ds.emit(Fact::CacheHitServed {
            process: self.store.process(),
            digest: *digest,
            intact,
        });
        Ok(Some(data))
    }

    /// Drops `digest` from the LRU only (verify, after renaming a corrupt chunk aside);
    /// `held` holds the chunk's shard.
    pub(crate) fn forget(&self, held: &ChunkStoreGuard<'_, P>, digest: &Digest) {
        self.store.check_guard(held, digest);
        let mut lru = self.lock_lru();
        if lru.lru.pop(digest).is_some() {
            self.emit_lru_removed(digest);
        }
    }

    /// Removes a chunk from the cache: its LRU entry and its local file.
    ///
    /// # Safety
    /// The chunk may be the last local trace of a chunk an index needs. The caller
    /// guarantees:
    /// - **P1** `guard` is the chunk store mutex of this cache's process for `digest`'s
    ///   shard, held across the decision to remove and this call: no concurrent insert,
    ///   touch or eviction marker of the chunk;
    /// - **P2** no visible index references the chunk;
    /// - **P3** no active writer of this process inserted, touched or registered it (its
    ///   atime is newer than the writer's start);
    /// - **P4** no active writer of an old process, still alive after a reload, could have
    ///   inserted it.
    ///
    /// # Errors
    /// When the local file cannot be deleted.
    pub(crate) unsafe fn remove(
        &self,
        digest: &Digest,
        guard: &ChunkStoreGuard<'_, P>,
    ) -> Result<()> {
        self.forget(guard, digest);
        // SAFETY: P1–P4 are this function's own preconditions, passed on unchanged (P1:
        // `guard` holds `digest`'s shard, as `forget` above checks in debug builds).
        unsafe { self.store.remove_chunk(guard, digest) }?;
        Ok(())
    }
}

/// What an eviction found the evicted chunk's file to be.
fn evicted(stat: Option<ChunkStat>) -> Decision {
    match stat {
        Some(stat) if stat.size > 0 => Decision::EvictContent,
        Some(_) => Decision::EvictMarker,
        None => Decision::EvictGone,
    }
}

/// The seeded bugs of the cache that need code of their own.
mod seeded {
    use super::LocalDatastoreLruCache;
    use crate::chunk_store::ChunkStoreGuard;
    use crate::digest::Digest;
    use crate::platform::Platform;
    use anyhow::Result;

    impl<P: Platform> LocalDatastoreLruCache<P> {
        /// [`crate::SeededBug::EvictionLocksStoreInsideLru`]: the eviction callback takes the
        /// chunk store mutex while the LRU mutex is held (the lock order inverted).
        pub(super) fn insert_inverted(&self, digest: &Digest, data: &[u8]) -> Result<()> {
            {
                let guard = self.store.lock(digest);
                self.store.write(&guard, digest, data)?;
            }
            let mut lru = self.lock_lru();
            if let Some((evicted, ())) = lru.lru.push(*digest, ()) {
                if evicted != *digest {
                    self.emit_lru_removed(&evicted);
                    let guard = self.store.lock(&evicted);
                    self.evict_to_marker(&guard, &evicted)?;
                }
            }
            self.emit_inserted(digest);
            Ok(())
        }

        /// [`crate::SeededBug::EvictionRollsBackAtime`]: eviction replaces the chunk's file
        /// by a new marker carrying the atime it read before, rolling back a touch by
        /// another process's writer in between.
        pub(super) fn marker_with_atime(
            &self,
            guard: &ChunkStoreGuard<'_, P>,
            digest: &Digest,
            atime: i64,
        ) -> Result<()> {
            self.store.write_with_atime(guard, digest, &[], atime)
        }
    }
}
