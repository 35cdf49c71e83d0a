//! Model-based test of the chunk store with `proptest-state-machine`, on the std platform.
//!
//! A reference model predicts, step by step, what the store does for random sequences of
//! backup sessions (start, upload, pull-style re-use, publish an index, finish, abort),
//! prune, read (S3), garbage collection, clock jumps past the grace period and service
//! reloads, over small alphabets (6 chunks, 3 backup groups) so that collisions happen: the
//! same chunk uploaded by several sessions, re-used after it went old, referenced by a
//! pruned and a live snapshot, evicted from a 2-chunk S3 cache.
//!
//! The model keeps which snapshots exist with which indexes, the active sessions (process,
//! start time, previous snapshot, session chunks), each chunk's atime as the store stamps it
//! (and, for S3, whether its local file has content, and each process's LRU), and the clock.
//! Refusals are modelled rather than avoided: a second backup of a busy group (`Locked`), a
//! backup or GC in a process a reload told to stop (`ShuttingDown`), GC while a writer of
//! another process is active (`Locked`), prune of a snapshot a session writes or re-uses
//! (`Locked`), prune of nothing (`NotFound`), reading a chunk that is gone (`MissingChunk`).
//!
//! After every step the test checks:
//! 1. the index files are exactly the model's, and every chunk a snapshot references exists
//!    (filesystem: the chunk file with its content; S3: the bucket object with its content);
//! 2. every chunk an active session uploaded, re-used or registered exists, and the session's
//!    known chunks are the model's;
//! 3. the model is exact: every chunk is present or gone as predicted, with the predicted
//!    atime (and, on S3, local content or marker, bucket object, LRU membership per process);
//!    a GC returns exactly the predicted [`GcStatus`] (cutoff `min_atime`, marked, removed,
//!    pending and in-use counts and bytes). Since the model removes exactly the chunks that
//!    are unreferenced, unused by any session and older than the cutoff, this checks both
//!    safety (referenced chunks stay) and progress (garbage goes).
//!
//! The harness's [`Oracle`] is the datastore's observer, so P1–P4, harm, LRU content,
//! cache/bucket, lock order, single GC and progress are also checked at every store event.
//!
//! Tests:
//! - `filesystem_store_follows_model`, `s3_store_follows_model`: the machine, one per backend
//!   (`prop_state_machine!`, sequential);
//! - `clean_machine_reaches_the_interesting_states`: the same budget reaches every refusal,
//!   removals while sessions run, evictions, ... (the main tests are not vacuous);
//! - `seeded_*`: the same machine with a seeded bug switched on, through a manual
//!   [`TestRunner`]: it must fail with a safety violation, and shrinking must find a short
//!   sequence;
//! - `read_after_reload_with_stale_lru_entry`: the replay of a finding about per-process
//!   LRUs over one cache directory.

use harness::oracle::{Oracle, Property};
use proptest::prelude::*;
use proptest::strategy::Union;
use proptest::test_runner::{Config, FileFailurePersistence, TestError, TestRng, TestRunner};
use proptest_state_machine::strategy::Sequential;
use proptest_state_machine::{prop_state_machine, ReferenceStateMachine, StateMachineTest};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};
use store::storage::ChunkStat;
use store::{
    Backend, BackupWriter, Bugs, Clock, Datastore, Digest, GcStatus, Observer, Process, SeededBug,
    SnapshotId, Std, Storage, StoreConfig, StoreError,
};

// ---------------------------------------------------------------------------------------
// The alphabet
// ---------------------------------------------------------------------------------------

/// Backup groups; a session's slot is its group's index (one backup per group at a time).
const GROUPS: [&str; 3] = ["vm/100", "vm/101", "ct/200"];
/// Number of distinct chunks (chunk 0 is the empty chunk).
const POOL: usize = 6;
/// The logical clock's start.
const START: i64 = 100_000;
/// GC grace period (upstream: 24h5m) and writer margin (upstream: 5min), scaled down.
const GRACE: i64 = 100;
const MARGIN: i64 = 10;
/// S3 cache capacity: tiny, so uploads and reads evict.
const CACHE_CAPACITY: usize = 2;
/// Clock jumps; two of them are beyond half the grace period, one beyond all of it.
const CLOCK_STEPS: [i64; 4] = [1, 10, 60, 120];

/// The content of chunk `c`: chunk 0 is the empty chunk (its content looks like an S3
/// marker), the others are distinct and of different sizes.
fn chunk_data(c: usize) -> Vec<u8> {
    format!("chunk-{c};").repeat(c).into_bytes()
}

fn chunk_len(c: usize) -> u64 {
    chunk_data(c).len() as u64
}

fn digest(c: usize) -> Digest {
    static DIGESTS: OnceLock<Vec<Digest>> = OnceLock::new();
    DIGESTS.get_or_init(|| (0..POOL).map(|c| Digest::of(&chunk_data(c))).collect())[c]
}

fn index_name(n: usize) -> String {
    format!("index{n:03}")
}

// ---------------------------------------------------------------------------------------
// The reference model
// ---------------------------------------------------------------------------------------

/// A refusal the model predicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    Locked,
    ShuttingDown,
    NotFound,
    Missing,
}

impl Refusal {
    fn matches(self, err: Option<&StoreError>) -> bool {
        matches!(
            (self, err),
            (Refusal::Locked, Some(StoreError::Locked(_)))
                | (Refusal::ShuttingDown, Some(StoreError::ShuttingDown(_)))
                | (Refusal::NotFound, Some(StoreError::NotFound(_)))
                | (Refusal::Missing, Some(StoreError::MissingChunk(_)))
        )
    }
}

/// An active backup session.
#[derive(Clone, Debug)]
struct ModelWriter {
    /// Index of its process (0 = the first; a reload adds one).
    process: usize,
    /// Its start time (the shared process lock's record).
    start: i64,
    /// Its snapshot's backup time.
    time: i64,
    /// The previous snapshot of its group (locked shared, chunks registered).
    previous: Option<i64>,
    /// Chunks it uploaded, re-used or registered.
    session: BTreeSet<usize>,
    /// Indexes it published.
    published: usize,
}

/// A chunk that exists (FS: local file; S3: bucket object and local file or marker).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ModelChunk {
    atime: i64,
    /// Local file with content (always on FS); a zero-length marker otherwise (S3).
    content: bool,
}

/// What the last transition must do in the store.
#[derive(Clone, Debug)]
enum Expect {
    Done,
    Refused(Refusal),
    Reused(bool),
    Publish { name: String, chunks: Vec<usize> },
    Prune(SnapshotId, Option<Refusal>),
    Read(Option<usize>),
    Gc(GcStatus),
}

#[derive(Clone, Debug)]
struct ModelState {
    backend: Backend,
    /// Seeded bugs in the store. With any, only safety is checked (see `exact`).
    bugs: Bugs,
    now: i64,
    /// The current process (older ones are shutting down).
    current: usize,
    /// Each process's LRU, most recently used first (S3).
    lrus: Vec<Vec<usize>>,
    /// Active sessions by slot (= group).
    writers: [Option<ModelWriter>; 3],
    /// Snapshots `(group, time)` with their published indexes, in publication order.
    snapshots: BTreeMap<(usize, i64), Vec<Vec<usize>>>,
    chunks: BTreeMap<usize, ModelChunk>,
    next_time: i64,
    expect: Expect,
}

impl ModelState {
    fn new(backend: Backend, bugs: Bugs) -> Self {
        Self {
            backend,
            bugs,
            now: START,
            current: 0,
            lrus: vec![Vec::new()],
            writers: [None, None, None],
            snapshots: BTreeMap::new(),
            chunks: BTreeMap::new(),
            next_time: 1,
            expect: Expect::Done,
        }
    }

    /// Whether the model's predictions are checked exactly (no seeded bug: the model is
    /// the specification, not a copy of a bug).
    fn exact(&self) -> bool {
        self.bugs.is_empty()
    }

    fn s3(&self) -> bool {
        self.backend == Backend::S3
    }

    /// Writes a chunk with content, atime now (FS insert of a new chunk; S3 upload and cache
    /// insert in `process`'s LRU).
    fn write_new(&mut self, chunk: usize, process: usize) {
        self.chunks.insert(
            chunk,
            ModelChunk {
                atime: self.now,
                content: true,
            },
        );
        if self.s3() {
            self.lru_push(process, chunk);
        }
    }

    /// `LruCache::push`: an existing entry moves to the front; a new one may evict the
    /// least recently used, whose file becomes a marker with the same atime.
    fn lru_push(&mut self, process: usize, chunk: usize) {
        let lru = &mut self.lrus[process];
        if let Some(pos) = lru.iter().position(|c| *c == chunk) {
            lru.remove(pos);
            lru.insert(0, chunk);
            return;
        }
        lru.insert(0, chunk);
        if lru.len() > CACHE_CAPACITY {
            if let Some(evicted) = lru.pop() {
                if let Some(m) = self.chunks.get_mut(&evicted) {
                    m.content = false;
                }
            }
        }
    }

    /// Upload (or the pull path's upload after a failed re-use): touch when present, else
    /// write; either way the chunk's atime is now.
    fn upload(&mut self, slot: usize, chunk: usize) -> bool {
        let Some(w) = self.writers[slot].as_mut() else {
            return false;
        };
        w.session.insert(chunk);
        let process = w.process;
        match self.chunks.get_mut(&chunk) {
            Some(m) => {
                m.atime = self.now;
                true
            }
            None => {
                self.write_new(chunk, process);
                false
            }
        }
    }

    fn start_backup(&mut self, group: usize, old_process: bool) -> Expect {
        if old_process && self.current > 0 {
            return Expect::Refused(Refusal::ShuttingDown);
        }
        if self.writers[group].is_some() {
            return Expect::Refused(Refusal::Locked);
        }
        let previous = self
            .snapshots
            .range((group, i64::MIN)..=(group, i64::MAX))
            .next_back()
            .map(|((_, t), indexes)| (*t, indexes.iter().flatten().copied().collect()));
        let time = self.next_time;
        self.next_time += 1;
        self.writers[group] = Some(ModelWriter {
            process: self.current,
            start: self.now,
            time,
            previous: previous.as_ref().map(|(t, _)| *t),
            session: previous.map(|(_, s)| s).unwrap_or_default(),
            published: 0,
        });
        self.snapshots.insert((group, time), Vec::new());
        Expect::Done
    }

    fn publish(&mut self, slot: usize, mask: u8) -> Expect {
        let Some(w) = self.writers[slot].as_mut() else {
            return Expect::Done;
        };
        let chunks: Vec<usize> = w
            .session
            .iter()
            .copied()
            .filter(|c| mask & (1 << c) != 0)
            .collect();
        let name = index_name(w.published);
        w.published += 1;
        let key = (slot, w.time);
        self.snapshots.entry(key).or_default().push(chunks.clone());
        Expect::Publish { name, chunks }
    }

    fn prune(&mut self, group: usize, which: usize) -> Expect {
        let times: Vec<i64> = self
            .snapshots
            .range((group, i64::MIN)..=(group, i64::MAX))
            .map(|((_, t), _)| *t)
            .collect();
        let Some(time) = (!times.is_empty()).then(|| times[which % times.len()]) else {
            let snapshot = SnapshotId {
                group: GROUPS[group].to_string(),
                time: 0,
            };
            return Expect::Prune(snapshot, Some(Refusal::NotFound));
        };
        let snapshot = SnapshotId {
            group: GROUPS[group].to_string(),
            time,
        };
        // Only a session of the same group writes or re-uses a snapshot of it.
        let locked = self.writers[group]
            .as_ref()
            .is_some_and(|w| w.time == time || w.previous == Some(time));
        if locked {
            return Expect::Prune(snapshot, Some(Refusal::Locked));
        }
        self.snapshots.remove(&(group, time));
        Expect::Prune(snapshot, None)
    }

    /// `LocalDatastoreLruCache::access` in the current process.
    fn read(&mut self, chunk: usize) -> Expect {
        let p = self.current;
        if let Some(pos) = self.lrus[p].iter().position(|c| *c == chunk) {
            self.lrus[p].remove(pos);
            self.lrus[p].insert(0, chunk);
            // A hit returns the local content, unless it is empty (a marker, or the empty
            // chunk): then the chunk is fetched again.
            if self.chunks.get(&chunk).is_some_and(|m| m.content) && chunk_len(chunk) > 0 {
                return Expect::Read(Some(chunk));
            }
        }
        let Some(m) = self.chunks.get_mut(&chunk) else {
            return Expect::Read(None);
        };
        // Fetched from the bucket and cached: the file is rewritten with atime now.
        m.atime = self.now;
        m.content = true;
        self.lru_push(p, chunk);
        Expect::Read(Some(chunk))
    }

    fn gc(&mut self, old_process: bool) -> Expect {
        let p = self.current;
        if old_process && self.current > 0 {
            return Expect::Refused(Refusal::ShuttingDown);
        }
        let writers = self.writers.iter().flatten();
        if writers.clone().any(|w| w.process != p) {
            return Expect::Refused(Refusal::Locked);
        }
        let now = self.now;
        let oldest_writer = writers.map(|w| w.start).min().unwrap_or(now);
        let mut min_atime = now - GRACE;
        if oldest_writer < min_atime {
            min_atime = oldest_writer - MARGIN;
        }
        let mut status = GcStatus {
            min_atime,
            ..GcStatus::default()
        };
        // Phase 1: touch every chunk of every published index (finished or in progress).
        for index in self.snapshots.values().flatten() {
            status.index_files += 1;
            for c in index {
                status.marked_chunks += 1;
                match self.chunks.get_mut(c) {
                    Some(m) => m.atime = now,
                    None => status.missing_chunks += 1,
                }
            }
        }
        // Phase 2: judge every chunk by its atime.
        let mut removed = Vec::new();
        for (c, m) in &self.chunks {
            let size = if m.content { chunk_len(*c) } else { 0 };
            if m.atime < min_atime {
                status.removed_chunks += 1;
                status.removed_bytes += size;
                removed.push(*c);
            } else if m.atime < oldest_writer {
                status.pending_chunks += 1;
                status.pending_bytes += size;
            } else {
                status.in_use_chunks += 1;
                status.in_use_bytes += size;
            }
        }
        for c in removed {
            self.chunks.remove(&c);
            self.lrus[p].retain(|l| *l != c);
        }
        Expect::Gc(status)
    }
}

#[derive(Clone, Debug)]
enum Transition {
    /// Start a backup of `GROUPS[group]`, in the current process or (refused) the previous one.
    StartBackup {
        group: usize,
        old_process: bool,
    },
    /// Upload chunk `chunk` in session `slot`.
    Upload {
        slot: usize,
        chunk: usize,
    },
    /// Pull path: re-use the chunk if present, else upload it.
    Reuse {
        slot: usize,
        chunk: usize,
    },
    /// Publish one index with the session's chunks selected by `mask` (bit = chunk).
    AppendAndClose {
        slot: usize,
        mask: u8,
    },
    Finish {
        slot: usize,
    },
    /// Drop the session without finishing: its snapshot is deleted.
    Abort {
        slot: usize,
    },
    /// Prune the `which`-th (modulo) snapshot of the group.
    Prune {
        group: usize,
        which: usize,
    },
    /// S3: read a chunk through the current process's cache.
    Read {
        chunk: usize,
    },
    /// GC in the current process or (refused) the previous one.
    Gc {
        old_process: bool,
    },
    AdvanceClock {
        secs: i64,
    },
    Reload,
}

impl Transition {
    /// The session a transition acts on, if any.
    fn slot(&self) -> Option<usize> {
        match *self {
            Transition::Upload { slot, .. }
            | Transition::Reuse { slot, .. }
            | Transition::AppendAndClose { slot, .. }
            | Transition::Finish { slot }
            | Transition::Abort { slot } => Some(slot),
            _ => None,
        }
    }
}

/// Which backend a machine runs; the model and the store are the same for both.
trait Flavor: 'static {
    const BACKEND: Backend;
}

struct Fs;
impl Flavor for Fs {
    const BACKEND: Backend = Backend::Filesystem;
}

struct S3;
impl Flavor for S3 {
    const BACKEND: Backend = Backend::S3;
}

struct Model<F>(PhantomData<F>);

impl<F: Flavor> ReferenceStateMachine for Model<F> {
    type State = ModelState;
    type Transition = Transition;

    fn init_state() -> BoxedStrategy<ModelState> {
        Just(ModelState::new(F::BACKEND, Bugs::none())).boxed()
    }

    fn transitions(state: &ModelState) -> BoxedStrategy<Transition> {
        let has_old = state.current > 0;
        let old_flag = move || {
            if has_old {
                prop::bool::weighted(0.15).boxed()
            } else {
                Just(false).boxed()
            }
        };
        let mut choices: Vec<(u32, BoxedStrategy<Transition>)> = vec![
            (
                3,
                (0..GROUPS.len(), old_flag())
                    .prop_map(|(group, old_process)| Transition::StartBackup { group, old_process })
                    .boxed(),
            ),
            (
                1,
                (0..GROUPS.len(), 0..3usize)
                    .prop_map(|(group, which)| Transition::Prune { group, which })
                    .boxed(),
            ),
            (
                2,
                old_flag()
                    .prop_map(|old_process| Transition::Gc { old_process })
                    .boxed(),
            ),
            (
                2,
                prop::sample::select(CLOCK_STEPS.to_vec())
                    .prop_map(|secs| Transition::AdvanceClock { secs })
                    .boxed(),
            ),
            (1, Just(Transition::Reload).boxed()),
        ];
        if state.s3() {
            choices.push((
                1,
                (0..POOL)
                    .prop_map(|chunk| Transition::Read { chunk })
                    .boxed(),
            ));
        }
        let active: Vec<usize> = (0..GROUPS.len())
            .filter(|s| state.writers[*s].is_some())
            .collect();
        if !active.is_empty() {
            let slot = prop::sample::select(active);
            choices.extend([
                (
                    6,
                    (slot.clone(), 0..POOL)
                        .prop_map(|(slot, chunk)| Transition::Upload { slot, chunk })
                        .boxed(),
                ),
                (
                    2,
                    (slot.clone(), 0..POOL)
                        .prop_map(|(slot, chunk)| Transition::Reuse { slot, chunk })
                        .boxed(),
                ),
                (
                    2,
                    (slot.clone(), any::<u8>())
                        .prop_map(|(slot, mask)| Transition::AppendAndClose { slot, mask })
                        .boxed(),
                ),
                (
                    2,
                    slot.clone()
                        .prop_map(|slot| Transition::Finish { slot })
                        .boxed(),
                ),
                (1, slot.prop_map(|slot| Transition::Abort { slot }).boxed()),
            ]);
        }
        Union::new_weighted(choices).boxed()
    }

    /// Only ranges: a transition whose session or old process is gone (after shrinking
    /// deleted its start or the reload) is a no-op, or runs in the current process, so that
    /// shrinking can delete transitions one at a time.
    fn preconditions(_state: &ModelState, transition: &Transition) -> bool {
        match *transition {
            Transition::StartBackup { group, .. } | Transition::Prune { group, .. } => {
                group < GROUPS.len()
            }
            Transition::Upload { slot, chunk } | Transition::Reuse { slot, chunk } => {
                slot < GROUPS.len() && chunk < POOL
            }
            Transition::AppendAndClose { slot, .. }
            | Transition::Finish { slot }
            | Transition::Abort { slot } => slot < GROUPS.len(),
            Transition::Read { chunk } => chunk < POOL,
            Transition::Gc { .. } | Transition::AdvanceClock { .. } | Transition::Reload => true,
        }
    }

    fn apply(mut state: ModelState, transition: &Transition) -> ModelState {
        if let Some(slot) = transition.slot() {
            if state.writers[slot].is_none() {
                state.expect = Expect::Done;
                return state;
            }
        }
        state.expect = match *transition {
            Transition::StartBackup { group, old_process } => {
                state.start_backup(group, old_process)
            }
            Transition::Upload { slot, chunk } => {
                state.upload(slot, chunk);
                Expect::Done
            }
            Transition::Reuse { slot, chunk } => Expect::Reused(state.upload(slot, chunk)),
            Transition::AppendAndClose { slot, mask } => state.publish(slot, mask),
            Transition::Finish { slot } => {
                state.writers[slot] = None;
                Expect::Done
            }
            Transition::Abort { slot } => {
                if let Some(w) = state.writers[slot].take() {
                    state.snapshots.remove(&(slot, w.time));
                }
                Expect::Done
            }
            Transition::Prune { group, which } => state.prune(group, which),
            Transition::Read { chunk } if state.s3() => state.read(chunk),
            Transition::Read { .. } => Expect::Done,
            Transition::Gc { old_process } => state.gc(old_process),
            Transition::AdvanceClock { secs } => {
                state.now += secs;
                Expect::Done
            }
            Transition::Reload => {
                state.lrus.push(Vec::new());
                state.current += 1;
                Expect::Done
            }
        };
        state
    }
}

// ---------------------------------------------------------------------------------------
// Coverage: how often the interesting states were reached (per test thread)
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug, Default)]
struct Tally {
    cases: u64,
    transitions: u64,
    gcs: u64,
    gcs_with_session: u64,
    gcs_bounded_by_writer: u64,
    chunks_removed: u64,
    start_refused_busy_group: u64,
    refused_shutting_down: u64,
    gc_refused_other_process: u64,
    prune_refused_locked: u64,
    pruned: u64,
    reuse_hits: u64,
    reads_missing: u64,
    marker_states: u64,
    oracle_removes: u64,
    oracle_removes_with_active_writer: u64,
    oracle_removes_with_visible_index: u64,
    oracle_objects_deleted: u64,
}

thread_local! {
    static TALLY: RefCell<Tally> = RefCell::new(Tally::default());
}

fn tally(f: impl FnOnce(&mut Tally)) {
    TALLY.with(|t| f(&mut t.borrow_mut()));
}

/// Counts what the transition just applied to `model` reached.
fn tally_transition(model: &ModelState, transition: &Transition) {
    tally(|t| {
        t.transitions += 1;
        match (&model.expect, transition) {
            (Expect::Gc(status), _) => {
                t.gcs += 1;
                t.chunks_removed += status.removed_chunks;
                if model.writers.iter().any(Option::is_some) {
                    t.gcs_with_session += 1;
                }
                if status.min_atime < model.now - GRACE {
                    t.gcs_bounded_by_writer += 1;
                }
            }
            (Expect::Refused(Refusal::ShuttingDown), _) => t.refused_shutting_down += 1,
            (Expect::Refused(Refusal::Locked), Transition::StartBackup { .. }) => {
                t.start_refused_busy_group += 1
            }
            (Expect::Refused(Refusal::Locked), Transition::Gc { .. }) => {
                t.gc_refused_other_process += 1
            }
            (Expect::Prune(_, Some(Refusal::Locked)), _) => t.prune_refused_locked += 1,
            (Expect::Prune(_, None), _) => t.pruned += 1,
            (Expect::Reused(true), _) => t.reuse_hits += 1,
            (Expect::Read(None), _) => t.reads_missing += 1,
            _ => {}
        }
        if model.chunks.values().any(|m| !m.content) {
            t.marker_states += 1;
        }
    });
}

// ---------------------------------------------------------------------------------------
// The system under test
// ---------------------------------------------------------------------------------------

struct Sut {
    ds: Arc<Datastore<Std>>,
    oracle: Arc<Oracle>,
    /// Every process started, oldest first; the last is the current one.
    processes: Vec<Arc<Process<Std>>>,
    writers: Vec<Option<BackupWriter<Std>>>,
}

impl Sut {
    fn current(&self) -> &Arc<Process<Std>> {
        self.processes.last().expect("a process runs")
    }

    fn previous(&self) -> &Arc<Process<Std>> {
        &self.processes[self.processes.len() - 2]
    }

    fn writer(&mut self, slot: usize) -> &mut BackupWriter<Std> {
        self.writers[slot]
            .as_mut()
            .expect("the model has this session")
    }

    /// Safety half: the chunk exists where chunks live, with its content.
    fn assert_exists(&self, backend: Backend, c: usize, why: &str) {
        let storage = self.ds.storage();
        let d = digest(c);
        let content = match backend {
            Backend::Filesystem => storage.chunks.read(&d).expect("read chunk file"),
            Backend::S3 => storage.bucket.get(&d).expect("get bucket object"),
        };
        assert_eq!(
            content,
            Some(chunk_data(c)),
            "chunk {c} ({d}), {why}, is gone or damaged ({backend:?})"
        );
    }
}

struct StoreTest<F>(PhantomData<F>);

impl<F: Flavor> StateMachineTest for StoreTest<F> {
    type SystemUnderTest = Sut;
    type Reference = Model<F>;

    fn init_test(model: &ModelState) -> Sut {
        let config = StoreConfig::new(model.backend)
            .with_cutoff(GRACE, MARGIN)
            .with_cache_capacity(CACHE_CAPACITY)
            .with_bugs(model.bugs);
        let storage = Storage::model::<Std>();
        let oracle = Oracle::new(&storage, model.backend);
        let observer: Arc<dyn Observer> = oracle.clone();
        let ds = Datastore::new(config, storage, Clock::manual(START), observer);
        let process = ds.start_process();
        Sut {
            ds,
            oracle,
            processes: vec![process],
            writers: (0..GROUPS.len()).map(|_| None).collect(),
        }
    }

    fn apply(mut sut: Sut, model: &ModelState, transition: Transition) -> Sut {
        let exact = model.exact();
        let refused = |expect: &Expect| match expect {
            Expect::Refused(r) => Some(*r),
            _ => None,
        };
        if let Some(slot) = transition.slot() {
            if sut.writers[slot].is_none() {
                // The model agrees (checked by the invariants): a no-op left by shrinking.
                return sut;
            }
        }
        let old_alive = sut.processes.len() > 1;
        match transition {
            Transition::StartBackup { group, old_process } => {
                let process = if old_process && old_alive {
                    sut.previous().clone()
                } else {
                    sut.current().clone()
                };
                let time = model.writers[group]
                    .as_ref()
                    .map_or(model.next_time, |w| w.time);
                let result = process.start_backup(GROUPS[group], time);
                match (refused(&model.expect), result) {
                    (None, Ok(writer)) => sut.writers[group] = Some(writer),
                    (Some(r), Err(err)) => assert!(
                        r.matches(StoreError::of(&err)),
                        "start of {} refused with {err:#}, model expected {r:?}",
                        GROUPS[group]
                    ),
                    (None, Err(err)) => panic!("start of {} failed: {err:#}", GROUPS[group]),
                    (Some(r), Ok(_)) => {
                        panic!("start of {} succeeded, model expected {r:?}", GROUPS[group])
                    }
                }
            }
            Transition::Upload { slot, chunk } => {
                let d = sut
                    .writer(slot)
                    .upload_chunk(&chunk_data(chunk))
                    .expect("upload");
                assert_eq!(d, digest(chunk));
            }
            Transition::Reuse { slot, chunk } => {
                let w = sut.writer(slot);
                let present = w.reuse_chunk(digest(chunk)).expect("re-use");
                if !present {
                    w.upload_chunk(&chunk_data(chunk))
                        .expect("upload after re-use");
                }
                if let (Expect::Reused(expected), true) = (&model.expect, exact) {
                    assert_eq!(present, *expected, "re-use of chunk {chunk}: present?");
                }
            }
            Transition::AppendAndClose { slot, .. } => {
                let Expect::Publish { name, chunks } = &model.expect else {
                    unreachable!("publish without expectation")
                };
                let w = sut.writer(slot);
                w.create_index(name).expect("create index");
                for c in chunks {
                    w.append(name, digest(*c)).expect("append known chunk");
                }
                w.close_index(name).expect("close index");
            }
            Transition::Finish { slot } => {
                let w = sut.writers[slot].take().expect("session to finish");
                w.finish().expect("finish");
            }
            Transition::Abort { slot } => {
                drop(sut.writers[slot].take().expect("session to abort"));
            }
            Transition::Prune { .. } => {
                let Expect::Prune(snapshot, refusal) = &model.expect else {
                    unreachable!("prune without expectation")
                };
                match (refusal, sut.current().prune(snapshot)) {
                    (None, Ok(())) => {}
                    (Some(r), Err(err)) => assert!(
                        r.matches(StoreError::of(&err)),
                        "prune of {snapshot} refused with {err:#}, model expected {r:?}"
                    ),
                    (None, Err(err)) => panic!("prune of {snapshot} failed: {err:#}"),
                    (Some(r), Ok(())) => {
                        panic!("prune of {snapshot} succeeded, model expected {r:?}")
                    }
                }
            }
            Transition::Read { .. } if !matches!(model.expect, Expect::Read(_)) => {}
            Transition::Read { chunk } => {
                let cache = sut.current().cache().expect("S3 cache");
                let result = cache.access(&digest(chunk));
                if exact {
                    match (&model.expect, result) {
                        (Expect::Read(Some(_)), Ok(data)) => assert_eq!(data, chunk_data(chunk)),
                        (Expect::Read(None), Err(err)) => assert!(
                            Refusal::Missing.matches(StoreError::of(&err)),
                            "read of chunk {chunk} failed with {err:#}, model expected missing"
                        ),
                        (expect, Ok(_)) => {
                            panic!("read of chunk {chunk} succeeded, model: {expect:?}")
                        }
                        (expect, Err(err)) => {
                            panic!("read of chunk {chunk} failed with {err:#}, model: {expect:?}")
                        }
                    }
                }
            }
            Transition::Gc { old_process } => {
                let process = if old_process && old_alive {
                    sut.previous().clone()
                } else {
                    sut.current().clone()
                };
                match (&model.expect, process.garbage_collect()) {
                    (Expect::Gc(expected), Ok(status)) => {
                        if exact {
                            assert_eq!(&status, expected, "GC status (left: store, right: model)");
                        }
                    }
                    (Expect::Refused(r), Err(err)) => assert!(
                        r.matches(StoreError::of(&err)),
                        "GC refused with {err:#}, model expected {r:?}"
                    ),
                    (expect, Ok(status)) => panic!("GC ran ({status:?}), model: {expect:?}"),
                    (expect, Err(err)) => panic!("GC failed with {err:#}, model: {expect:?}"),
                }
            }
            Transition::AdvanceClock { secs } => sut.ds.clock().advance(secs),
            Transition::Reload => {
                let new = sut.current().reload();
                sut.processes.push(new);
            }
        }
        tally_transition(model, &transition);
        sut
    }

    fn teardown(sut: Sut, _model: ModelState) {
        let coverage = sut.oracle.coverage();
        tally(|t| {
            t.cases += 1;
            t.oracle_removes += coverage.removes;
            t.oracle_removes_with_active_writer += coverage.removes_with_active_writer;
            t.oracle_removes_with_visible_index += coverage.removes_with_visible_index;
            t.oracle_objects_deleted += coverage.objects_deleted;
        });
    }

    fn check_invariants(sut: &Sut, model: &ModelState) {
        if let Some((property, message)) = sut.oracle.violation() {
            panic!("oracle: {property} violated earlier:\n{message}");
        }
        let storage = sut.ds.storage();
        assert_eq!(sut.ds.clock().now(), model.now, "clock");
        assert_eq!(sut.processes.len(), model.lrus.len(), "processes");

        // (1) The index files are the model's; every referenced chunk exists.
        for (g, group) in GROUPS.iter().enumerate() {
            let times = storage.indexes.snapshots(group).expect("list snapshots");
            let expected: Vec<i64> = model
                .snapshots
                .range((g, i64::MIN)..=(g, i64::MAX))
                .map(|((_, t), _)| *t)
                .collect();
            assert_eq!(times, expected, "snapshots of {group}");
        }
        for ((g, time), indexes) in &model.snapshots {
            let snapshot = SnapshotId {
                group: GROUPS[*g].to_string(),
                time: *time,
            };
            let names = storage
                .indexes
                .indexes(&snapshot)
                .expect("list indexes")
                .expect("snapshot exists");
            let expected: Vec<String> = (0..indexes.len()).map(index_name).collect();
            assert_eq!(names, expected, "indexes of {snapshot}");
            for (name, chunks) in names.iter().zip(indexes) {
                let bytes = storage
                    .indexes
                    .read(&snapshot, name)
                    .expect("read index")
                    .expect("index exists");
                let path = format!("{snapshot}/{name}");
                let digests = store::index::decode(&path, &bytes).expect("decode index");
                let expected: Vec<Digest> = chunks.iter().map(|c| digest(*c)).collect();
                assert_eq!(digests, expected, "content of {path}");
                for c in chunks {
                    sut.assert_exists(model.backend, *c, &format!("referenced by {path}"));
                }
            }
        }

        // (2) Every chunk an active session knows exists; sessions are the model's.
        for (slot, (w, m)) in sut.writers.iter().zip(&model.writers).enumerate() {
            match (w, m) {
                (None, None) => {}
                (Some(w), Some(m)) => {
                    assert_eq!(w.start_time(), m.start, "start of session {slot}");
                    let expected: BTreeSet<Digest> = m.session.iter().map(|c| digest(*c)).collect();
                    assert_eq!(
                        w.known_chunks(),
                        &expected,
                        "known chunks of session {slot}"
                    );
                    for c in &m.session {
                        let why = format!("used by the session of {}", GROUPS[slot]);
                        sut.assert_exists(model.backend, *c, &why);
                    }
                }
                _ => panic!("session {slot}: store and model disagree on whether it runs"),
            }
        }

        // (3) The model is exact: presence, atime, content or marker, LRUs.
        if !model.exact() {
            return;
        }
        for c in 0..POOL {
            let d = digest(c);
            let m = model.chunks.get(&c);
            let expected = m.map(|m| ChunkStat {
                size: if m.content { chunk_len(c) } else { 0 },
                atime: m.atime,
            });
            assert_eq!(
                storage.chunks.inspect(&d),
                expected,
                "local file of chunk {c}"
            );
            if model.s3() {
                assert_eq!(
                    storage.bucket.inspect(&d),
                    m.is_some(),
                    "object of chunk {c}"
                );
                // Only live processes: the current one and those with active sessions. An
                // old process without sessions never uses its LRU again; its entries may be
                // stale (a later process's GC removed their files), which is harmless.
                let live = |p: usize| {
                    p == model.current || model.writers.iter().flatten().any(|w| w.process == p)
                };
                for (p, process) in sut.processes.iter().enumerate().filter(|(p, _)| live(*p)) {
                    let cache = process.cache().expect("S3 cache");
                    assert_eq!(
                        cache.contains(&d),
                        model.lrus[p].contains(&c),
                        "LRU of process {p} holding chunk {c}"
                    );
                }
            }
        }
        assert_eq!(storage.chunks.inspect_all().len(), model.chunks.len());
        if model.s3() {
            assert_eq!(storage.bucket.inspect_all().len(), model.chunks.len());
        }
    }
}

// ---------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------

// Budget: 1,024 cases of 1..40 transitions (about 20 on average) per backend. Every step runs
// in memory (model storage, logical clock) and costs microseconds, so each test takes well
// under a second in the test profile (opt-level 3) and the whole file a few seconds
// including compilation-free reruns; `clean_machine_reaches_the_interesting_states` shows
// what this budget covers (hundreds of GCs, dozens of removals while sessions run, every
// kind of refusal). The count is explicit, so PROPTEST_CASES does not change it. Failures
// are persisted next to this file (`state_machine.proptest-regressions`) and replayed first.
const CASES: u32 = 1024;

fn main_config() -> Config {
    Config {
        cases: CASES,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..Config::default()
    }
}

prop_state_machine! {
    #![proptest_config(main_config())]

    /// Filesystem backend: the store follows the model and the oracle stays quiet.
    #[test]
    fn filesystem_store_follows_model(sequential 1..40 => StoreTest<Fs>);

    /// S3 backend with a 2-chunk cache: the store follows the model and the oracle stays quiet.
    #[test]
    fn s3_store_follows_model(sequential 1..40 => StoreTest<S3>);
}

/// Runs the clean machine's cases (same count and sequence lengths as the main tests, from
/// proptest's fixed deterministic seed) and returns what they reached.
fn clean_run_tally<F: Flavor>() -> Tally {
    TALLY.with(|t| t.take());
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(
        config.clone(),
        TestRng::deterministic_rng(config.rng_algorithm),
    );
    runner
        .run(
            &Model::<F>::sequential_strategy(1..40),
            |(state, transitions, seen)| {
                StoreTest::<F>::test_sequential(config.clone(), state, transitions, seen);
                Ok(())
            },
        )
        .expect("the clean store follows the model");
    TALLY.with(|t| t.take())
}

/// The main tests are not vacuous: their sequences reach every kind of refusal, GCs that
/// remove chunks while sessions run and while the cutoff is bounded by an old session,
/// re-use hits, evictions to markers and reads of missing chunks (S3).
#[test]
fn clean_machine_reaches_the_interesting_states() {
    for (backend, t) in [
        (Backend::Filesystem, clean_run_tally::<Fs>()),
        (Backend::S3, clean_run_tally::<S3>()),
    ] {
        println!("{backend:?}: {t:#?}");
        let reached = [
            ("GC", t.gcs),
            ("GC while a session runs", t.gcs_with_session),
            (
                "GC cutoff bounded by an old session",
                t.gcs_bounded_by_writer,
            ),
            ("chunk removed", t.chunks_removed),
            ("start refused: group busy", t.start_refused_busy_group),
            ("refused: shutting down", t.refused_shutting_down),
            (
                "GC refused: session of another process",
                t.gc_refused_other_process,
            ),
            ("prune refused: snapshot in use", t.prune_refused_locked),
            ("snapshot pruned", t.pruned),
            ("re-use of a present chunk", t.reuse_hits),
            (
                "remove while a session runs",
                t.oracle_removes_with_active_writer,
            ),
            (
                "remove while an index is visible",
                t.oracle_removes_with_visible_index,
            ),
        ];
        let s3_only = [
            ("chunk evicted to a marker", t.marker_states),
            ("read of a missing chunk", t.reads_missing),
            ("bucket object deleted", t.oracle_objects_deleted),
        ];
        let s3 = backend == Backend::S3;
        for (what, count) in reached
            .into_iter()
            .chain(s3_only.into_iter().filter(|_| s3))
        {
            assert!(count > 0, "{backend:?}: never reached: {what}");
        }
    }
}

/// Replays `transitions` from `state` once (no shrinking); the failure message, if any.
fn replay(state: &ModelState, transitions: &[Transition]) -> Option<String> {
    let config = Config {
        cases: 1,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config.clone());
    let case = Just((state.clone(), transitions.to_vec()));
    // The store under test takes its backend, bugs and read policy from the model state;
    // the flavor parameter only names the machine type.
    match runner.run(&case, |(state, transitions)| {
        StoreTest::<Fs>::test_sequential(config.clone(), state, transitions, None);
        Ok(())
    }) {
        Err(TestError::Fail(reason, _)) => Some(reason.message().to_string()),
        _ => None,
    }
}

/// Whether a failure message reports lost or endangered data (not a model disagreement).
fn is_safety_violation(message: &str) -> bool {
    matches!(
        Property::of_message(message),
        Some(Property::P2 | Property::P3 | Property::P4 | Property::Harm)
    ) || message.contains("is gone or damaged")
}

fn print_sequence(title: &str, transitions: &[Transition]) {
    println!("{title} ({} transitions):", transitions.len());
    for (i, t) in transitions.iter().enumerate() {
        println!("  {:2}. {t:?}", i + 1);
    }
}

/// Runs the machine with `bug` seeded on `backend` until it fails (up to 2,000 cases from
/// proptest's fixed deterministic seed) and lets proptest shrink the failure; checks that
/// the shrunk sequence has at most `max_shrunk` transitions and breaks a safety property.
///
/// proptest-state-machine 0.9 deletes transitions in one pass from the back, before it
/// shrinks the transitions themselves, so a transition that was needed early in that pass
/// (say a read that kept a chunk cached while later-deleted uploads would have evicted it)
/// stays. A second greedy deletion pass over the shrunk sequence removes those; the result
/// must have at most `max_minimal` transitions and still break a safety property.
fn assert_seeded_bug_caught(
    backend: Backend,
    bug: SeededBug,
    max_shrunk: usize,
    max_minimal: usize,
) {
    let initial = ModelState::new(backend, Bugs::only(bug));
    let init = initial.clone();
    let strategy = Sequential::new(
        (1..40usize).into(),
        move || Just(init.clone()).boxed(),
        Model::<Fs>::preconditions,
        Model::<Fs>::transitions,
        Model::<Fs>::apply,
    );
    let config = Config {
        cases: 2_000,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(
        config.clone(),
        TestRng::deterministic_rng(config.rng_algorithm),
    );
    let result = runner.run(&strategy, |(state, transitions, seen)| {
        StoreTest::<Fs>::test_sequential(config.clone(), state, transitions, seen);
        Ok(())
    });
    let (reason, shrunk) = match result {
        Err(TestError::Fail(reason, (_, transitions, _))) => (reason, transitions),
        Err(other) => panic!("seeded bug {bug}: the runner stopped without a failure: {other}"),
        Ok(()) => panic!("seeded bug {bug} ({backend:?}) was not caught in 2,000 cases"),
    };
    let reason = reason.message().to_string();
    println!("seeded bug {bug} ({backend:?}):");
    print_sequence("shrunk by proptest", &shrunk);
    println!("  failure: {}", reason.lines().next().unwrap_or_default());
    assert!(
        is_safety_violation(&reason),
        "seeded bug {bug}: the failure is not a safety violation: {reason}"
    );
    assert!(
        shrunk.len() <= max_shrunk,
        "seeded bug {bug}: proptest shrank to {} transitions (> {max_shrunk}): {shrunk:?}",
        shrunk.len()
    );

    let mut minimal = shrunk;
    let mut reason = reason;
    loop {
        let before = minimal.len();
        let mut i = 0;
        while i < minimal.len() {
            let mut candidate = minimal.clone();
            candidate.remove(i);
            match replay(&initial, &candidate) {
                Some(r) if is_safety_violation(&r) => {
                    minimal = candidate;
                    reason = r;
                }
                _ => i += 1,
            }
        }
        if minimal.len() == before {
            break;
        }
    }
    print_sequence("after a second deletion pass", &minimal);
    println!("  failure: {}", reason.lines().next().unwrap_or_default());
    assert!(
        minimal.len() <= max_minimal,
        "seeded bug {bug}: minimal sequence has {} transitions (> {max_minimal}): {minimal:?}",
        minimal.len()
    );
}

/// GC's cutoff ignores the oldest writer: a session older than the grace period loses the
/// chunk it uploaded first (start, upload, clock jump, GC: four steps).
#[test]
fn seeded_cutoff_ignores_oldest_writer_is_caught_and_shrunk() {
    assert_seeded_bug_caught(
        Backend::Filesystem,
        SeededBug::CutoffIgnoresOldestWriter,
        6,
        4,
    );
}

/// Inserting an existing chunk skips the touch: a session re-uploads an old unreferenced
/// chunk, which keeps its old atime and is swept while the session uses it (start, upload,
/// finish, clock jump, start, upload, GC: seven steps).
#[test]
fn seeded_insert_skips_touch_is_caught_and_shrunk() {
    assert_seeded_bug_caught(Backend::Filesystem, SeededBug::InsertSkipsTouch, 10, 7);
}

/// S3: an upload or re-use that hits the LRU skips the touch; same story, seven steps.
#[test]
fn seeded_lru_hit_skips_touch_is_caught_and_shrunk() {
    assert_seeded_bug_caught(Backend::S3, SeededBug::LruHitSkipsTouch, 10, 7);
}

/// A finding of this test (no seeded bug): after a reload, a read in the new process caches
/// a chunk that the old process's LRU also lists; the old process's session then uploads two
/// chunks, its LRU evicts that chunk and turns the shared local file into a marker, while the
/// new process's LRU still lists it. "An LRU entry implies full local content" therefore
/// holds per process only: the store's read path refetches on an empty hit, and the oracle
/// drops the other processes' stale entries when one process evicts or removes a chunk.
/// This replay must pass without a violation.
#[test]
fn read_after_reload_with_stale_lru_entry() {
    let initial = ModelState::new(Backend::S3, Bugs::none());
    let transitions = [
        Transition::StartBackup {
            group: 1,
            old_process: false,
        },
        Transition::Reload,
        Transition::Upload { slot: 1, chunk: 5 },
        Transition::Read { chunk: 5 },
        Transition::Upload { slot: 1, chunk: 2 },
        Transition::Upload { slot: 1, chunk: 3 },
    ];
    if let Some(failure) = replay(&initial, &transitions) {
        panic!("{failure}");
    }
}
