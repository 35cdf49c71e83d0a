//! The oracle: checks the store's safety properties at every event, against ghost state and
//! against the ground truth of the storage.
//!
//! The oracle is the store's [`Observer`]. From the store's own events it keeps ghost state
//! ([`ghost`]: each active writer's chunks, process and start, lock holders and their
//! acquisitions and what was statted under each, LRU contents, running GCs), and it
//! reads storage through `inspect` (`ground`: chunk files and their content, bucket
//! objects, published index files) wherever that needs no scheduling point. At the moment
//! each event happens it checks ([`checks`], one file per group of properties):
//!
//! - **P1** every stat, write, touch and rename of a chunk file holds its process's chunk
//!   store mutex (the digest's shard), and every `remove` holds it under the same
//!   acquisition as the stat it was decided by ([`checks::guards`], [`checks::remove`]);
//! - **P2** at every `remove`, no published index *on disk* references the chunk; every
//!   publication and prune the store reports agrees with the disk ([`checks::reports`]);
//! - **P3** no active writer of the same process uses a removed chunk; reports come only
//!   from writers seen starting, and an index lists only chunks its writer reported using,
//!   each uploaded or re-used one with an atime no older than the writer's start;
//! - **P4** no active writer of another process uses a removed chunk, and no GC starts
//!   while another process has an active writer;
//! - **harm**: a chunk a published index or an active writer needs is never gone or
//!   damaged: at publication, object deletion, every write of a chunk file, and before
//!   verify renames a chunk aside;
//! - **cutoff**: every GC's cutoff is no later than its clock reading and the start of the
//!   oldest active writer allow (with the store's cutoff settings, [`OracleOptions::cutoff`]);
//! - **chunk lock**: every bucket put and delete holds the chunk's per-chunk lock;
//! - **LRU content**: at every release of its mutex, a process's real LRU lists exactly what
//!   the reported inserts and removals built, and only chunks with full local content
//!   (entries another process invalidated through the shared cache directory excepted);
//! - **cache/bucket**: when a per-chunk lock is released, a local file implies the object;
//! - **readable**: a cache hit serves only a local copy that hashes to its digest, unless
//!   the bucket has no object to fetch instead;
//! - **lock order**: per-chunk lock → chunk store mutex → LRU mutex, for blocking acquires;
//! - **single GC**: at most one GC runs across all processes;
//! - **recovery**: a GC drops the local file of a chunk as lost only when its object is
//!   gone; after a final GC with nothing else running, every referenced object lost behind
//!   the store's back was reported missing and left no marker, nothing else was reported,
//!   and an upload of each puts it back (judged by the program end check through
//!   `Oracle::judge`) ([`checks::recovery`]);
//! - **progress**: when a GC completes, no chunk older than its cutoff is left (except
//!   those it skipped because their per-chunk lock was busy, and objects its bucket
//!   listing could not show: put after it began, or hidden by a stale listing), a chunk
//!   reported busy was locked by someone at that moment, and a GC marks only chunks some
//!   published index referenced.
//!
//! A violation panics with the property's name, the details and the recent event trail, so
//! loom and shuttle report it with the failing schedule; the property itself reaches the
//! driver as data, through the [`ExecutionLog`] installed on the driver's thread. The oracle
//! only takes plain std locks and reads storage through `inspect`, so it adds no scheduling
//! point and never changes what the store does.

pub mod checks;
mod coverage;
mod describe;
pub mod ghost;
mod ground;
mod property;
mod trail;

pub use coverage::Coverage;
pub use describe::{describe, Recorded};
pub use property::{Checked, Property, Violation};

use crate::execution::ExecutionLog;
use ghost::Ghost;
use ground::Ground;
use std::sync::{Arc, Mutex, MutexGuard};
use store::{
    Backend, Digest, Event, Fact, LockGranularity, LockKind, Observer, ProcessId, Storage,
};
use trail::Trail;

/// How many events a violation report shows.
const TRAIL_EVENTS: usize = 40;

/// What the oracle is checking: the datastore's backend and lock layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OracleOptions {
    /// Where chunks live.
    pub backend: Backend,
    /// How the store's chunk store mutex is split: P1 asks for the removed digest's shard.
    pub granularity: LockGranularity,
    /// Whether the lock order is checked. Off, a lock-order inversion runs on until the
    /// checker finds the deadlock it causes.
    pub check_lock_order: bool,
    /// The store's cutoff settings, when the cutoff is to be checked at every GC start.
    pub cutoff: Option<CutoffRule>,
}

/// The cutoff settings of a store (`StoreConfig::with_cutoff`): a GC that starts at `t`
/// may treat chunks older than `t - grace` as garbage, or, when a writer is older than
/// that, chunks older than its start minus `margin`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CutoffRule {
    /// The grace period, seconds.
    pub grace: i64,
    /// The margin before the oldest writer's start, seconds.
    pub margin: i64,
}

impl OracleOptions {
    /// Every check, for a store with upstream's single chunk store mutex.
    pub fn new(backend: Backend) -> Self {
        Self {
            backend,
            granularity: LockGranularity::Single,
            check_lock_order: true,
            cutoff: None,
        }
    }

    /// The same options, checking every GC's cutoff against `rule`.
    pub fn cutoff(self, rule: CutoffRule) -> Self {
        Self {
            cutoff: Some(rule),
            ..self
        }
    }

    /// The same options for a store whose chunk store mutex is split as `granularity` says.
    pub fn granularity(self, granularity: LockGranularity) -> Self {
        Self {
            granularity,
            ..self
        }
    }

    /// The same options with the lock order left unchecked.
    pub fn without_lock_order(self) -> Self {
        Self {
            check_lock_order: false,
            ..self
        }
    }
}

struct State {
    ghost: Ghost,
    trail: Trail,
    coverage: Coverage,
    violation: Option<(Property, String)>,
}

/// The checking observer. Build one per execution, over the same storage as the store.
pub struct Oracle {
    ground: Ground,
    options: OracleOptions,
    log: Option<Arc<ExecutionLog>>,
    state: Mutex<State>,
}

impl Oracle {
    /// An oracle for a datastore over `storage` with `backend`, checking every property.
    pub fn new(storage: &Storage, backend: Backend) -> Arc<Self> {
        Self::with_options(storage, OracleOptions::new(backend))
    }

    /// An oracle for a datastore over `storage`, as `options` say. It reports to the
    /// [`ExecutionLog`] installed on the calling thread, if any.
    pub fn with_options(storage: &Storage, options: OracleOptions) -> Arc<Self> {
        Arc::new(Self {
            ground: Ground {
                storage: storage.clone(),
                backend: options.backend,
                empty: Digest::of(&[]),
            },
            options,
            log: ExecutionLog::current(),
            state: Mutex::new(State {
                ghost: Ghost::default(),
                trail: Trail::new(TRAIL_EVENTS),
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

    /// Judges the ground truth with `check` once the execution's threads are done (the
    /// program end check): a violation is recorded and reported with the event trail, as
    /// one found at an event is.
    ///
    /// # Panics
    /// On a violation.
    pub(crate) fn judge(&self, check: impl FnOnce(&Ground) -> Checked) {
        let state = self.state();
        if state.violation.is_some() {
            return;
        }
        if let Err(violation) = check(&self.ground) {
            self.fail(state, violation);
        }
    }

    /// Records `violation` as this execution's and panics with it and the event trail.
    fn fail(&self, mut state: MutexGuard<'_, State>, violation: Violation) -> ! {
        let message = format!(
            "{} violated: {}\nevent trail (oldest first):\n{}",
            violation.property,
            violation.detail,
            state.trail.render()
        );
        state.violation = Some((violation.property, message.clone()));
        drop(state);
        if let Some(log) = &self.log {
            log.record_violation(violation.property);
        }
        panic!("{message}");
    }

    /// The first violation seen, if any: its property and full message.
    pub fn violation(&self) -> Option<(Property, String)> {
        self.state().violation.clone()
    }

    /// Judges `event` against the state before it, updates the ghost, then judges what
    /// must hold after it.
    #[inline]
    fn check(&self, state: &mut State, event: &Event<'_>) -> Checked {
        count(&mut state.coverage, &self.ground, &state.ghost, event);
        if let Event::Fact(Fact::LockAcquired {
            lock,
            thread,
            blocking,
        }) = *event
        {
            let order = self.options.check_lock_order;
            return checks::locks::acquired(&mut state.ghost, lock, thread, blocking, order);
        }
        if let Event::Fact(Fact::ChunkStatted {
            process,
            digest,
            thread,
        }) = *event
        {
            let granularity = self.options.granularity;
            return checks::guards::statted(&mut state.ghost, granularity, process, digest, thread);
        }
        self.before(&state.ghost, event)?;
        state.ghost.apply(event);
        if let Event::Fact(Fact::ChunkStamped {
            process,
            digest,
            written: true,
            ..
        }) = *event
        {
            // A write that leaves a marker (an eviction emptying the file) makes the other
            // processes' LRU entries stale when it happens, which may be after the evicting
            // process's LRU removal and after another process cached the chunk again (found
            // by the generated phase).
            match self.ground.has_content(&digest) {
                true => state.ghost.content_written(process, digest),
                false => state.ghost.invalidate_elsewhere(process, digest),
            }
        }
        self.after(&state.ghost, event)
    }

    /// P1 at a change of `digest`'s local file by `thread` of `process`: it holds the chunk
    /// store mutex of the digest's shard.
    #[inline]
    fn changed(
        &self,
        ghost: &Ghost,
        process: ProcessId,
        digest: Digest,
        thread: u64,
        what: &str,
    ) -> Checked {
        let granularity = self.options.granularity;
        checks::guards::changed(ghost, granularity, process, digest, thread, what)
    }

    #[inline]
    fn before(&self, ghost: &Ghost, event: &Event<'_>) -> Checked {
        match *event {
            Event::IndexPublished {
                writer,
                snapshot,
                name,
                digests,
                ..
            } => {
                checks::reports::published(&self.ground, ghost, writer, snapshot, name, digests)?;
                checks::harm::published(&self.ground, ghost, writer, snapshot, name, digests)
            }
            Event::ObjectsDeleting {
                digests, thread, ..
            } => {
                checks::guards::bucket_changed(ghost, digests, thread, "deleted the object of")?;
                checks::harm::objects_deleted(&self.ground, ghost, digests)
            }
            Event::Fact(Fact::ObjectPutting { digest, thread }) => {
                checks::guards::bucket_changed(ghost, &[digest], thread, "put the object of")
            }
            Event::Fact(Fact::ChunkStamped {
                process,
                digest,
                written,
                thread,
                ..
            }) => {
                let what = "wrote or touched";
                self.changed(ghost, process, digest, thread, what)?;
                checks::gc::marks_only_published(&self.ground, ghost, digest, thread)?;
                match written {
                    true => checks::harm::written(&self.ground, ghost, &digest),
                    false => Ok(()),
                }
            }
            Event::Fact(Fact::ChunkQuarantined {
                process,
                digest,
                thread,
            }) => {
                let what = "renamed aside";
                self.changed(ghost, process, digest, thread, what)?;
                checks::harm::quarantining(&self.ground, ghost, &digest)
            }
            Event::Fact(Fact::LostChunkForgotten {
                process,
                digest,
                thread,
            }) => {
                let what = "dropped the local file of";
                self.changed(ghost, process, digest, thread, what)?;
                checks::guards::bucket_changed(ghost, &[digest], thread, what)?;
                checks::recovery::forgotten(&self.ground, &digest)
            }
            Event::SnapshotPruned { snapshot } => checks::reports::pruned(&self.ground, snapshot),
            // A crashed process's LRU died with it: what its winding-down threads leave in
            // the dead structure is nobody's concern.
            Event::Fact(Fact::LruReleased { process, .. }) if ghost.crashed.contains(&process) => {
                Ok(())
            }
            Event::Fact(Fact::LruReleased {
                process,
                entries,
                fingerprint,
                ..
            }) => checks::cache::lru_matches(ghost, process, entries, fingerprint),
            Event::Fact(Fact::CacheHitServed {
                process,
                digest,
                intact,
            }) => checks::cache::hit_served(&self.ground, process, &digest, intact),
            Event::Fact(Fact::ChunkUsed { writer, digest, .. }) => {
                checks::reports::known_writer(ghost, writer, || format!("used {digest}"))
            }
            Event::Fact(Fact::RemoveCalled {
                process,
                digest,
                thread,
            }) => checks::remove::preconditions(
                &self.ground,
                ghost,
                self.options.granularity,
                process,
                digest,
                thread,
            ),
            Event::Fact(Fact::GcStarted {
                process,
                phase1_start,
                min_atime,
                ..
            }) => {
                let rule = self.options.cutoff;
                checks::gc::started(ghost, rule, process, phase1_start, min_atime)
            }
            Event::Fact(Fact::GcSkippedBusy { digest }) => checks::gc::skipped_busy(ghost, digest),
            Event::Fact(Fact::GcFinished {
                process,
                completed: true,
            }) => match ghost.gcs.get(&process) {
                Some(gc) => checks::gc::progress(&self.ground, ghost, gc),
                None => Ok(()),
            },
            Event::Fact(_) => Ok(()),
        }
    }

    #[inline]
    fn after(&self, ghost: &Ghost, event: &Event<'_>) -> Checked {
        match *event {
            Event::Fact(Fact::LruReleased { process, .. })
            | Event::Fact(Fact::LockReleased {
                lock: LockKind::Lru(process),
                ..
            }) if ghost.crashed.contains(&process) => Ok(()),
            Event::Fact(Fact::LruReleased { process, .. }) => {
                let granularity = self.options.granularity;
                checks::cache::lru_has_content(&self.ground, ghost, granularity, process)
            }
            Event::Fact(Fact::LockReleased { lock, .. }) => match lock {
                LockKind::Chunk(digest) => checks::cache::bucket_backs_file(&self.ground, &digest),
                LockKind::Lru(process) => {
                    let granularity = self.options.granularity;
                    checks::cache::lru_has_content(&self.ground, ghost, granularity, process)
                }
                LockKind::ChunkStore(..) => Ok(()),
            },
            _ => Ok(()),
        }
    }
}

/// Counts what `event` covers, in the state before it.
#[inline]
fn count(coverage: &mut Coverage, ground: &Ground, ghost: &Ghost, event: &Event<'_>) {
    coverage.events += 1;
    match *event {
        Event::ObjectsDeleting { digests, .. } => coverage.objects_deleted += digests.len() as u64,
        Event::Fact(Fact::GcFinished { completed, .. }) => match completed {
            true => coverage.gcs_completed += 1,
            false => coverage.gcs_aborted += 1,
        },
        Event::Fact(Fact::RemoveCalled { process, .. }) => {
            coverage.removes += 1;
            if !ghost.writers.is_empty() {
                coverage.removes_with_active_writer += 1;
            }
            if ground.any_index() {
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
        _ => {}
    }
}

impl Drop for Oracle {
    fn drop(&mut self) {
        if let Some(log) = &self.log {
            log.add_coverage(&self.coverage());
        }
    }
}

impl Observer for Oracle {
    fn inspects_lru(&self) -> bool {
        true
    }

    fn event(&self, event: &Event<'_>) {
        let mut state = self.state();
        state.trail.push(Recorded::of(event));
        if state.violation.is_some() {
            state.coverage.events += 1;
            return;
        }
        if let Err(violation) = self.check(&mut state, event) {
            self.fail(state, violation);
        }
    }
}
