//! Fault injection under the checkers: which storage operation fails, and how, is a choice
//! the checker explores, within a small budget per execution.
//!
//! An [`Injector`] is the model storage's [`FaultSource`] for one execution. Faults land
//! only on the actors' threads, never on the execution's main thread (which writes the
//! history and checks the end). How it chooses depends on the checker that runs the execution, which
//! the driver records in the [`ExecutionLog`] ([`FaultChoice`]):
//! - **shuttle**: at each operation a random choice the scheduler makes, records and
//!   replays, so a failing schedule reproduces its faults too;
//! - **loom**: loom explores schedules, not data, so the driver enumerates the choice: one
//!   exhaustive search per (operation number, fault kind), the fault landing on that
//!   operation of every execution (budget 1);
//! - **real threads**: a seeded generator per execution.
//!
//! A program that plans its faults ([`crate::program::PlannedFault`], kept and mutated by the
//! guided search) gets those instead, under every checker: the plan, not the checker,
//! chooses, so what a corpus entry found it finds again.
//!
//! A **crash** kills the process the calling thread acts for (the executor tells the injector
//! with [`Injector::enter`]): that operation and every later storage operation of the
//! process fail with `ProcessCrashed` and change nothing, so its threads do nothing more to
//! the disk or the bucket while they wind down; what it wrote stays, an unpublished
//! `.tmp_didx` included. Its locks go as its threads return, as the kernel's would, and the
//! executor restarts a fresh process over the same storage.
//!
//! The injector takes only std locks and atomics: it is asked inside a storage step and
//! must not be a scheduling point itself.

use crate::execution::ExecutionLog;
use crate::program::{OpKind, PlannedFault, Rng};
use std::collections::{BTreeMap, BTreeSet};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use store::storage::{Fault, FaultSource, ProcessCrashed, Site, StorageFault};
use store::{Digest, Event, Fact, Observer, Platform, ProcessId};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One operation in this many gets a fault, while the budget lasts (shuttle, real threads).
pub const FAULT_ONE_IN: u64 = 20;

/// Whether `err` comes from an injected fault: an I/O error or a crash that the storage
/// reported and the store passed on.
pub fn injected(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|cause| cause.is::<StorageFault>() || cause.is::<ProcessCrashed>())
}

/// How the injectors of a checker run choose; the driver sets it in the run's log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FaultChoice {
    /// shuttle: a random choice the scheduler records and replays.
    #[default]
    Shuttle,
    /// Real threads: a generator seeded with this plus the execution's number.
    Seeded(u64),
    /// loom: the `op`-th operation of the actors' threads (from 0) gets the `kind`-th fault of its
    /// site's [`Site::faults`] (none if the site has fewer).
    Nth {
        /// Which operation.
        op: usize,
        /// Which of its faults.
        kind: usize,
    },
}

/// A program thread as the injector counts it.
#[derive(Clone, Copy, Debug)]
struct Actor {
    /// The program thread (from 0).
    thread: usize,
    /// Its storage operations so far.
    ops: u16,
    /// The kind of operation it runs now.
    kind: Option<OpKind>,
}

/// Where a fault landed, as the guided search tells fault landings apart: the kind of
/// operation whose storage step failed, the site and the fault. The same site fails in
/// different code under different operations (a chunk write is an upload's cache copy,
/// GC's marker, verify's marker), and a site and fault that one operation survives another
/// may not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FaultContext {
    /// The operation whose storage step failed.
    pub kind: OpKind,
    /// The storage operation.
    pub site: Site,
    /// What went wrong.
    pub fault: Fault,
}

/// Per fault context, the first landing in it, as the planned fault that lands there
/// again: a search keeps it with a program that reached something new through it.
pub type Landings = BTreeMap<FaultContext, PlannedFault>;

/// The fault source of one execution on platform `P`.
pub struct Injector<P: Platform> {
    choice: FaultChoice,
    left: AtomicUsize,
    ops: AtomicUsize,
    rng: Mutex<Rng>,
    log: Option<Arc<ExecutionLog>>,
    /// The process each thread last acted for (see [`Injector::enter`]).
    acting: Mutex<BTreeMap<u64, ProcessId>>,
    /// Processes a [`Fault::Crash`] killed.
    crashed: Mutex<BTreeSet<ProcessId>>,
    /// The faults that landed so far.
    landed: Mutex<BTreeSet<Fault>>,
    /// The program's planned faults, each with whether it landed (empty: the checker
    /// chooses).
    plan: Mutex<Vec<(PlannedFault, bool)>>,
    /// Per thread, the program thread it runs, its storage operations so far and the
    /// kind of operation it runs now.
    actors: Mutex<BTreeMap<u64, Actor>>,
    /// The thread that built the injector (the execution's main thread), which writes the
    /// history and checks the end: no fault lands on it.
    main: u64,
    /// Weak: the observer (the oracle) holds the storage, which holds this injector.
    observer: Weak<dyn Observer>,
    platform: PhantomData<fn() -> P>,
}

impl<P: Platform> Injector<P> {
    /// An injector allowing `budget` faults, choosing as the installed
    /// [`ExecutionLog`] says (shuttle's choice when none is installed); `None` when
    /// `budget` is 0.
    /// Each fault is reported to `observer` (the oracle's trail shows it) as it lands.
    pub fn for_execution(budget: u8, observer: &Arc<dyn Observer>) -> Option<Arc<Self>> {
        if budget == 0 {
            return None;
        }
        let log = ExecutionLog::current();
        let choice = log
            .as_ref()
            .map_or(FaultChoice::Shuttle, |l| l.fault_choice());
        let seed = match choice {
            FaultChoice::Seeded(seed) => {
                let execution = log.as_ref().map_or(0, |l| l.executions_begun());
                seed ^ execution.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            }
            _ => 0,
        };
        Some(Arc::new(Self {
            choice,
            left: AtomicUsize::new(usize::from(budget)),
            ops: AtomicUsize::new(0),
            rng: Mutex::new(Rng::new(seed)),
            log,
            acting: Mutex::new(BTreeMap::new()),
            crashed: Mutex::new(BTreeSet::new()),
            landed: Mutex::new(BTreeSet::new()),
            plan: Mutex::new(Vec::new()),
            actors: Mutex::new(BTreeMap::new()),
            main: P::thread_id(),
            observer: Arc::downgrade(observer),
            platform: PhantomData,
        }))
    }

    /// The calling thread acts for `process` from now on: a crash it runs into kills that
    /// process.
    pub fn enter(&self, process: ProcessId) {
        lock(&self.acting).insert(P::thread_id(), process);
    }

    /// The calling thread starts an operation of `kind` (a fault's context).
    pub fn enter_op(&self, kind: OpKind) {
        if let Some(actor) = lock(&self.actors).get_mut(&P::thread_id()) {
            actor.kind = Some(kind);
        }
    }

    /// The program's planned faults: they replace the checker's choice.
    pub fn plan(&self, plan: &[PlannedFault]) {
        if let (Some(log), false) = (&self.log, plan.is_empty()) {
            log.faults_planned();
        }
        *lock(&self.plan) = plan.iter().map(|p| (*p, false)).collect();
    }

    /// The calling thread runs program thread `thread` (a plan counts its operations).
    pub fn enter_thread(&self, thread: usize) {
        let actor = Actor {
            thread,
            ops: 0,
            kind: None,
        };
        lock(&self.actors).insert(P::thread_id(), actor);
    }

    /// The calling thread's program thread, the number of this storage operation of it
    /// (from 0) and the kind of operation it runs; `None` off the program's threads.
    fn count_op(&self) -> Option<Actor> {
        let mut actors = lock(&self.actors);
        let actor = actors.get_mut(&P::thread_id())?;
        let now = *actor;
        actor.ops = actor.ops.saturating_add(1);
        Some(now)
    }

    /// Under a plan, the fault this operation (`actor`'s, if a program thread's) gets
    /// (`Some(None)`: none); `None` without a plan. The first planned fault of the thread,
    /// due by now, not yet landed and possible at `site` lands.
    fn planned(&self, site: Site, actor: Option<Actor>) -> Option<Option<Fault>> {
        let mut plan = lock(&self.plan);
        if plan.is_empty() {
            return None;
        }
        let Some(actor) = actor else {
            return Some(None);
        };
        let due = plan.iter_mut().find(|(p, landed)| {
            !landed
                && usize::from(p.thread) == actor.thread
                && p.op <= actor.ops
                && site.faults().contains(&p.fault)
        });
        Some(due.map(|(p, landed)| {
            *landed = true;
            p.fault
        }))
    }

    /// Whether a fault of `kind` landed so far (`None`: any fault).
    pub fn landed(&self, kind: Option<Fault>) -> bool {
        let landed = lock(&self.landed);
        kind.map_or(!landed.is_empty(), |k| landed.contains(&k))
    }

    /// Whether a crash killed `process`.
    pub fn crashed(&self, process: ProcessId) -> bool {
        lock(&self.crashed).contains(&process)
    }

    fn report(&self, fact: Fact) {
        if let Some(observer) = self.observer.upgrade() {
            observer.event(&Event::Fact(fact));
        }
    }

    /// The next random number of this execution's choice.
    fn random(&self) -> u64 {
        match self.choice {
            FaultChoice::Shuttle => {
                shuttle::rand::RngCore::next_u64(&mut shuttle::rand::thread_rng())
            }
            _ => lock(&self.rng).next_u64(),
        }
    }
}

impl<P: Platform> FaultSource for Injector<P> {
    fn decide(&self, site: Site, digest: Option<&Digest>) -> Option<Fault> {
        let process = lock(&self.acting).get(&P::thread_id()).copied();
        if process.is_some_and(|p| self.crashed(p)) {
            // A dead process's threads do nothing more to storage, budget or not.
            return Some(Fault::Crash);
        }
        if self.left.load(Ordering::SeqCst) == 0 || P::thread_id() == self.main {
            return None;
        }
        let op = self.ops.fetch_add(1, Ordering::SeqCst);
        let actor = self.count_op();
        let fault = match self.planned(site, actor) {
            Some(planned) => planned,
            None => self.chosen(site, op),
        }?;
        self.land(site, fault, process, digest, actor)
    }
}

impl<P: Platform> Injector<P> {
    /// The checker's choice for operation `op` (counted over the actors' threads) at `site`.
    fn chosen(&self, site: Site, op: usize) -> Option<Fault> {
        let faults = site.faults();
        match self.choice {
            FaultChoice::Nth { op: at, kind } => {
                if op == at {
                    if let Some(log) = &self.log {
                        log.fault_point_reached(faults.len());
                    }
                }
                (op == at).then(|| faults.get(kind).copied()).flatten()
            }
            _ => {
                let r = self.random();
                (r % FAULT_ONE_IN == 0).then(|| faults[(r / FAULT_ONE_IN) as usize % faults.len()])
            }
        }
    }

    /// `fault` lands on this operation (of `actor`, if a program thread's): counted with
    /// its context, reported, and (a crash) its process dies.
    fn land(
        &self,
        site: Site,
        fault: Fault,
        process: Option<ProcessId>,
        digest: Option<&Digest>,
        actor: Option<Actor>,
    ) -> Option<Fault> {
        if fault == Fault::Crash {
            // Only a thread acting for a process can crash it.
            let process = process?;
            lock(&self.crashed).insert(process);
            self.report(Fact::ProcessCrashed { process });
        }
        self.left.fetch_sub(1, Ordering::SeqCst);
        lock(&self.landed).insert(fault);
        if let Some(log) = &self.log {
            log.record_fault(site, fault);
            if let Some(Actor {
                thread,
                ops,
                kind: Some(kind),
            }) = actor
            {
                let context = FaultContext { kind, site, fault };
                let plan = PlannedFault {
                    thread: u8::try_from(thread).unwrap_or(u8::MAX),
                    op: ops,
                    fault,
                };
                log.record_landing(context, plan);
            }
        }
        self.report(Fact::FaultInjected {
            site,
            fault,
            digest: digest.copied(),
            thread: P::thread_id(),
        });
        Some(fault)
    }
}
