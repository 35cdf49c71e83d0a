//! What the drivers learn about a checker run as data, not from panic text.
//!
//! A driver ([`crate::check`]) opens an [`ExecutionLog`] for each checker run and installs it
//! on its thread. Loom and shuttle run every modelled thread of an execution as a coroutine
//! on that same OS thread, so everything inside the execution finds the log there:
//!
//! - the oracle records the first violated [`Property`] of the execution (its panic message
//!   is for people; the property travels here) and, when it is dropped, adds its coverage;
//! - the loom and shuttle platforms count the modelled threads that are alive and those that
//!   are inside a blocking call (lock, condition wait, join). When a checker stops an
//!   execution while every live thread is inside one, nobody could run: a deadlock. The
//!   decrement after a blocking call is plain code, not a destructor, so a checker that
//!   unwinds a thread out of its blocking call leaves the count as it was at the failure.
//!   These counts are kept in plain thread-local cells (every lock passes through them, so
//!   they must be cheap), which the log reads on the same driver thread.
//!
//! The log takes only std locks and atomics, which add no scheduling point.

use crate::faults::{FaultChoice, FaultContext, Landings};
use crate::oracle::{Coverage, Property};
use crate::program::PlannedFault;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use store::storage::{Fault, Site};

/// Faults injected over a checker run, per site and fault.
pub type FaultTally = BTreeMap<(Site, Fault), u64>;

thread_local! {
    static CURRENT: RefCell<Option<Arc<ExecutionLog>>> = const { RefCell::new(None) };
    /// Modelled threads of the current execution: alive, and inside a blocking call.
    static THREADS: Cell<Threads> = const { Cell::new(Threads { live: 0, blocked: 0 }) };
}

#[derive(Clone, Copy, Debug)]
struct Threads {
    live: usize,
    blocked: usize,
}

fn count_threads(update: impl FnOnce(&mut Threads)) {
    THREADS.with(|cell| {
        let mut threads = cell.get();
        update(&mut threads);
        cell.set(threads);
    });
}

/// Facts about the executions of one checker run (see the module docs).
#[derive(Debug, Default)]
pub struct ExecutionLog {
    executions: AtomicU64,
    violation: Mutex<Option<Property>>,
    coverage: Mutex<Coverage>,
    fault_choice: Mutex<FaultChoice>,
    fault_point_kinds: AtomicUsize,
    planned_faults: AtomicBool,
    faults: Mutex<FaultTally>,
    landings: Mutex<Landings>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl ExecutionLog {
    /// A fresh log.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The log installed on the calling thread, if a driver installed one.
    pub fn current() -> Option<Arc<Self>> {
        CURRENT.with(|current| current.borrow().clone())
    }

    /// Installs `self` on the calling thread until the returned guard drops (which puts
    /// back whatever was installed before, so runs nest).
    pub fn install(self: &Arc<Self>) -> Installed {
        let previous = CURRENT.with(|current| current.replace(Some(self.clone())));
        Installed { previous }
    }

    /// `body` as the body of every execution of a checker run: each call starts a new
    /// execution of this log, then runs `body`.
    pub fn executions<F>(self: &Arc<Self>, body: F) -> impl Fn() + Send + Sync + 'static
    where
        F: Fn() + Send + Sync + 'static,
    {
        let log = self.clone();
        move || {
            log.begin_execution();
            body()
        }
    }

    /// How many executions began.
    pub fn executions_begun(&self) -> u64 {
        self.executions.load(Ordering::SeqCst)
    }

    /// Starts a new execution: no violation yet, only the main thread alive.
    pub fn begin_execution(&self) {
        self.executions.fetch_add(1, Ordering::SeqCst);
        *lock(&self.violation) = None;
        THREADS.with(|cell| {
            cell.set(Threads {
                live: 1,
                blocked: 0,
            })
        });
    }

    /// Records `property` as the execution's violation, unless one is recorded already.
    pub fn record_violation(&self, property: Property) {
        lock(&self.violation).get_or_insert(property);
    }

    /// The violation the last execution recorded.
    pub fn violation(&self) -> Option<Property> {
        *lock(&self.violation)
    }

    /// Adds one execution's coverage.
    pub fn add_coverage(&self, coverage: &Coverage) {
        lock(&self.coverage).add(coverage);
    }

    /// The coverage summed over every execution so far.
    pub fn coverage(&self) -> Coverage {
        lock(&self.coverage).clone()
    }

    /// How the fault injectors of this run choose (set by the driver for its checker).
    pub fn set_fault_choice(&self, choice: FaultChoice) {
        *lock(&self.fault_choice) = choice;
        self.fault_point_kinds.store(0, Ordering::SeqCst);
    }

    /// How the fault injectors of this run choose.
    pub fn fault_choice(&self) -> FaultChoice {
        *lock(&self.fault_choice)
    }

    /// An execution reached the operation a [`FaultChoice::Nth`] names, at a site with
    /// `kinds` fault kinds.
    pub fn fault_point_reached(&self, kinds: usize) {
        self.fault_point_kinds.fetch_max(kinds, Ordering::SeqCst);
    }

    /// The most fault kinds of a site at which an execution since the last
    /// [`ExecutionLog::set_fault_choice`] reached the operation its [`FaultChoice::Nth`]
    /// names; 0 when none reached it (then later operations are out of reach too).
    pub fn fault_kinds_at_point(&self) -> usize {
        self.fault_point_kinds.load(Ordering::SeqCst)
    }

    /// An execution's program planned its faults, which replace the checker's choice.
    pub fn faults_planned(&self) {
        self.planned_faults.store(true, Ordering::SeqCst);
    }

    /// Whether any execution of this run had planned faults.
    pub fn had_planned_faults(&self) -> bool {
        self.planned_faults.load(Ordering::SeqCst)
    }

    /// Counts an injected fault.
    pub fn record_fault(&self, site: Site, fault: Fault) {
        *lock(&self.faults).entry((site, fault)).or_default() += 1;
    }

    /// Keeps `plan` as the first landing in `context`, unless one landed there before.
    pub fn record_landing(&self, context: FaultContext, plan: PlannedFault) {
        lock(&self.landings).entry(context).or_insert(plan);
    }

    /// The first landing in each fault context over every execution so far.
    pub fn landings(&self) -> Landings {
        lock(&self.landings).clone()
    }

    /// The faults injected over every execution so far.
    pub fn faults(&self) -> FaultTally {
        lock(&self.faults).clone()
    }

    /// Whether every live thread of the last execution was inside a blocking call when it
    /// stopped. Asked on the thread that ran the execution (the driver's).
    pub fn all_blocked(&self) -> bool {
        let threads = THREADS.with(Cell::get);
        threads.live > 0 && threads.blocked >= threads.live
    }
}

/// Keeps an [`ExecutionLog`] installed; see [`ExecutionLog::install`].
#[must_use = "the log is uninstalled when this guard drops"]
pub struct Installed {
    previous: Option<Arc<ExecutionLog>>,
}

impl Drop for Installed {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|current| *current.borrow_mut() = previous);
    }
}

/// Runs a blocking platform call, counted as blocked while it runs (see the module docs).
#[inline]
pub(crate) fn blocking<T>(call: impl FnOnce() -> T) -> T {
    count_threads(|t| t.blocked += 1);
    let value = call();
    count_threads(|t| t.blocked -= 1);
    value
}

/// Wraps the body of a thread about to be spawned so it counts as live until it returns.
pub(crate) fn counted_thread<F, T>(body: F) -> impl FnOnce() -> T + Send + 'static
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    count_threads(|t| t.live += 1);
    move || {
        let value = body();
        count_threads(|t| t.live -= 1);
        value
    }
}
