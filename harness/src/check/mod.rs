//! Checker drivers: run one scenario closure under loom or shuttle and report what happened.
//!
//! Every driver counts the schedules it explored, times the run and turns a panic (an
//! oracle violation, a failed assertion or a deadlock) into a [`Failure`] instead of
//! unwinding into the caller, so tests and the campaign can assert on it. What failed is
//! read from the run's [`ExecutionLog`] as data ([`Cause`]), never parsed from the panic
//! text; the run's coverage comes back in its [`Report`].

mod budget;
mod failure;
mod loom_search;
mod replay;
mod stress;

pub use budget::{
    env_or, parse_count, parse_seed, Budget, EnvError, DEFAULT_MAX_BRANCHES, DEFAULT_PCT_DEPTH,
    DEFAULT_SCHEDULES, DEFAULT_SEED,
};
pub use failure::{Cause, Failure};
pub use loom_search::{checkpoint_path, replay_loom, LOOM_CHECK_INTERVAL};
pub use replay::replay;
pub use stress::STRESS_HANG;

use crate::execution::{ExecutionLog, FaultTally};
use crate::faults::FaultChoice;
use crate::faults::Landings;
use crate::oracle::Coverage;
use crate::schedule::ScheduleRecorder;
use shuttle::scheduler::{PctScheduler, RandomScheduler, UrwRandomScheduler};
use shuttle::{Config, FailurePersistence, Runner};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};
use store::platform::panic_message;

/// A model checker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Checker {
    /// loom: exhaustive within a preemption bound.
    Loom,
    /// shuttle's random scheduler.
    Random,
    /// shuttle's PCT scheduler (probabilistic concurrency testing).
    Pct,
    /// shuttle's uniform random walk scheduler.
    Urw,
    /// No checker: real threads, run again and again (the baseline model checking beats).
    Stress,
}

impl Checker {
    /// The model checkers: every checker but the stress baseline, which controls no
    /// schedule.
    pub const MODEL: [Checker; 4] = [Self::Loom, Self::Random, Self::Pct, Self::Urw];

    /// Every checker.
    pub const ALL: [Checker; 5] = [Self::Loom, Self::Random, Self::Pct, Self::Urw, Self::Stress];

    /// The name used on command lines and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Loom => "loom",
            Self::Random => "shuttle-random",
            Self::Pct => "shuttle-pct",
            Self::Urw => "shuttle-urw",
            Self::Stress => "stress",
        }
    }
}

impl fmt::Display for Checker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Checker {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|c| c.name()).collect();
                format!("unknown checker {s:?}; known: {}", names.join(", "))
            })
    }
}

store::serde_by_name!(Checker);

/// What one checker run found.
#[derive(Clone, Debug)]
pub struct Report {
    /// The checker.
    pub checker: Checker,
    /// Schedules (executions) explored, including a failing one.
    pub schedules: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// The failure, if one was found.
    pub failure: Option<Failure>,
    /// Whether the run stopped at its time limit before exploring its whole budget.
    pub timed_out: bool,
    /// What the oracles of its executions covered, summed.
    pub coverage: Coverage,
    /// The faults injected over its executions.
    pub faults: FaultTally,
    /// The first landing in each fault context (see [`crate::faults::FaultContext`]).
    pub landings: Landings,
}

impl Report {
    /// Schedules per second.
    pub fn rate(&self) -> f64 {
        self.schedules as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Runs `f` under `checker` within `budget`.
pub fn run<F>(checker: Checker, budget: &Budget, f: F) -> Report
where
    F: Fn() + Send + Sync + 'static,
{
    run_with(checker, budget, &RunOptions::default(), f)
}

/// Like [`run`], stopping after `max_time` of wall time.
pub fn run_with_limit<F>(
    checker: Checker,
    budget: &Budget,
    max_time: Option<Duration>,
    f: F,
) -> Report
where
    F: Fn() + Send + Sync + 'static,
{
    let options = RunOptions {
        max_time,
        ..RunOptions::default()
    };
    run_with(checker, budget, &options, f)
}

/// What a run may do beyond its [`Budget`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Stop after this much wall time (shuttle `Config::max_time`, loom
    /// `Builder::max_duration`); [`Report::timed_out`] tells whether it did. loom looks at
    /// its time limit only every [`LOOM_CHECK_INTERVAL`] executions, so a loom run may
    /// overshoot it by that many.
    pub max_time: Option<Duration>,
    /// loom: keep the search's position in this file (written every
    /// [`LOOM_CHECK_INTERVAL`] executions), so that a failure carries it in
    /// [`Failure::schedule`] and [`replay_loom`] can resume the search there.
    pub loom_checkpoint: Option<PathBuf>,
    /// The run injects faults (its setup has a fault budget): loom then searches once per
    /// fault choice (see [`crate::faults`]).
    pub faults: bool,
}

/// Runs `f` under `checker` within `budget`, as `options` say.
pub fn run_with<F>(checker: Checker, budget: &Budget, options: &RunOptions, f: F) -> Report
where
    F: Fn() + Send + Sync + 'static,
{
    let max_time = options.max_time;
    let log = ExecutionLog::new();
    let _installed = log.install();
    let counted = log.executions(f);
    let started = Instant::now();
    log.set_fault_choice(match checker {
        Checker::Stress => FaultChoice::Seeded(budget.seed),
        _ => FaultChoice::Shuttle,
    });
    let failure = match checker {
        Checker::Loom if options.faults => {
            loom_search::run_with_faults(budget, options, &log, counted)
        }
        Checker::Loom => loom_search::run(budget, options, &log, counted),
        Checker::Random => run_shuttle(
            RandomScheduler::new_from_seed(budget.seed, budget.schedules),
            max_time,
            &log,
            counted,
        ),
        Checker::Pct => run_shuttle(
            PctScheduler::new_from_seed(budget.seed, budget.pct_depth, budget.schedules),
            max_time,
            &log,
            counted,
        ),
        Checker::Urw => run_shuttle(
            UrwRandomScheduler::new_from_seed(budget.seed, budget.schedules),
            max_time,
            &log,
            counted,
        ),
        Checker::Stress => stress::run(budget.schedules, max_time, &log, counted),
    };
    let elapsed = started.elapsed();
    let schedules = log.executions_begun();
    let timed_out = failure.is_none()
        && max_time.is_some_and(|limit| elapsed >= limit)
        && (checker == Checker::Loom || schedules < budget.schedules as u64);
    Report {
        checker,
        schedules,
        elapsed,
        failure,
        timed_out,
        coverage: log.coverage(),
        faults: log.faults(),
        landings: log.landings(),
    }
}

/// Shuttle configuration: the harness persists schedules itself.
pub(crate) fn shuttle_config(max_time: Option<Duration>) -> Config {
    let mut config = Config::new();
    config.failure_persistence = FailurePersistence::None;
    config.max_time = max_time;
    config
}

fn run_shuttle<S, F>(
    scheduler: S,
    max_time: Option<Duration>,
    log: &ExecutionLog,
    f: F,
) -> Option<Failure>
where
    S: shuttle::scheduler::Scheduler + 'static,
    F: Fn() + Send + Sync + 'static,
{
    let (recorder, recording) = ScheduleRecorder::new(scheduler);
    let runner = Runner::new(recorder, shuttle_config(max_time));
    catch_unwind(AssertUnwindSafe(|| runner.run(f)))
        .err()
        .map(|payload| Failure {
            cause: Cause::of(log),
            message: panic_message(&*payload),
            schedule: Some(recording.encoded()),
            steps: Some(recording.steps()),
        })
}

/// Where failing schedules are written unless `HARNESS_FAILURE_DIR` says otherwise.
pub fn failure_dir() -> PathBuf {
    std::env::var_os("HARNESS_FAILURE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new("target").join("shuttle-failures"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::{Loom, Shuttle};
    use std::sync::Arc;
    use store::platform::{spawn, LockClass, Mutex};
    use store::Platform;

    /// Two threads take two locks in opposite orders: some schedule deadlocks.
    fn inversion<P: Platform>() {
        let locks = Arc::new((
            Mutex::<P, ()>::new(LockClass::Driver, ()),
            Mutex::<P, ()>::new(LockClass::Driver, ()),
        ));
        let other = locks.clone();
        let ab = spawn::<P, _, _>("a-then-b", move || {
            let _a = other.0.lock();
            let _b = other.1.lock();
        });
        {
            let _b = locks.1.lock();
            let _a = locks.0.lock();
        }
        ab.join();
    }

    /// A thread panics while holding a lock another thread waits for: not a deadlock.
    fn panic_while_another_waits<P: Platform>() {
        let lock = Arc::new(Mutex::<P, ()>::new(LockClass::Driver, ()));
        let other = lock.clone();
        let holder = spawn::<P, _, _>("holder", move || {
            let _held = other.lock();
            panic!("the holder fails");
        });
        drop(lock.lock());
        holder.join();
    }

    fn cause(checker: Checker, f: fn()) -> Cause {
        let budget = Budget {
            preemption_bound: 2,
            max_branches: DEFAULT_MAX_BRANCHES,
            schedules: 200,
            pct_depth: DEFAULT_PCT_DEPTH,
            seed: DEFAULT_SEED,
        };
        let report = run(checker, &budget, f);
        report
            .failure
            .expect("the program fails on some schedule")
            .cause
    }

    #[test]
    fn a_deadlock_is_known_from_blocked_threads() {
        assert_eq!(cause(Checker::Loom, inversion::<Loom>), Cause::Deadlock);
        assert_eq!(
            cause(Checker::Random, inversion::<Shuttle>),
            Cause::Deadlock
        );
    }

    #[test]
    fn a_panic_with_a_waiting_thread_is_no_deadlock() {
        let loom = cause(Checker::Loom, panic_while_another_waits::<Loom>);
        assert_eq!(loom, Cause::Panic);
        let shuttle = cause(Checker::Pct, panic_while_another_waits::<Shuttle>);
        assert_eq!(shuttle, Cause::Panic);
    }
}
