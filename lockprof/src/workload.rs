//! The workloads a profile runs: who the threads are and what each does, generic over
//! the platform so the same workload runs profiled and unprofiled.

use crate::data::Pool;
use anyhow::{anyhow, bail, Context, Result};
use clap::ValueEnum;
use harness::program::{execute_fixed, Program};
use harness::world::Setup;
use serde::Serialize;
use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use store::{
    Backend, Datastore, Digest, LockGranularity, Platform, Process, SnapshotId, StoreError,
};

/// What the threads of a profiled run do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Workload {
    /// `--threads` writers back up new chunks while one GC thread sweeps a store of
    /// `--sweep-chunks` chunks back to back (filesystem or S3).
    BackupVsGc,
    /// `--threads` writers upload new chunks on S3 into a cache of `--cache` chunks, so
    /// almost every upload evicts one (no GC).
    S3Upload,
    /// `--threads` readers restore chunks of a stored set of `--chunks` through a cache of
    /// `--cache` chunks (S3): hits, misses that fetch and evict.
    Restore,
    /// `--threads` writers making snapshots, one GC loop, one reader, one verifier and one
    /// pruner of the writers' snapshots, all at once.
    Mixed,
    /// The generated program of `--program FILE`, run again and again on real threads
    /// (its own model storage, knobs and history; `--backend` and `--storage` do not
    /// apply). One operation is one run of the whole program.
    Program,
}

impl Workload {
    /// The backend the workload needs, if it needs one.
    pub fn required_backend(self) -> Option<Backend> {
        match self {
            Self::S3Upload | Self::Restore => Some(Backend::S3),
            _ => None,
        }
    }

    /// Whether the workload's main threads upload new chunks from per-thread pools.
    pub fn writes(self) -> bool {
        matches!(self, Self::BackupVsGc | Self::S3Upload | Self::Mixed)
    }

    /// The workload's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::BackupVsGc => "backup-vs-gc",
            Self::S3Upload => "s3-upload",
            Self::Restore => "restore",
            Self::Mixed => "mixed",
            Self::Program => "program",
        }
    }

    /// What one operation of the workload is, for reports.
    pub fn unit(self) -> &'static str {
        match self {
            Self::BackupVsGc | Self::S3Upload | Self::Mixed => "chunks uploaded",
            Self::Restore => "chunks read",
            Self::Program => "program runs",
        }
    }
}

/// Chunks a backup session uploads before it finishes and the next one starts.
const SESSION_CHUNKS: usize = 64;
/// Snapshots the mixed workload's pruner leaves in place.
const KEEP_SNAPSHOTS: usize = 4;
/// How long the mixed workload's pruner pauses when it has nothing to prune.
const PRUNER_PAUSE: Duration = Duration::from_millis(1);

/// Everything a run needs besides the platform and the lock granularity.
pub struct Plan {
    /// The workload.
    pub workload: Workload,
    /// Main threads (writers or readers).
    pub threads: usize,
    /// Operations per main thread, or `None` to run for `duration`.
    pub iterations: Option<u64>,
    /// How long to run when `iterations` is `None`.
    pub duration: Duration,
    /// Per-writer pools of new chunks (cycled when a timed run exhausts one: the chunks
    /// are then present, and uploading them touches them).
    pub pools: Vec<Pool>,
    /// Chunks stored before the run (read, verified, swept).
    pub stored: Pool,
    /// The program of [`Workload::Program`].
    pub program: Option<Program>,
}

/// What the main threads did and how long it took.
#[derive(Clone, Copy, Debug, Default)]
pub struct Measured {
    /// Operations the main threads completed.
    pub ops: u64,
    /// From the threads' start to the main threads' end.
    pub wall: Duration,
}

impl Measured {
    /// Operations per second.
    pub fn rate(&self) -> f64 {
        self.ops as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

/// Shared by the threads of one run.
struct Control {
    /// Set when the main threads must stop (a timed run's end).
    stop_main: AtomicBool,
    /// Set when the background threads must stop (the main threads are done).
    stop_background: AtomicBool,
    /// Operations completed so far (progress).
    done: AtomicU64,
    iterations: Option<u64>,
}

impl Control {
    /// Whether a main thread that completed `n` operations goes on.
    fn more(&self, n: u64) -> bool {
        match self.iterations {
            Some(limit) => n < limit,
            None => !self.stop_main.load(Relaxed),
        }
    }

    fn count(&self) {
        self.done.fetch_add(1, Relaxed);
    }
}

/// Runs `plan` on `ds` (a fresh, empty datastore): stores the plan's chunks, calls
/// `measuring` (a profile's reset), runs the threads, and calls `measured` as soon as the
/// main threads are done (a profile's snapshot), before the background threads are told
/// to stop. `progress` is called about twenty times a second with the operations
/// completed and the time elapsed. The wall time runs from the threads' start to the
/// moment the last main thread finished.
///
/// # Errors
/// The first store error among the threads (main threads first, in order), or a program
/// run's failure.
pub fn run<P: Platform>(
    plan: &Plan,
    ds: &Arc<Datastore<P>>,
    lock: LockGranularity,
    measuring: impl FnOnce(),
    measured: impl FnOnce(),
    progress: &dyn Fn(u64, Duration),
) -> Result<Measured> {
    let process = ds.start_process();
    if plan.workload != Workload::Program {
        store_chunks(&process, &plan.stored)?;
    }
    let control = Control {
        stop_main: AtomicBool::new(false),
        stop_background: AtomicBool::new(false),
        done: AtomicU64::new(0),
        iterations: plan.iterations,
    };
    let snapshots = Mutex::new(VecDeque::new());
    measuring();
    let start = Instant::now();
    let (wall, results) = std::thread::scope(|s| {
        let ctl = &control;
        let background: Vec<_> = (background_roles(plan.workload).iter())
            .map(|&role| {
                let (process, plan, snapshots) = (&process, plan, &snapshots);
                s.spawn(move || role.run(process, plan, snapshots, ctl))
            })
            .collect();
        let main: Vec<_> = (0..plan.threads)
            .map(|t| {
                let (process, snapshots) = (&process, &snapshots);
                s.spawn(move || {
                    let result = main_thread(plan, t, process, lock, snapshots, ctl);
                    (result, Instant::now())
                })
            })
            .collect();
        while main.iter().any(|h| !h.is_finished()) {
            let elapsed = start.elapsed();
            progress(ctl.done.load(Relaxed), elapsed);
            if plan.iterations.is_none() && elapsed >= plan.duration {
                ctl.stop_main.store(true, Relaxed);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut results = Vec::new();
        let mut last = start;
        for handle in main {
            match handle.join() {
                Ok((result, finished)) => {
                    last = last.max(finished);
                    results.push(result);
                }
                Err(p) => results.push(Err(anyhow!(panic_text(&*p)))),
            }
        }
        measured();
        ctl.stop_background.store(true, Relaxed);
        for handle in background {
            results.push(
                handle
                    .join()
                    .unwrap_or_else(|p| Err(anyhow!(panic_text(&*p)))),
            );
        }
        (last - start, results)
    });
    progress(control.done.load(Relaxed), wall);
    let mut ops = 0;
    for (i, result) in results.into_iter().enumerate() {
        let n = result?;
        if i < plan.threads {
            ops += n;
        }
    }
    Ok(Measured { ops, wall })
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    format!(
        "a thread panicked: {}",
        store::platform::panic_message(payload)
    )
}

/// Stores `pool` through one backup session (before the measured part).
fn store_chunks<P: Platform>(process: &Arc<Process<P>>, pool: &Pool) -> Result<()> {
    if pool.is_empty() {
        return Ok(());
    }
    let mut writer = process.start_backup("lockprof/stored", 0)?;
    for (digest, data) in &pool.chunks {
        writer.upload(*digest, data)?;
    }
    writer.finish().context("storing the workload's chunks")
}

/// A main thread: a writer, a reader or a program driver.
fn main_thread<P: Platform>(
    plan: &Plan,
    t: usize,
    process: &Arc<Process<P>>,
    lock: LockGranularity,
    snapshots: &Mutex<VecDeque<SnapshotId>>,
    ctl: &Control,
) -> Result<u64> {
    match plan.workload {
        Workload::BackupVsGc | Workload::S3Upload | Workload::Mixed => {
            let index = plan.workload == Workload::Mixed;
            let published = index.then_some(snapshots);
            write(process, t, &plan.pools[t], published, ctl)
        }
        Workload::Restore => read(process, &plan.stored, t as u64, ctl, true),
        Workload::Program => run_program::<P>(plan, lock, ctl),
    }
}

/// Uploads the pool's chunks in sessions of [`SESSION_CHUNKS`]; with `published`, each
/// session indexes its chunks and its snapshot is handed to the pruner.
fn write<P: Platform>(
    process: &Arc<Process<P>>,
    t: usize,
    pool: &Pool,
    published: Option<&Mutex<VecDeque<SnapshotId>>>,
    ctl: &Control,
) -> Result<u64> {
    let group = format!("lockprof/{t}");
    let mut n = 0u64;
    let mut session = 0i64;
    let mut previous = None;
    while ctl.more(n) {
        session += 1;
        let mut writer = process.start_backup(&group, session)?;
        if published.is_some() {
            writer.create_index("data.img")?;
        }
        for _ in 0..SESSION_CHUNKS {
            if !ctl.more(n) {
                break;
            }
            let (digest, data) = &pool.chunks[n as usize % pool.len()];
            writer.upload(*digest, data)?;
            if published.is_some() {
                writer.append("data.img", *digest)?;
            }
            n += 1;
            ctl.count();
        }
        let snapshot = writer.snapshot().clone();
        if published.is_some() {
            writer.close_index("data.img")?;
        }
        writer.finish()?;
        // The pruner gets a snapshot once a newer one of its group exists: the group's
        // newest is the next session's base, which a backup locks shared (pruning it would
        // refuse that backup).
        if let (Some(queue), Some(older)) = (published, previous.replace(snapshot)) {
            queue
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push_back(older);
        }
    }
    Ok(n)
}

/// Reads pseudo-random chunks of `stored` (a fixed sequence per `seed`); with `count`, each
/// read is a main-thread operation.
fn read<P: Platform>(
    process: &Arc<Process<P>>,
    stored: &Pool,
    seed: u64,
    ctl: &Control,
    count: bool,
) -> Result<u64> {
    let mut n = 0u64;
    let mut picks = Picks::new(seed);
    while if count {
        ctl.more(n)
    } else {
        !ctl.stop_background.load(Relaxed)
    } {
        let digest = picks.next(stored);
        process.read_chunk(digest)?;
        n += 1;
        if count {
            ctl.count();
        }
    }
    Ok(n)
}

/// A fixed pseudo-random sequence of a pool's chunks (xorshift).
struct Picks(u64);

impl Picks {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next<'p>(&mut self, pool: &'p Pool) -> &'p Digest {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        &pool.chunks[(self.0 % pool.len() as u64) as usize].0
    }
}

/// Runs the plan's program until the run ends; each run is one operation.
fn run_program<P: Platform>(plan: &Plan, lock: LockGranularity, ctl: &Control) -> Result<u64> {
    let program = plan.program.as_ref().context("no program to run")?;
    let setup = Setup::clean().with_granularity(lock);
    let mut n = 0;
    while ctl.more(n) {
        std::panic::catch_unwind(AssertUnwindSafe(|| execute_fixed::<P>(program, setup)))
            .map_err(|p| anyhow!("the program failed: {}", panic_text(&*p)))?;
        n += 1;
        ctl.count();
    }
    Ok(n)
}

/// A thread that runs beside the main threads until they are done.
#[derive(Clone, Copy, Debug)]
enum Background {
    Gc,
    Reader,
    Verifier,
    Pruner,
}

fn background_roles(workload: Workload) -> &'static [Background] {
    match workload {
        Workload::BackupVsGc => &[Background::Gc],
        Workload::Mixed => &[
            Background::Gc,
            Background::Reader,
            Background::Verifier,
            Background::Pruner,
        ],
        Workload::S3Upload | Workload::Restore | Workload::Program => &[],
    }
}

impl Background {
    fn run<P: Platform>(
        self,
        process: &Arc<Process<P>>,
        plan: &Plan,
        snapshots: &Mutex<VecDeque<SnapshotId>>,
        ctl: &Control,
    ) -> Result<u64> {
        let going = || !ctl.stop_background.load(Relaxed);
        let mut n = 0;
        match self {
            Self::Gc => {
                while going() {
                    process.garbage_collect()?;
                    n += 1;
                }
            }
            Self::Reader => n = read(process, &plan.stored, u64::MAX, ctl, false)?,
            Self::Verifier => {
                let mut picks = Picks::new(u64::MAX - 1);
                while going() {
                    process.verify_chunk(picks.next(&plan.stored))?;
                    n += 1;
                }
            }
            Self::Pruner => {
                while going() {
                    let oldest = {
                        let mut queue = snapshots.lock().unwrap_or_else(PoisonError::into_inner);
                        (queue.len() > KEEP_SNAPSHOTS)
                            .then(|| queue.pop_front())
                            .flatten()
                    };
                    let Some(snapshot) = oldest else {
                        // Nothing old enough yet: the writers make a snapshot every
                        // session; checking more often than that only burns a core.
                        std::thread::sleep(PRUNER_PAUSE);
                        continue;
                    };
                    match process.prune(&snapshot) {
                        Ok(()) => n += 1,
                        // A sync or backup holds it (the store refuses, as documented):
                        // try again later.
                        Err(e) if matches!(StoreError::of(&e), Some(StoreError::Locked(_))) => {
                            (snapshots.lock())
                                .unwrap_or_else(PoisonError::into_inner)
                                .push_back(snapshot);
                            std::thread::sleep(PRUNER_PAUSE);
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(n)
    }
}

/// Checks that `workload` can run on `backend`.
///
/// # Errors
/// When the workload needs another backend.
pub fn check_backend(workload: Workload, backend: Backend) -> Result<()> {
    match workload.required_backend() {
        Some(needed) if needed != backend => bail!(
            "the {} workload runs on the {needed:?} backend only",
            workload.name()
        ),
        _ => Ok(()),
    }
}
