//! Runs a program on a platform: history from the main thread, then one spawned thread per
//! program thread, then the generic end check.
//!
//! Each operation either succeeds or is refused in a way the store documents (locked,
//! shutting down, unknown chunk, not found, missing, corrupt, backup time not newer), or
//! fails with a storage fault the setup injected; any other error panics, and the checker
//! reports it as a failure. The oracle judges every event on the way.

use super::end::end_check;
use super::expect::expectations;
use super::model::{group_name, Age, Chunk, Granularity, Knobs, Past, Proc, Program};
use super::ops::backup::{Backup, Begun};
use super::ops::{Op, Operation};
use super::trace::{Span, Trace};
use crate::faults::{injected, Injector};
use crate::oracle::{CutoffRule, Oracle};
use crate::world::{Checking, ModelStorage, Setup};
use std::collections::BTreeSet;
use std::sync::Arc;
use store::platform::{spawn, LockClass, Mutex, MutexGuard};
use store::storage::{Bucket, ChunkDir, ModelBucket, ModelChunkDir};
use store::{
    BackupWriter, Clock, Datastore, Digest, LockGranularity, Platform, Process, StoreError,
};

/// When the threads start.
pub const NOW: i64 = 100_000;

/// A program's datastore while it runs.
pub struct Run<P: Platform> {
    /// The datastore.
    pub ds: Arc<Datastore<P>>,
    /// The first process.
    pub first: Arc<Process<P>>,
    /// The newest process (the first, until a reload). A platform mutex, not a std one:
    /// the new process is built in the reloading thread, and loom must see the hand-over
    /// to another thread as synchronization (behind a std lock, loom reported the other
    /// thread's first read of the new process's atomics as a causality violation).
    current: Mutex<P, Arc<Process<P>>>,
    /// The model chunk directory.
    pub chunks: Arc<ModelChunkDir<P>>,
    /// The model bucket.
    pub bucket: Arc<ModelBucket<P>>,
    /// Chunks whose local copy the history rotted (their damage is not the store's doing).
    pub rotted: BTreeSet<Digest>,
    /// The program's knobs.
    pub knobs: Knobs,
    /// Whether the newest process can change: the program reloads, or a crash may restart it.
    reloads: bool,
    /// The fault injector, when the setup injects faults (on the program's threads only).
    pub faults: Option<Arc<Injector<P>>>,
    /// The oracle, which also judges the end check (none when measuring without one).
    pub oracle: Option<Arc<Oracle>>,
    /// Backup sessions the history began, each with its thread and process, until the
    /// thread continues it (a std lock: the history fills it before any thread starts).
    begun: std::sync::Mutex<Vec<BegunSession<P>>>,
}

/// A backup session begun by the history: its thread, its backup, its process, its writer.
type BegunSession<P> = (usize, Backup, Arc<Process<P>>, BackupWriter<P>);

impl<P: Platform> Run<P> {
    /// Moves the clock `secs` forward and tells the oracle, whose conflict pairs note
    /// whether it moved inside a window (`oracle::conflicts`).
    pub(crate) fn advance_clock(&self, secs: i64) {
        self.ds.clock().advance(secs);
        if let Some(oracle) = &self.oracle {
            oracle.clock_moved(secs);
        }
    }

    fn current(&self) -> MutexGuard<'_, P, Arc<Process<P>>> {
        self.current.lock()
    }

    /// The newest process.
    pub fn newest(&self) -> Arc<Process<P>> {
        self.current().clone()
    }

    /// The process `proc` names. Without a reload in the program, both name the first
    /// process, and no lock (no scheduling point) is spent finding it.
    fn process(&self, proc: Proc) -> Arc<Process<P>> {
        match (proc, self.reloads) {
            (Proc::Current, true) => self.newest(),
            _ => self.first.clone(),
        }
    }

    /// The process `proc` names, which the calling thread acts for from now on (a crash it
    /// runs into kills that process).
    pub(super) fn acting(&self, proc: Proc) -> Arc<Process<P>> {
        let process = self.process(proc);
        if let Some(faults) = &self.faults {
            faults.enter(process.id());
        }
        process
    }

    /// A service reload: the newest process (which the calling thread acts for from now
    /// on) is told to shut down, and a new one becomes the newest.
    pub(super) fn reload(&self) {
        let old = self.newest();
        if let Some(faults) = &self.faults {
            faults.enter(old.id());
        }
        let new = old.reload();
        *self.current() = new;
    }

    /// The session the history began for `backup` of program thread `thread`, which the
    /// calling thread acts for from now on.
    ///
    /// # Panics
    /// When the history began no such session (it begins one for every begun backup).
    pub(super) fn resume(&self, thread: usize, backup: &Backup) -> BackupWriter<P> {
        let mut sessions = self.begun.lock().unwrap_or_else(|e| e.into_inner());
        let at = sessions
            .iter()
            .position(|(t, b, ..)| *t == thread && b == backup)
            .unwrap_or_else(|| panic!("t{}: no begun session for {}", thread + 1, backup.render()));
        let (.., process, writer) = sessions.swap_remove(at);
        if let Some(faults) = &self.faults {
            faults.enter(process.id());
        }
        writer
    }

    /// After a crash of the newest process, a restart: a fresh process over the same
    /// storage becomes the newest (the crashed one stays dead; `Proc::Old` still names the
    /// first).
    fn restart_if_crashed(&self) {
        let Some(faults) = &self.faults else { return };
        let mut current = self.current();
        if faults.crashed(current.id()) {
            *current = self.ds.start_process();
        }
    }
}

impl<P: Platform> Run<P> {
    /// A datastore with `knobs` and `setup`'s seeded bugs and checks, and no history, for a
    /// caller that runs operations itself (the state-machine test): the clock at
    /// [`NOW`], and a reload possible at any time.
    pub fn open(knobs: Knobs, setup: Setup) -> Self {
        let empty = Program {
            knobs,
            history: Vec::new(),
            threads: Vec::new(),
            expect: Vec::new(),
            faults: Vec::new(),
        };
        Run {
            reloads: true,
            ..prepare(&empty, setup)
        }
    }
}

/// Runs `program` with `setup`'s seeded bugs and checks, recording its spans in `trace`.
///
/// # Panics
/// On a violation (the oracle), a refusal the store does not document, a failed history
/// write, or a failed end check.
pub fn execute<P: Platform>(program: &Program, setup: Setup, trace: &Arc<Trace>) {
    let run = Arc::new(prepare::<P>(program, setup));
    let mut handles = Vec::new();
    for (t, ops) in program.threads.iter().enumerate() {
        let (run, ops, trace) = (run.clone(), ops.clone(), trace.clone());
        handles.push(spawn::<P, _, _>(&format!("t{}", t + 1), move || {
            if let Some(faults) = &run.faults {
                faults.enter_thread(t);
            }
            for op in &ops {
                if let Some(faults) = &run.faults {
                    faults.enter_op(op.kind());
                }
                let begin = trace.tick();
                let process = op.proc().map(|p| run.process(p).id());
                op.run(&run, t);
                run.restart_if_crashed();
                let end = trace.tick();
                trace.record(Span {
                    thread: t,
                    kind: op.kind(),
                    process,
                    begin,
                    end,
                });
            }
        }));
    }
    for handle in handles {
        handle.join();
    }
    expectations(&run, &program.expect);
    end_check(&run);
}

/// Runs a fixed program (a scenario) with `setup`, whose lock granularity replaces the
/// program's (a sharded setup runs with the default shards), so the caller chooses it as
/// for any scenario.
///
/// # Panics
/// As [`execute`].
pub fn execute_fixed<P: Platform>(program: &Program, setup: Setup) {
    let mut program = program.clone();
    program.knobs.granularity = match setup.granularity {
        LockGranularity::Single => Granularity::Single,
        LockGranularity::Sharded(_) => Granularity::Sharded,
    };
    execute::<P>(&program, setup, &Arc::new(Trace::default()));
}

/// Builds the datastore and writes the history, oldest first.
fn prepare<P: Platform>(program: &Program, setup: Setup) -> Run<P> {
    let knobs = program.knobs;
    let backend = knobs.backend.into();
    let setup = setup.with_granularity(knobs.granularity.into());
    let rule = CutoffRule {
        grace: knobs.grace,
        margin: knobs.margin,
    };
    let model = ModelStorage::<P>::new();
    let Checking {
        observer,
        oracle,
        faults,
    } = model.checked(&setup, setup.oracle_options(backend).cutoff(rule));
    if let Some(faults) = &faults {
        faults.plan(&program.faults);
    }
    // A crash may restart the newest process, as a reload replaces it.
    let reloads = program.reloads() || faults.is_some();
    let ModelStorage {
        storage,
        chunks,
        bucket,
        ..
    } = model;
    let config = setup
        .store_config(backend)
        .with_cutoff(knobs.grace, knobs.margin)
        .with_cache_capacity(usize::from(knobs.cache_capacity))
        .with_delete_batch(usize::from(knobs.delete_batch));
    let start = age_time(&knobs, oldest(program));
    let ds = Datastore::new(config, storage, Clock::manual(start), observer);
    let first = ds.start_process();
    let mut run = Run {
        ds,
        current: Mutex::new(LockClass::Driver, first.clone()),
        first,
        chunks,
        bucket,
        rotted: BTreeSet::new(),
        knobs,
        reloads,
        faults,
        oracle,
        begun: std::sync::Mutex::new(Vec::new()),
    };
    write_history(&mut run, program);
    run.advance_clock(NOW - run.ds.clock().now());
    run
}

/// The age of the program's oldest history: where the clock starts.
fn oldest(program: &Program) -> Age {
    let ages = written(program).into_iter().filter_map(|w| w.age());
    ages.min().unwrap_or(Age::Old).min(Age::Old)
}

fn age_time(knobs: &Knobs, age: Age) -> i64 {
    match age {
        Age::Ancient => NOW - 6 * knobs.grace,
        Age::Old => NOW - 3 * knobs.grace,
        Age::InsideGrace => NOW - knobs.grace / 2,
        Age::Fresh => NOW,
    }
}

/// What the history does, in the order it does it.
enum Written<'a> {
    /// An item of [`Program::history`].
    Past(&'a Past),
    /// The session of a backup of thread `thread` begun by the history.
    Begin(usize, &'a Backup, &'a Begun),
}

impl Written<'_> {
    /// When it happens: items by age, a reload after all of them, then the sessions of the
    /// process it started, bit rot and lost files last (the sort is stable: equal keys keep their order).
    fn key(&self, reloads: bool) -> (u8, Age, u8) {
        match self {
            Written::Past(Past::Snapshot { age, .. } | Past::Garbage { age, .. }) => (0, *age, 0),
            Written::Past(Past::Object { marker, .. }) => (0, marker.unwrap_or(Age::Old), 0),
            Written::Begin(_, backup, begun) => match reloads && backup.proc == Proc::Current {
                true => (1, begun.age, 1),
                false => (0, begun.age, 1),
            },
            Written::Past(Past::Reload) => (1, Age::Ancient, 0),
            Written::Past(Past::Corrupt { .. } | Past::LostLocal { .. }) => (2, Age::Fresh, 0),
        }
    }

    /// When the clock must show, if it moves for this.
    fn age(&self) -> Option<Age> {
        match self {
            Written::Past(Past::Snapshot { age, .. } | Past::Garbage { age, .. }) => Some(*age),
            Written::Past(Past::Object { marker, .. }) => *marker,
            Written::Begin(_, _, begun) => Some(begun.age),
            Written::Past(Past::Reload | Past::Corrupt { .. } | Past::LostLocal { .. }) => None,
        }
    }
}

/// What the history writes: its items, then the sessions of the backups it begins, each
/// with its thread (unordered).
fn written(program: &Program) -> Vec<Written<'_>> {
    let mut written: Vec<Written<'_>> = program.history.iter().map(Written::Past).collect();
    for (t, ops) in program.threads.iter().enumerate() {
        for op in ops {
            if let Op::Backup(
                backup @ Backup {
                    begun: Some(begun), ..
                },
            ) = op
            {
                written.push(Written::Begin(t, backup, begun));
            }
        }
    }
    written
}

/// Writes the history in age order (the clock only moves forward), bit rot last, and
/// begins the sessions of backups the history begins.
fn write_history<P: Platform>(run: &mut Run<P>, program: &Program) {
    let mut ordered = written(program);
    let reloads = program.history.contains(&Past::Reload);
    ordered.sort_by_key(|written| written.key(reloads));
    let mut times = [0i64; 256];
    for (n, written) in ordered.into_iter().enumerate() {
        if let Some(age) = written.age() {
            let behind = age_time(&run.knobs, age) - run.ds.clock().now();
            assert!(
                behind >= 0,
                "history: an item {age} comes after a younger one (a session of the current \
                 process begun after a reload is at least as young as the history before it)"
            );
            run.advance_clock(behind);
        }
        match written {
            Written::Past(past) => write_past(run, n, past, &mut times),
            Written::Begin(thread, backup, begun) => {
                let process = match backup.proc {
                    Proc::Old => run.first.clone(),
                    Proc::Current => run.newest(),
                };
                let writer = begun.begin(backup, &process);
                let mut sessions = run.begun.lock().unwrap_or_else(|e| e.into_inner());
                sessions.push((thread, backup.clone(), process, writer));
            }
        }
    }
}

/// Writes a finished snapshot of group `group` at backup time `time` through `process`,
/// with one index (`idx0`, `idx1`, ...) per list of chunks.
///
/// # Panics
/// When the store refuses any step (a history must be written as told).
pub(super) fn write_snapshot<P: Platform>(
    process: &Arc<Process<P>>,
    group: u8,
    time: i64,
    indexes: &[Vec<Chunk>],
) {
    let what = format!("history: snapshot {}/{time}", group_name(group));
    let mut writer = (process.start_backup(&group_name(group), time))
        .unwrap_or_else(|err| panic!("{what} starts: {err:#}"));
    for (i, chunks) in indexes.iter().enumerate() {
        let name = format!("idx{i}");
        let mut publish = || -> anyhow::Result<()> {
            writer.create_index(&name)?;
            for chunk in chunks {
                let digest = writer.upload_chunk(chunk.data())?;
                writer.append(&name, digest)?;
            }
            writer.close_index(&name)
        };
        publish().unwrap_or_else(|err| panic!("{what}, {name}: {err:#}"));
    }
    writer
        .finish()
        .unwrap_or_else(|err| panic!("{what} finishes: {err:#}"));
}

/// Writes one history item (the `n`-th written).
fn write_past<P: Platform>(run: &mut Run<P>, n: usize, past: &Past, times: &mut [i64; 256]) {
    match past {
        Past::Snapshot { group, indexes, .. } => {
            let time = &mut times[usize::from(*group)];
            *time += 1;
            write_snapshot(&run.first, *group, *time, indexes);
        }
        Past::Garbage { chunks, .. } => {
            let group = format!("ct/{}", 900 + n);
            let mut writer = run
                .first
                .start_backup(&group, 1)
                .expect("history: garbage backup starts");
            for chunk in chunks {
                writer
                    .upload_chunk(chunk.data())
                    .expect("history: garbage upload");
            }
            drop(writer);
        }
        Past::Object { chunk, marker } => {
            let digest = chunk.digest();
            run.bucket
                .put_if_absent(&digest, chunk.data())
                .expect("history: object put");
            let local = run.chunks.inspect(&digest);
            if let (Some(_), None) = (marker, local) {
                let now = run.ds.clock().now();
                run.chunks
                    .write(&digest, &[], now)
                    .expect("history: marker");
            }
        }
        Past::Corrupt { chunk, same_size } => {
            let digest = chunk.digest();
            let has_content = run.chunks.inspect(&digest).is_some_and(|st| st.size > 0);
            if has_content {
                run.chunks.corrupt(&digest, chunk.rotten(*same_size));
                run.rotted.insert(digest);
            }
        }
        Past::LostLocal { chunk } => {
            let digest = chunk.digest();
            if run.chunks.lose(&digest) {
                if let Some(oracle) = &run.oracle {
                    oracle.lost_local(digest);
                }
            }
        }
        Past::Reload => {
            let new = run.newest().reload();
            *run.current() = new;
        }
    }
}

/// Whether `err` is a refusal the store documents for the operations programs run, or a
/// storage fault (injected) the store passed on.
fn refused(err: &anyhow::Error) -> bool {
    injected(err)
        || err.chain().any(|cause| {
            matches!(
                cause.downcast_ref::<StoreError>(),
                Some(
                    StoreError::Locked(_)
                        | StoreError::ShuttingDown(_)
                        | StoreError::UnknownChunk(_)
                        | StoreError::NotFound(_)
                        | StoreError::MissingChunk(_)
                        | StoreError::DigestMismatch { .. }
                        | StoreError::BackupTimeNotNewer { .. }
                        | StoreError::IndexStillOpen { .. }
                )
            )
        })
}

/// The "thread" of steps the history runs on the main thread (a begun backup's).
pub(super) const HISTORY: usize = usize::MAX;

/// Accepts a documented refusal on a program thread; panics on anything else, and on any
/// error at all in the history ([`HISTORY`]).
pub(super) fn settle<T>(thread: usize, what: &str, result: anyhow::Result<T>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        // What the history writes must be written: a refusal there is a broken story.
        Err(err) if thread == HISTORY => panic!("history: {what} failed: {err:#}"),
        Err(err) if refused(&err) => None,
        Err(err) => panic!("t{}: {what} failed unexpectedly: {err:#}", thread + 1),
    }
}

/// The chunk a digest of the pool stands for, for messages.
pub fn chunk_of(digest: &Digest) -> Option<Chunk> {
    (0..Chunk::COUNT)
        .map(Chunk)
        .find(|chunk| chunk.digest() == *digest)
}
