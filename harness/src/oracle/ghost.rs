//! Ghost state: the ground truth the oracle rebuilds from the store's events.

pub use super::ghost_gc::GhostGc;
use super::ground::Ground;
use std::collections::{BTreeMap, BTreeSet};
use store::storage::Fault;
use store::{ChunkUse, Digest, Event, Fact, LockGranularity, LockKind, ProcessId, WriterId};

/// An active writer session.
pub struct GhostWriter {
    /// Its process.
    pub process: ProcessId,
    /// Its start time, as the store recorded it for the cutoff.
    pub start: i64,
    /// Chunks it uploaded, re-used or registered: all of them must survive until its
    /// indexes are visible and it has finished.
    pub used: BTreeSet<Digest>,
    /// The chunks of `used` it uploaded or re-used (not merely registered): the store must
    /// have stamped each with an atime no older than the writer's start.
    pub stamped: BTreeSet<Digest>,
    /// Per chunk, its uploads reported and not reported failed since.
    uploads: BTreeMap<Digest, u32>,
    /// Chunks it registered (known from its previous snapshot): used without a stamp.
    registered: BTreeSet<Digest>,
    /// Chunks it re-used (touched because present): used and stamped.
    reused: BTreeSet<Digest>,
}

impl GhostWriter {
    /// A writer of `process` started at `start` that used nothing yet.
    pub fn new(process: ProcessId, start: i64) -> Self {
        Self {
            process,
            start,
            used: BTreeSet::new(),
            stamped: BTreeSet::new(),
            uploads: BTreeMap::new(),
            registered: BTreeSet::new(),
            reused: BTreeSet::new(),
        }
    }

    /// Records a use of `digest`, `how`.
    fn uses(&mut self, digest: Digest, how: ChunkUse) {
        self.used.insert(digest);
        match how {
            ChunkUse::Uploaded => *self.uploads.entry(digest).or_default() += 1,
            ChunkUse::Registered => {
                self.registered.insert(digest);
            }
            ChunkUse::Reused => {
                self.reused.insert(digest);
            }
        }
        if how != ChunkUse::Registered {
            self.stamped.insert(digest);
        }
    }

    /// Records that an upload of `digest` failed: the writer relies on nothing that upload
    /// did. Its session holds the chunk only through another upload, a registration or a
    /// re-use (found by the generated phase under faults: a failed upload kept counting as
    /// a use, which made a GC removing the chunk look like P3 and an old atime of a chunk
    /// known from the previous snapshot look unprotected).
    fn upload_failed(&mut self, digest: Digest) {
        let Some(left) = self.uploads.get_mut(&digest) else {
            return;
        };
        *left -= 1;
        if *left > 0 {
            return;
        }
        self.uploads.remove(&digest);
        if !self.reused.contains(&digest) {
            // The stamp stays required only for a re-use, which touched the chunk itself.
            self.stamped.remove(&digest);
            if !self.registered.contains(&digest) {
                self.used.remove(&digest);
            }
        }
    }
}

/// Who holds a lock, which acquisition of it this is, and what was judged under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    /// The holding thread.
    pub thread: u64,
    /// The acquisition's number (see [`Ghost::acquisitions`]).
    pub acquisition: u64,
    /// Chunks statted under this acquisition (of a chunk store mutex): a remove under it
    /// must be of one of these, so the decision and the remove share the acquisition.
    pub judged: Vec<Digest>,
}

/// An acquisition as the ghost recorded it, with what the state before it held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acquisition {
    /// The lock.
    pub lock: LockKind,
    /// The acquiring thread.
    pub thread: u64,
    /// Whether the thread waited for it (a try-lock does not).
    pub blocking: bool,
    /// A lock of the same or a higher rank the thread already held, if any.
    pub above: Option<LockKind>,
    /// The thread that held the lock already, if any.
    pub previous: Option<u64>,
}

/// Everything the oracle knows.
pub struct Ghost {
    /// How the chunk store mutex is split (which shard a stat is judged under).
    granularity: LockGranularity,
    /// Active writers.
    pub writers: BTreeMap<WriterId, GhostWriter>,
    /// Each process's LRU content, as its events built it (compared with the real LRU at
    /// every release of its mutex).
    pub lru: BTreeMap<ProcessId, BTreeSet<Digest>>,
    /// Chunks another process emptied, removed or renamed aside (through the shared cache
    /// directory) since this process last wrote their content: this process's LRU entries
    /// for them need no local content.
    pub lru_stale: BTreeMap<ProcessId, BTreeSet<Digest>>,
    /// Holder of each held lock.
    pub holders: BTreeMap<LockKind, Holder>,
    /// Acquisitions so far: numbers each one, so that "the same acquisition" is checkable.
    pub acquisitions: u64,
    /// Locks each thread holds, in acquisition order.
    pub held: BTreeMap<u64, Vec<LockKind>>,
    /// Chunks verify renamed aside as corrupt and nobody has written since: their data was
    /// lost to damage outside the store (judged at the rename, `checks::harm::quarantining`).
    pub quarantined: BTreeSet<Digest>,
    /// Running GCs by process.
    pub gcs: BTreeMap<ProcessId, GhostGc>,
    /// Every chunk a published index ever referenced (publications are checked against the
    /// disk): a GC marks nothing else.
    pub ever_published: BTreeSet<Digest>,
    /// Processes a crash killed: their in-memory state (the LRU) is not judged any more.
    pub crashed: BTreeSet<ProcessId>,
    /// Per chunk file, the newest atime a write or touch reported since it was last
    /// removed, forgotten or renamed aside: no later stamp may leave it older.
    pub newest_stamp: BTreeMap<Digest, i64>,
    /// Chunks whose object a thread announced putting and whose per-chunk lock it still
    /// holds: the put may land on either side of a GC's listing.
    putting: BTreeSet<Digest>,
    /// Chunks the store vouched for since their object was last lost: it re-used their
    /// local file for a writer. A lost object is the bucket's doing only until the store
    /// acts as if it were there (see `Ground::object_exists`).
    pub vouched: BTreeSet<Digest>,
}

impl Ghost {
    /// Nothing known yet, for a store whose chunk store mutex is split as `granularity` says.
    pub fn new(granularity: LockGranularity) -> Self {
        Self {
            granularity,
            writers: BTreeMap::new(),
            lru: BTreeMap::new(),
            lru_stale: BTreeMap::new(),
            holders: BTreeMap::new(),
            acquisitions: 0,
            held: BTreeMap::new(),
            quarantined: BTreeSet::new(),
            gcs: BTreeMap::new(),
            ever_published: BTreeSet::new(),
            crashed: BTreeSet::new(),
            newest_stamp: BTreeMap::new(),
            putting: BTreeSet::new(),
            vouched: BTreeSet::new(),
        }
    }

    /// The holding of `lock` by `thread`, if it holds it.
    pub fn held_by(&self, lock: LockKind, thread: u64) -> Option<&Holder> {
        self.holders.get(&lock).filter(|h| h.thread == thread)
    }

    /// The cache directory is shared by every process: once one of them evicts, removes or
    /// renames aside a chunk, the others' LRU entries for it are stale, whether they list
    /// it yet or not (another process may have written the chunk before the eviction
    /// emptied it, and list it only after; found by the generated phase). A stale hit is
    /// only served after checking the file against the digest (anything else is fetched
    /// again), so "LRU entry ⇒ content" holds per process, not across a reload (found by
    /// the state-machine test). The mark lasts until the process writes the content again
    /// ([`Ghost::content_written`]).
    fn invalidate_elsewhere(&mut self, process: ProcessId, digest: Digest) {
        for other in self.lru.keys() {
            if *other != process {
                self.lru_stale.entry(*other).or_default().insert(digest);
            }
        }
    }

    /// `digest`'s local file was lost behind the store's back (a history item): every
    /// process's LRU entry for it is stale, as after another process's eviction, until the
    /// process writes its content again; and its stamps start over, as after a removal.
    pub fn lost_behind_the_store(&mut self, digest: Digest) {
        for process in self.lru.keys() {
            self.lru_stale.entry(*process).or_default().insert(digest);
        }
        self.newest_stamp.remove(&digest);
    }

    /// `process` wrote `digest`'s full content: its own LRU entry needs it again.
    fn content_written(&mut self, process: ProcessId, digest: Digest) {
        if let Some(stale) = self.lru_stale.get_mut(&process) {
            stale.remove(&digest);
        }
    }

    /// The first active writer that uses `digest`, with its process.
    #[inline]
    pub fn writer_using(
        &self,
        digest: &Digest,
        same_process: Option<ProcessId>,
    ) -> Option<(WriterId, ProcessId)> {
        self.writers
            .iter()
            .filter(|(_, w)| match same_process {
                Some(p) => w.process == p,
                None => true,
            })
            .find(|(_, w)| w.used.contains(digest))
            .map(|(id, w)| (*id, w.process))
    }

    /// Updates the ghost state with `event`, after the checks that judge the state it meets.
    /// Every change of the ghost goes through here; `ground` is the storage as the event
    /// left it. A lock acquisition returns what the state before it held, for its checks.
    #[inline]
    pub(crate) fn apply(&mut self, event: &Event<'_>, ground: &Ground) -> Option<Acquisition> {
        match *event {
            Event::Fact(Fact::LockAcquired {
                lock,
                thread,
                blocking,
            }) => return Some(self.acquired(lock, thread, blocking)),
            Event::Fact(fact) => self.apply_fact(fact, ground),
            // Published indexes are read from the disk, where these reports are checked;
            // the ghost keeps what they ever referenced.
            Event::IndexPublished { digests, .. } => {
                self.ever_published.extend(digests.iter().copied());
            }
            Event::SnapshotPruned { .. } | Event::ObjectsDeleting { .. } => {}
        }
        None
    }

    #[inline]
    fn apply_fact(&mut self, fact: Fact, ground: &Ground) {
        if let Fact::FaultInjected {
            fault: Fault::LostObject,
            digest: Some(digest),
            ..
        } = fact
        {
            // Reported before the object goes: only the loss of an object that is there
            // starts a new exemption (a "loss" of one already gone changes nothing).
            if ground.storage.bucket.inspect(&digest) {
                self.vouched.remove(&digest);
            }
        }
        match fact {
            Fact::ProcessStarted { process } => {
                self.lru.insert(process, BTreeSet::new());
            }
            Fact::Reload { .. } => self
                .gcs
                .values_mut()
                .for_each(|gc| gc.overlapped_reload = true),
            Fact::WriterStarted {
                process,
                writer,
                start,
            } => {
                self.writers
                    .insert(writer, GhostWriter::new(process, start));
                self.gcs
                    .values_mut()
                    .for_each(|gc| gc.overlapped_writer = true);
            }
            Fact::ChunkUsed {
                writer,
                digest,
                how,
                ..
            } => {
                if how == ChunkUse::Reused {
                    self.vouched.insert(digest);
                }
                self.writer(writer, |w| w.uses(digest, how));
            }
            Fact::ChunkUploadFailed { writer, digest, .. } => {
                self.writer(writer, |w| w.upload_failed(digest))
            }
            Fact::WriterFinished { writer, .. } => {
                self.writers.remove(&writer);
            }
            Fact::LockReleased { .. }
            | Fact::LruReleased { .. }
            | Fact::LruInserted { .. }
            | Fact::LruRemoved { .. }
            | Fact::ChunkStatted { .. } => self.apply_lock(fact),
            Fact::ChunkStamped {
                process,
                digest,
                atime,
                written,
                ..
            } => {
                let newest = self.newest_stamp.entry(digest).or_insert(atime);
                *newest = (*newest).max(atime);
                if written {
                    self.written(process, digest, ground.has_content(&digest));
                }
            }
            // Renaming a chunk aside, removing it or dropping a lost one changes the shared
            // cache directory whether or not the acting process's LRU listed the chunk (found
            // by the generated phase: a verify in the new process made the old process's
            // entry stale without any LRU removal).
            Fact::ChunkQuarantined {
                process, digest, ..
            } => {
                self.quarantined.insert(digest);
                self.newest_stamp.remove(&digest);
                self.invalidate_elsewhere(process, digest);
            }
            Fact::RemoveCalled {
                process, digest, ..
            }
            | Fact::LostChunkForgotten {
                process, digest, ..
            } => {
                self.newest_stamp.remove(&digest);
                self.invalidate_elsewhere(process, digest)
            }
            Fact::GcStarted { .. }
            | Fact::GcListingBucket { .. }
            | Fact::ObjectPutting { .. }
            | Fact::GcSkippedBusy { .. }
            | Fact::GcFinished { .. }
            | Fact::FaultInjected { .. } => self.apply_gc(fact),
            Fact::ProcessCrashed { process } => {
                self.crashed.insert(process);
            }
            // Applied by `Ghost::apply`, which returns the acquisition for its checks.
            Fact::LockAcquired { .. } => {}
            // Reads and decisions change nothing the ghost keeps.
            Fact::CacheHitServed { .. }
            | Fact::ChunkRead { .. }
            | Fact::ObjectRead { .. }
            | Fact::Decided { .. } => {}
        }
    }

    /// [`Ghost::apply`] for a lock let go, an LRU change, or a stat under a lock.
    fn apply_lock(&mut self, fact: Fact) {
        match fact {
            Fact::LockReleased { lock, thread } => self.released(lock, thread),
            Fact::LruReleased {
                process, thread, ..
            } => self.released(LockKind::Lru(process), thread),
            Fact::LruInserted {
                process, digest, ..
            } => {
                self.lru.entry(process).or_default().insert(digest);
            }
            Fact::LruRemoved {
                process, digest, ..
            } => {
                self.invalidate_elsewhere(process, digest);
                if let Some(lru) = self.lru.get_mut(&process) {
                    lru.remove(&digest);
                }
            }
            Fact::ChunkStatted {
                process,
                digest,
                thread,
            } => self.statted(process, digest, thread),
            _ => unreachable!("not a lock or LRU fact: {fact:?}"),
        }
    }

    /// [`Ghost::apply`] for a GC's progress, or a bucket put or fault a GC listing may miss.
    fn apply_gc(&mut self, fact: Fact) {
        match fact {
            Fact::GcStarted {
                process,
                min_atime,
                thread,
                ..
            } => {
                self.gcs.insert(process, GhostGc::new(thread, min_atime));
            }
            Fact::GcListingBucket { process } => self.listing(process),
            Fact::ObjectPutting { digest, .. } => self.putting(digest),
            Fact::GcSkippedBusy { digest } => {
                self.gcs.values_mut().for_each(|gc| {
                    gc.skipped.insert(digest);
                });
            }
            Fact::GcFinished { process, .. } => {
                self.gcs.remove(&process);
            }
            Fact::FaultInjected {
                fault,
                digest,
                thread,
                ..
            } => self.fault(fault, digest, thread),
            _ => unreachable!("not a GC fact: {fact:?}"),
        }
    }

    fn writer(&mut self, writer: WriterId, update: impl FnOnce(&mut GhostWriter)) {
        if let Some(w) = self.writers.get_mut(&writer) {
            update(w);
        }
    }

    /// `thread` acquired `lock`: a new acquisition. Returns what the state before it held
    /// that the lock checks judge, found with the same map lookups that record it (lock
    /// events are the most frequent ones).
    fn acquired(&mut self, lock: LockKind, thread: u64, blocking: bool) -> Acquisition {
        let held = self.held.entry(thread).or_default();
        let above = held.iter().find(|h| h.rank() >= lock.rank()).copied();
        held.push(lock);
        self.acquisitions += 1;
        let holder = Holder {
            thread,
            acquisition: self.acquisitions,
            judged: Vec::new(),
        };
        let previous = self.holders.insert(lock, holder).map(|h| h.thread);
        Acquisition {
            lock,
            thread,
            blocking,
            above,
            previous,
        }
    }

    fn released(&mut self, lock: LockKind, thread: u64) {
        if let LockKind::Chunk(digest) = lock {
            self.putting.remove(&digest);
        }
        self.holders.remove(&lock);
        if let Some(held) = self.held.get_mut(&thread) {
            held.retain(|h| *h != lock);
        }
    }

    /// A stat under the chunk store mutex (`checks::guards::changed` judged that it is held)
    /// is the judgement a remove under the same acquisition must be decided by.
    fn statted(&mut self, process: ProcessId, digest: Digest, thread: u64) {
        let mutex = LockKind::ChunkStore(process, self.granularity.shard_of(&digest));
        if let Some(holder) = self.holders.get_mut(&mutex).filter(|h| h.thread == thread) {
            holder.judged.push(digest);
        }
    }

    /// A write of `digest`'s local file by `process`: no longer quarantined; a write that
    /// leaves a marker (an eviction emptying the file) makes the other processes' LRU
    /// entries stale when it happens, which may be after the evicting process's LRU removal
    /// and after another process cached the chunk again (found by the generated phase).
    fn written(&mut self, process: ProcessId, digest: Digest, has_content: bool) {
        self.quarantined.remove(&digest);
        match has_content {
            true => self.content_written(process, digest),
            false => self.invalidate_elsewhere(process, digest),
        }
    }

    fn listing(&mut self, process: ProcessId) {
        if let Some(gc) = self.gcs.get_mut(&process) {
            gc.listing = true;
            gc.put_after_listing.extend(self.putting.iter().copied());
        }
    }

    fn putting(&mut self, digest: Digest) {
        self.putting.insert(digest);
        for gc in self.gcs.values_mut().filter(|gc| gc.listing) {
            gc.put_after_listing.insert(digest);
        }
    }

    /// A stale listing misses the object put last: to the GC listing on that thread, it
    /// was put after the listing began. Other faults change nothing the ghost keeps.
    fn fault(&mut self, fault: Fault, digest: Option<Digest>, thread: u64) {
        if let (Fault::StaleListing, Some(digest)) = (fault, digest) {
            for gc in self.gcs.values_mut().filter(|gc| gc.thread == thread) {
                gc.put_after_listing.insert(digest);
            }
        }
    }
}
