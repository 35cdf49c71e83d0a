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
//! - **P1** every stat, read, write, touch and rename of a chunk file holds its process's chunk
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
//! - **atime order**: at every write or touch of a chunk file, its atime is no older than
//!   any stamp reported for it since it was last removed ([`checks::atime`]);
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
pub mod conflicts;
mod coverage;
mod describe;
pub mod ghost;
mod ghost_gc;
mod ground;
mod options;
mod property;
mod trail;

pub use coverage::{Coverage, Decisions};
pub use describe::{describe, Recorded};
pub use options::{CutoffRule, OracleOptions};
pub use property::{Checked, Property, Violation};

use crate::execution::ExecutionLog;
use conflicts::{Act, Windows};
use ghost::Ghost;
use ground::Ground;
use std::sync::{Arc, Mutex, MutexGuard};
use store::{Backend, Digest, Event, Fact, LockKind, Observer, ProcessId, Storage};
use trail::Trail;

/// How many events a violation report shows (decisions included, about one in three).
const TRAIL_EVENTS: usize = 64;

struct State {
    ghost: Ghost,
    trail: Trail,
    coverage: Coverage,
    windows: Windows,
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
                ghost: Ghost::new(options.granularity),
                trail: Trail::new(TRAIL_EVENTS),
                coverage: Coverage::default(),
                windows: Windows::default(),
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

    /// The history lost `digest`'s local file behind the store's back: not the store's
    /// doing, so what the store's processes cached of it is no longer judged as content
    /// (see [`Ghost::lost_behind_the_store`]).
    pub(crate) fn lost_local(&self, digest: Digest) {
        self.state().ghost.lost_behind_the_store(digest);
    }

    /// The executor moved the clock `secs` forward: a chunk act from now on is later than
    /// every conflict window opened before, unless it moved by nothing (see [`conflicts`]).
    pub(crate) fn clock_moved(&self, secs: i64) {
        self.state().windows.clock_moved(secs);
    }

    /// The first violation seen, if any: its property and full message.
    pub fn violation(&self) -> Option<(Property, String)> {
        self.state().violation.clone()
    }

    /// Judges `event` against the state it meets, then updates the ghost with it; a lock
    /// acquisition is judged from what the ghost found recording it (one lookup each).
    #[inline]
    fn check(&self, state: &mut State, event: &Event<'_>) -> Checked {
        let State {
            ghost,
            coverage,
            windows,
            ..
        } = &mut *state;
        count(coverage, windows, &self.ground, ghost, event);
        self.judge_event(&state.ghost, event)?;
        match state.ghost.apply(event, &self.ground) {
            Some(acquisition) => {
                checks::locks::acquired(&acquisition, self.options.check_lock_order)
            }
            None => Ok(()),
        }
    }

    /// P1 at a stat or a change of `digest`'s local file by `thread` of `process`: it holds
    /// the chunk store mutex of the digest's shard.
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

    /// What must hold as `event` happens, judged on the state it meets.
    #[inline]
    fn judge_event(&self, ghost: &Ghost, event: &Event<'_>) -> Checked {
        match *event {
            Event::Fact(fact) => self.judge_fact(ghost, fact),
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
            Event::SnapshotPruned { snapshot } => checks::reports::pruned(&self.ground, snapshot),
        }
    }

    /// [`Oracle::judge_event`] for a fact. Every fact has its arm: a new one cannot go
    /// unjudged without saying so.
    #[inline]
    fn judge_fact(&self, ghost: &Ghost, fact: Fact) -> Checked {
        match fact {
            // Judged from what `Ghost::apply` found recording it (see `check`).
            Fact::LockAcquired { .. } => Ok(()),
            Fact::ChunkStatted { .. }
            | Fact::ChunkRead { .. }
            | Fact::ChunkStamped { .. }
            | Fact::ChunkQuarantined { .. }
            | Fact::LostChunkForgotten { .. }
            | Fact::ObjectPutting { .. }
            | Fact::RemoveCalled { .. } => self.judge_storage_change(ghost, fact),
            Fact::ChunkUsed { writer, digest, .. } => {
                checks::reports::known_writer(ghost, writer, || format!("used {digest}"))
            }
            Fact::LruReleased {
                process,
                entries,
                fingerprint,
                ..
            } => {
                self.lru_released(ghost, process, entries, fingerprint)?;
                self.released(ghost, LockKind::Lru(process))
            }
            Fact::LockReleased { lock, .. } => self.released(ghost, lock),
            Fact::CacheHitServed {
                process,
                digest,
                intact,
            } => checks::cache::hit_served(&self.ground, process, &digest, intact),
            Fact::GcStarted {
                process,
                phase1_start,
                min_atime,
                ..
            } => {
                let rule = self.options.cutoff;
                checks::gc::started(ghost, rule, process, phase1_start, min_atime)
            }
            Fact::GcSkippedBusy { digest } => checks::gc::skipped_busy(ghost, digest),
            Fact::GcFinished { process, completed } => match (completed, ghost.gcs.get(&process)) {
                (true, Some(gc)) => checks::gc::progress(&self.ground, ghost, gc),
                // An aborted GC promises nothing about what it left.
                _ => Ok(()),
            },
            // Nothing to judge as these happen: they change what the ghost knows, which the
            // facts above are judged against.
            Fact::ProcessStarted { .. }
            | Fact::Reload { .. }
            | Fact::WriterStarted { .. }
            | Fact::WriterFinished { .. }
            | Fact::ProcessCrashed { .. }
            | Fact::FaultInjected { .. }
            | Fact::LruInserted { .. }
            | Fact::LruRemoved { .. }
            | Fact::GcListingBucket { .. }
            | Fact::ChunkUploadFailed { .. } => Ok(()),
            // Counted as coverage (see `count`); a lookup of an object and a decision change
            // nothing.
            Fact::ObjectRead { .. } | Fact::Decided { .. } => Ok(()),
        }
    }

    /// [`Oracle::judge_fact`] for a stat or change of a chunk's local file or bucket object.
    #[inline]
    fn judge_storage_change(&self, ghost: &Ghost, fact: Fact) -> Checked {
        match fact {
            Fact::ChunkStatted {
                process,
                digest,
                thread,
            } => self.changed(ghost, process, digest, thread, "statted"),
            Fact::ChunkRead {
                process,
                digest,
                thread,
            } => self.changed(ghost, process, digest, thread, "read"),
            Fact::ChunkStamped {
                process,
                digest,
                atime,
                written,
                thread,
            } => {
                self.stamped(ghost, process, digest, written, thread)?;
                if written {
                    let when = "wrote the local file of";
                    checks::cache::bucket_backs_file(&self.ground, ghost, &digest, when)?;
                }
                checks::atime::stamped(&self.ground, ghost, &digest, atime, thread)
            }
            Fact::ChunkQuarantined {
                process,
                digest,
                thread,
            } => {
                self.changed(ghost, process, digest, thread, "renamed aside")?;
                checks::harm::quarantining(&self.ground, ghost, &digest)
            }
            Fact::LostChunkForgotten {
                process,
                digest,
                thread,
            } => {
                let what = "dropped the local file of";
                self.changed(ghost, process, digest, thread, what)?;
                checks::guards::bucket_changed(ghost, &[digest], thread, what)?;
                checks::recovery::forgotten(&self.ground, &digest)
            }
            Fact::ObjectPutting { digest, thread, .. } => {
                checks::guards::bucket_changed(ghost, &[digest], thread, "put the object of")
            }
            Fact::RemoveCalled {
                process,
                digest,
                thread,
            } => {
                let granularity = self.options.granularity;
                checks::remove::preconditions(
                    &self.ground,
                    ghost,
                    granularity,
                    process,
                    digest,
                    thread,
                )
            }
            _ => unreachable!("not a stat or change of a chunk's storage: {fact:?}"),
        }
    }

    /// A write or touch of `digest`'s local file: under the mutex; a GC marks only chunks
    /// some published index referenced; a write damages nothing needed.
    #[inline]
    fn stamped(
        &self,
        ghost: &Ghost,
        process: ProcessId,
        digest: Digest,
        written: bool,
        thread: u64,
    ) -> Checked {
        self.changed(ghost, process, digest, thread, "wrote or touched")?;
        checks::gc::marks_only_published(&self.ground, ghost, digest, thread)?;
        match written {
            true => checks::harm::written(&self.ground, ghost, &digest),
            false => Ok(()),
        }
    }

    /// The reported LRU of `process` is what its events built. A crashed process's LRU died
    /// with it: what its winding-down threads leave in the dead structure is nobody's
    /// concern.
    #[inline]
    fn lru_released(
        &self,
        ghost: &Ghost,
        process: ProcessId,
        entries: u64,
        fingerprint: u64,
    ) -> Checked {
        match ghost.crashed.contains(&process) {
            true => Ok(()),
            false => checks::cache::lru_matches(ghost, process, entries, fingerprint),
        }
    }

    /// At the release of `lock`: a released per-chunk lock leaves no local file without
    /// its bucket object, and a released LRU mutex leaves only entries with content.
    /// Judged as the release happens: the release changes neither the storage nor what
    /// these checks read from the ghost (the LRU built so far, other processes' chunk store
    /// mutexes).
    #[inline]
    fn released(&self, ghost: &Ghost, lock: LockKind) -> Checked {
        match lock {
            LockKind::Chunk(digest) => {
                let when = "released the per-chunk lock of";
                checks::cache::bucket_backs_file(&self.ground, ghost, &digest, when)
            }
            LockKind::Lru(process) if ghost.crashed.contains(&process) => Ok(()),
            LockKind::Lru(process) => {
                let granularity = self.options.granularity;
                checks::cache::lru_has_content(&self.ground, ghost, granularity, process)
            }
            LockKind::ChunkStore(..) => Ok(()),
        }
    }
}

/// Counts what `event` covers, in the state before it: the dangerous states, the decision
/// it reports, the conflict pairs it closes.
#[inline]
fn count(
    coverage: &mut Coverage,
    windows: &mut Windows,
    ground: &Ground,
    ghost: &Ghost,
    event: &Event<'_>,
) {
    coverage.events += 1;
    Act::of(event, |act, thread, process, digest| {
        windows.act(act, thread, process, digest, &mut coverage.conflicts)
    });
    match *event {
        Event::Fact(Fact::Decided { outcome, .. }) => coverage.decisions.record(outcome),
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
