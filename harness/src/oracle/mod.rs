//! The oracle: checks the store's safety properties against ghost state at every event.
//!
//! The oracle is the store's [`Observer`]. From the store's own events it keeps ghost state
//! (visible indexes, each active writer's chunks and process, lock holders, LRU contents,
//! running GCs) and checks, at the moment each event happens:
//!
//! - at every `remove`: **P1** the caller holds its process's chunk store mutex (the shard
//!   of the removed digest, when the store's mutex is sharded); **P2** no
//!   visible index references the chunk; **P3** no active writer of the same process uses
//!   it; **P4** no active writer of another process uses it;
//! - **harm**: no bucket object deleted while a visible index or an active writer references
//!   it, and every index is published only when all its chunks exist;
//! - **LRU content**: a process's LRU only lists chunks with full local content (entries
//!   another process invalidated through the shared cache directory excepted);
//! - **cache/bucket**: when a per-chunk lock is released, a local file implies the object;
//! - **lock order**: per-chunk lock → chunk store mutex → LRU mutex, for blocking acquires;
//! - **single GC**: at most one GC runs across all processes;
//! - **progress**: when a GC completes, no chunk older than its cutoff is left (except
//!   those it skipped because their per-chunk lock was busy).
//!
//! A violation panics with the property's name, the details and the recent event trail, so
//! loom and shuttle report it with the failing schedule. The oracle only takes plain std
//! locks and reads storage through `inspect`, so it adds no scheduling point and never
//! changes what the store does.

mod describe;
mod ghost;
mod trail;

pub use describe::{describe, Recorded};
use ghost::{Ghost, GhostGc, GhostWriter};
use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use store::{Backend, Digest, Event, LockGranularity, LockKind, Observer, ProcessId, Storage};
use trail::Trail;

/// A property the oracle checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Property {
    /// `remove` without the chunk store mutex of its process.
    P1,
    /// `remove` of a chunk a visible index references.
    P2,
    /// `remove` of a chunk an active writer of the same process uses.
    P3,
    /// `remove` of a chunk an active writer of another process uses.
    P4,
    /// A referenced chunk is gone (deleted object, or an index published over a missing chunk).
    Harm,
    /// An LRU entry without full local content.
    LruContent,
    /// A local chunk file without its bucket object outside the per-chunk lock.
    CacheBucket,
    /// Locks taken against the order per-chunk → chunk store → LRU.
    LockOrder,
    /// Two GCs at once.
    SingleGc,
    /// A completed GC left garbage older than its cutoff.
    Progress,
}

impl Property {
    /// Every property.
    pub const ALL: [Property; 10] = [
        Self::P1,
        Self::P2,
        Self::P3,
        Self::P4,
        Self::Harm,
        Self::LruContent,
        Self::CacheBucket,
        Self::LockOrder,
        Self::SingleGc,
        Self::Progress,
    ];

    /// The name used in violation messages: `"<name> violated: ..."`.
    pub fn name(self) -> &'static str {
        match self {
            Self::P1 => "P1",
            Self::P2 => "P2",
            Self::P3 => "P3",
            Self::P4 => "P4",
            Self::Harm => "harm",
            Self::LruContent => "LRU content",
            Self::CacheBucket => "cache/bucket",
            Self::LockOrder => "lock order",
            Self::SingleGc => "single GC",
            Self::Progress => "progress",
        }
    }

    /// The property named at the start of a violation (or panic) message.
    pub fn of_message(message: &str) -> Option<Property> {
        Self::ALL
            .into_iter()
            .find(|p| message.starts_with(&format!("{} violated", p.name())))
    }
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How often the dangerous states were reached (coverage of one run).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Events observed.
    pub events: u64,
    /// `remove` calls checked.
    pub removes: u64,
    /// Removes while a writer of any process was active (P3/P4 at risk).
    pub removes_with_active_writer: u64,
    /// Removes while some visible index existed (P2 at risk).
    pub removes_with_visible_index: u64,
    /// Removes by a GC during which a writer started.
    pub removes_writer_started_during_gc: u64,
    /// Removes by a GC during which a reload happened.
    pub removes_reload_during_gc: u64,
    /// Bucket objects deleted.
    pub objects_deleted: u64,
    /// GCs that completed.
    pub gcs_completed: u64,
    /// GCs that aborted or failed.
    pub gcs_aborted: u64,
}

impl Coverage {
    /// Adds another run's counts to these.
    pub fn add(&mut self, other: &Coverage) {
        self.events += other.events;
        self.removes += other.removes;
        self.removes_with_active_writer += other.removes_with_active_writer;
        self.removes_with_visible_index += other.removes_with_visible_index;
        self.removes_writer_started_during_gc += other.removes_writer_started_during_gc;
        self.removes_reload_during_gc += other.removes_reload_during_gc;
        self.objects_deleted += other.objects_deleted;
        self.gcs_completed += other.gcs_completed;
        self.gcs_aborted += other.gcs_aborted;
    }
}

/// Coverage of every oracle dropped since the last [`take_coverage`] (process-wide).
static DROPPED_COVERAGE: Mutex<Coverage> = Mutex::new(Coverage {
    events: 0,
    removes: 0,
    removes_with_active_writer: 0,
    removes_with_visible_index: 0,
    removes_writer_started_during_gc: 0,
    removes_reload_during_gc: 0,
    objects_deleted: 0,
    gcs_completed: 0,
    gcs_aborted: 0,
});

/// Returns and resets the summed coverage of every oracle dropped since the last call.
///
/// Each scenario execution builds and drops its own oracle, so a driver that runs one
/// scenario at a time reads that scenario's coverage over all its schedules here.
pub fn take_coverage() -> Coverage {
    std::mem::take(&mut *DROPPED_COVERAGE.lock().unwrap_or_else(|e| e.into_inner()))
}

struct State {
    ghost: Ghost,
    trail: Trail,
    coverage: Coverage,
    violation: Option<(Property, String)>,
}

/// The checking observer. Build one per execution, over the same storage as the store.
pub struct Oracle {
    storage: Storage,
    backend: Backend,
    check_lock_order: bool,
    granularity: LockGranularity,
    state: Mutex<State>,
}

impl Oracle {
    /// An oracle for a datastore over `storage` with `backend`, checking every property.
    pub fn new(storage: &Storage, backend: Backend) -> Arc<Self> {
        Self::with_lock_order(storage, backend, true)
    }

    /// Like [`Oracle::new`]; with `check_lock_order` false the lock order is not checked, so
    /// a lock-order inversion runs on until the checker finds the deadlock it causes.
    pub fn with_lock_order(
        storage: &Storage,
        backend: Backend,
        check_lock_order: bool,
    ) -> Arc<Self> {
        Self::with_granularity(storage, backend, check_lock_order, LockGranularity::Single)
    }

    /// Like [`Oracle::with_lock_order`], for a store whose chunk store mutex is split as
    /// `granularity` says: P1 then asks for the mutex of the removed digest's shard
    /// ([`LockGranularity::shard_of`], the same mapping the store uses).
    pub fn with_granularity(
        storage: &Storage,
        backend: Backend,
        check_lock_order: bool,
        granularity: LockGranularity,
    ) -> Arc<Self> {
        Arc::new(Self {
            storage: storage.clone(),
            backend,
            check_lock_order,
            granularity,
            state: Mutex::new(State {
                ghost: Ghost::default(),
                trail: Trail::new(40),
                coverage: Coverage::default(),
                violation: None,
            }),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What this execution covered so far.
    pub fn coverage(&self) -> Coverage {
        self.state().coverage.clone()
    }

    /// The first violation seen, if any: its property and full message.
    pub fn violation(&self) -> Option<(Property, String)> {
        self.state().violation.clone()
    }

    /// Whether `digest` has full content locally. A zero-length file is a marker, except
    /// for the empty chunk, whose full content is zero bytes.
    fn has_content(&self, digest: &Digest) -> bool {
        self.storage
            .chunks
            .inspect(digest)
            .is_some_and(|st| st.size > 0 || *digest == Digest::of(&[]))
    }

    /// Whether `digest` exists where chunks live (local content, or the bucket object).
    fn chunk_exists(&self, digest: &Digest) -> bool {
        match self.backend {
            Backend::Filesystem => self.has_content(digest),
            Backend::S3 => self.storage.bucket.inspect(digest),
        }
    }

    fn check(&self, state: &mut State, event: &Event<'_>) -> Result<(), (Property, String)> {
        let ghost = &mut state.ghost;
        match *event {
            Event::ProcessStarted { process } => {
                ghost.lru.insert(process, BTreeSet::new());
            }
            Event::Reload { .. } => {
                for gc in ghost.gcs.values_mut() {
                    gc.overlapped_reload = true;
                }
            }
            Event::WriterStarted {
                process, writer, ..
            } => {
                ghost.writers.insert(
                    writer,
                    GhostWriter {
                        process,
                        used: BTreeSet::new(),
                    },
                );
                for gc in ghost.gcs.values_mut() {
                    gc.overlapped_writer = true;
                }
            }
            Event::ChunkUsed { writer, digest, .. } => {
                if let Some(w) = ghost.writers.get_mut(&writer) {
                    w.used.insert(digest);
                }
            }
            Event::IndexPublished {
                writer,
                snapshot,
                name,
                digests,
                ..
            } => {
                if let Some(missing) = digests.iter().find(|d| !self.chunk_exists(d)) {
                    return Err((
                        Property::Harm,
                        format!("{writer} published {snapshot}/{name} referencing {missing}, which is gone"),
                    ));
                }
                ghost
                    .visible
                    .insert((snapshot.clone(), name.to_string()), digests.to_vec());
            }
            Event::WriterFinished { writer, .. } => {
                ghost.writers.remove(&writer);
            }
            Event::SnapshotPruned { snapshot } => ghost.prune(snapshot),
            Event::LockAcquired {
                lock,
                thread,
                blocking,
            } => {
                let held = ghost.held.entry(thread).or_default();
                if blocking && self.check_lock_order {
                    if let Some(above) = held.iter().find(|h| h.rank() >= lock.rank()) {
                        return Err((
                            Property::LockOrder,
                            format!("thread {thread} waited for {lock:?} while holding {above:?}"),
                        ));
                    }
                }
                held.push(lock);
                if let Some(other) = ghost.holders.insert(lock, thread) {
                    return Err((
                        Property::LockOrder,
                        format!("{lock:?} taken by thread {thread} while thread {other} holds it"),
                    ));
                }
            }
            Event::LockReleased { lock, thread } => {
                ghost.holders.remove(&lock);
                if let Some(held) = ghost.held.get_mut(&thread) {
                    held.retain(|h| *h != lock);
                }
                match lock {
                    LockKind::Chunk(digest) => self.check_cache_bucket(&digest)?,
                    LockKind::Lru(process) => self.check_lru(ghost, process)?,
                    LockKind::ChunkStore(..) => {}
                }
            }
            Event::ChunkStamped { .. } | Event::ChunkQuarantined { .. } => {}
            Event::LruInserted { process, digest } => {
                ghost.lru.entry(process).or_default().insert(digest);
            }
            Event::LruRemoved { digest, .. } => {
                // The cache directory is shared by every process: once one of them evicts or
                // removes the chunk, the others' entries for it are stale. They are dropped
                // here, since a stale hit is only read after checking the file (an empty
                // file is refetched): "LRU entry ⇒ content" holds per process, not across a
                // reload (found by the state-machine test).
                for lru in ghost.lru.values_mut() {
                    lru.remove(&digest);
                }
            }
            Event::RemoveCalled {
                process,
                digest,
                thread,
            } => {
                Self::count_remove(&mut state.coverage, ghost, process);
                Self::check_remove(ghost, self.granularity, process, digest, thread)?;
            }
            Event::ObjectsDeleting { digests, .. } => {
                state.coverage.objects_deleted += digests.len() as u64;
                for digest in digests {
                    if let Some(index) = ghost.visible_reference(digest) {
                        return Err((
                            Property::Harm,
                            format!("object {digest} deleted from the bucket while {index} references it"),
                        ));
                    }
                    if let Some((writer, p)) = ghost.writer_using(digest, None) {
                        return Err((
                            Property::Harm,
                            format!("object {digest} deleted from the bucket while {writer} ({p}) uses it"),
                        ));
                    }
                }
            }
            Event::GcStarted {
                process, min_atime, ..
            } => {
                if let Some(other) = ghost.gcs.keys().next() {
                    return Err((
                        Property::SingleGc,
                        format!("GC of {process} started while GC of {other} runs"),
                    ));
                }
                ghost.gcs.insert(
                    process,
                    GhostGc {
                        min_atime,
                        skipped: BTreeSet::new(),
                        overlapped_writer: false,
                        overlapped_reload: false,
                    },
                );
            }
            Event::GcSkippedBusy { digest } => {
                for gc in ghost.gcs.values_mut() {
                    gc.skipped.insert(digest);
                }
            }
            Event::GcFinished { process, completed } => {
                let gc = ghost.gcs.remove(&process);
                if completed {
                    state.coverage.gcs_completed += 1;
                    if let Some(gc) = gc {
                        self.check_progress(ghost, &gc)?;
                    }
                } else {
                    state.coverage.gcs_aborted += 1;
                }
            }
        }
        Ok(())
    }

    fn count_remove(coverage: &mut Coverage, ghost: &Ghost, process: ProcessId) {
        coverage.removes += 1;
        if !ghost.writers.is_empty() {
            coverage.removes_with_active_writer += 1;
        }
        if !ghost.visible.is_empty() {
            coverage.removes_with_visible_index += 1;
        }
        if let Some(gc) = ghost.gcs.get(&process) {
            if gc.overlapped_writer {
                coverage.removes_writer_started_during_gc += 1;
            }
            if gc.overlapped_reload {
                coverage.removes_reload_during_gc += 1;
            }
        }
    }

    /// P1–P4 at a `remove` call.
    fn check_remove(
        ghost: &Ghost,
        granularity: LockGranularity,
        process: ProcessId,
        digest: Digest,
        thread: u64,
    ) -> Result<(), (Property, String)> {
        let mutex = LockKind::ChunkStore(process, granularity.shard_of(&digest));
        match ghost.holders.get(&mutex) {
            Some(holder) if *holder == thread => {}
            holder => {
                return Err((
                    Property::P1,
                    format!(
                        "remove({digest}) by thread {thread} of {process}, but its chunk store mutex is held by {}",
                        holder.map_or("nobody".to_string(), |t| format!("thread {t}"))
                    ),
                ))
            }
        }
        if let Some(index) = ghost.visible_reference(&digest) {
            return Err((
                Property::P2,
                format!("{digest} removed by {process} but referenced by visible index {index}"),
            ));
        }
        if let Some((writer, p)) = ghost.writer_using(&digest, Some(process)) {
            return Err((
                Property::P3,
                format!("{digest} removed by {process} but used by {writer} ({p})"),
            ));
        }
        if let Some((writer, p)) = ghost.writer_using(&digest, None) {
            return Err((
                Property::P4,
                format!("{digest} removed by {process} but used by {writer} of {p}"),
            ));
        }
        Ok(())
    }

    fn check_cache_bucket(&self, digest: &Digest) -> Result<(), (Property, String)> {
        if self.backend == Backend::S3
            && self.storage.chunks.inspect(digest).is_some()
            && !self.storage.bucket.inspect(digest)
        {
            return Err((
                Property::CacheBucket,
                format!("chunk lock of {digest} released with a local file but no bucket object"),
            ));
        }
        Ok(())
    }

    fn check_lru(&self, ghost: &Ghost, process: ProcessId) -> Result<(), (Property, String)> {
        let lru = ghost.lru.get(&process).into_iter().flatten();
        if let Some(digest) = lru.into_iter().find(|d| !self.has_content(d)) {
            return Err((
                Property::LruContent,
                format!("the LRU of {process} lists {digest} but its local file has no content"),
            ));
        }
        Ok(())
    }

    fn check_progress(&self, ghost: &Ghost, gc: &GhostGc) -> Result<(), (Property, String)> {
        // A chunk whose per-chunk lock is held right now is being uploaded or re-used.
        let exempt =
            |d: &Digest| gc.skipped.contains(d) || ghost.holders.contains_key(&LockKind::Chunk(*d));
        let local: Vec<_> = self.storage.chunks.inspect_all();
        let leftover = match self.backend {
            Backend::Filesystem => local
                .iter()
                .find(|(d, st)| st.atime < gc.min_atime && !exempt(d))
                .map(|(d, st)| (*d, Some(st.atime))),
            Backend::S3 => self.storage.bucket.inspect_all().into_iter().find_map(|d| {
                let atime = local.iter().find(|(l, _)| *l == d).map(|(_, st)| st.atime);
                let old = atime.is_none_or(|a| a < gc.min_atime);
                (old && !exempt(&d)).then_some((d, atime))
            }),
        };
        match leftover {
            Some((digest, atime)) => Err((
                Property::Progress,
                format!(
                    "GC completed but left {digest} ({}, cutoff {})",
                    atime.map_or("no local mark".to_string(), |a| format!("atime {a}")),
                    gc.min_atime
                ),
            )),
            None => Ok(()),
        }
    }
}

impl Drop for Oracle {
    fn drop(&mut self) {
        let coverage = self.coverage();
        DROPPED_COVERAGE
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add(&coverage);
    }
}

impl Observer for Oracle {
    fn event(&self, event: &Event<'_>) {
        let mut state = self.state();
        state.coverage.events += 1;
        state.trail.push(Recorded::of(event));
        if state.violation.is_some() {
            return;
        }
        if let Err((property, detail)) = self.check(&mut state, event) {
            let message = format!(
                "{property} violated: {detail}\nevent trail (oldest first):\n{}",
                state.trail.render()
            );
            state.violation = Some((property, message.clone()));
            drop(state);
            panic!("{message}");
        }
    }
}
