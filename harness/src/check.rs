//! Checker drivers: run one scenario closure under loom or shuttle and report what happened.
//!
//! Every driver counts the schedules it explored, times the run and turns a panic (an
//! oracle violation, a failed assertion or a deadlock report) into a [`Failure`] instead of
//! unwinding into the caller, so tests and the campaign can assert on it.

use crate::oracle::Property;
use crate::schedule::{self, Recorder};
use shuttle::scheduler::{PctScheduler, RandomScheduler, ReplayScheduler, UrwRandomScheduler};
use shuttle::{Config, FailurePersistence, Runner};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
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
}

impl Checker {
    /// Every checker.
    pub const ALL: [Checker; 4] = [Self::Loom, Self::Random, Self::Pct, Self::Urw];

    /// The name used on command lines and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Loom => "loom",
            Self::Random => "shuttle-random",
            Self::Pct => "shuttle-pct",
            Self::Urw => "shuttle-urw",
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

/// How much exploring a checker may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// loom: preemption bound (`LOOM_MAX_PREEMPTIONS` overrides).
    pub preemption_bound: usize,
    /// loom: maximum branches per execution.
    pub max_branches: usize,
    /// shuttle: schedules to run.
    pub schedules: usize,
    /// shuttle PCT: bug depth.
    pub pct_depth: usize,
    /// shuttle: random seed.
    pub seed: u64,
}

/// Default shuttle schedules per run (`HARNESS_SCHEDULES` overrides).
pub const DEFAULT_SCHEDULES: usize = 1_000;
/// Default shuttle seed (`HARNESS_SEED` overrides): fixed, so runs are deterministic.
pub const DEFAULT_SEED: u64 = 0x5eed_c0de;
/// Default PCT depth (`HARNESS_PCT_DEPTH` overrides).
pub const DEFAULT_PCT_DEPTH: usize = 3;

fn env_or<T: FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Budget {
    /// A budget with the given loom preemption bound and shuttle defaults, each overridable
    /// by environment: `LOOM_MAX_PREEMPTIONS`, `LOOM_MAX_BRANCHES`, `HARNESS_SCHEDULES`,
    /// `HARNESS_SEED`, `HARNESS_PCT_DEPTH`.
    pub fn from_env(preemption_bound: usize) -> Self {
        Self {
            preemption_bound: env_or("LOOM_MAX_PREEMPTIONS", preemption_bound),
            max_branches: env_or("LOOM_MAX_BRANCHES", 100_000),
            schedules: env_or("HARNESS_SCHEDULES", DEFAULT_SCHEDULES),
            pct_depth: env_or("HARNESS_PCT_DEPTH", DEFAULT_PCT_DEPTH),
            seed: env_or("HARNESS_SEED", DEFAULT_SEED),
        }
    }
}

/// Why a run failed.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The panic message (violation, assertion or deadlock report).
    pub message: String,
    /// The oracle property named by the message, if any.
    pub property: Option<Property>,
    /// Whether the checker reported a deadlock.
    pub deadlock: bool,
    /// The failing schedule (shuttle), encoded.
    pub schedule: Option<String>,
    /// Scheduling steps of the failing schedule (shuttle): a measure of its length.
    pub steps: Option<usize>,
}

impl Failure {
    fn from_panic(message: String, schedule: Option<String>, steps: Option<usize>) -> Self {
        Self {
            property: Property::of_message(&message),
            deadlock: message.contains("deadlock"),
            message,
            schedule,
            steps,
        }
    }

    /// A one-line verdict: the property, `deadlock`, or `panic`.
    pub fn verdict(&self) -> String {
        match (self.property, self.deadlock) {
            (Some(p), _) => format!("{p} violated"),
            (None, true) => "deadlock".to_string(),
            (None, false) => "panic".to_string(),
        }
    }

    /// The first line of the message.
    pub fn headline(&self) -> &str {
        self.message.lines().next().unwrap_or("")
    }
}

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
    run_with_limit(checker, budget, None, f)
}

/// Like [`run`], stopping after `max_time` of wall time (shuttle `Config::max_time`, loom
/// `Builder::max_duration`); [`Report::timed_out`] tells whether it did.
///
/// loom checks its time limit only every [`LOOM_TIME_CHECK_INTERVAL`] executions, so a loom
/// run may overshoot it by that many executions.
pub fn run_with_limit<F>(
    checker: Checker,
    budget: &Budget,
    max_time: Option<Duration>,
    f: F,
) -> Report
where
    F: Fn() + Send + Sync + 'static,
{
    let counter = Arc::new(AtomicU64::new(0));
    let count = counter.clone();
    let counted = move || {
        count.fetch_add(1, Ordering::Relaxed);
        f()
    };
    let started = Instant::now();
    let failure = match checker {
        Checker::Loom => run_loom(budget, max_time, counted),
        Checker::Random => run_shuttle(
            RandomScheduler::new_from_seed(budget.seed, budget.schedules),
            max_time,
            counted,
        ),
        Checker::Pct => run_shuttle(
            PctScheduler::new_from_seed(budget.seed, budget.pct_depth, budget.schedules),
            max_time,
            counted,
        ),
        Checker::Urw => run_shuttle(
            UrwRandomScheduler::new_from_seed(budget.seed, budget.schedules),
            max_time,
            counted,
        ),
    };
    let elapsed = started.elapsed();
    let schedules = counter.load(Ordering::Relaxed);
    let timed_out = failure.is_none()
        && max_time.is_some_and(|limit| elapsed >= limit)
        && (checker == Checker::Loom || schedules < budget.schedules as u64);
    Report {
        checker,
        schedules,
        elapsed,
        failure,
        timed_out,
    }
}

/// How many executions loom runs between two looks at its time limit.
pub const LOOM_TIME_CHECK_INTERVAL: usize = 1_000;

fn run_loom<F: Fn() + Send + Sync + 'static>(
    budget: &Budget,
    max_time: Option<Duration>,
    f: F,
) -> Option<Failure> {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(budget.preemption_bound);
    builder.max_branches = budget.max_branches;
    if max_time.is_some() {
        builder.max_duration = max_time;
        builder.checkpoint_interval = LOOM_TIME_CHECK_INTERVAL;
    }
    catch_unwind(AssertUnwindSafe(|| builder.check(f)))
        .err()
        .map(|payload| Failure::from_panic(panic_message(&*payload), None, None))
}

/// Shuttle configuration: the harness persists schedules itself.
fn shuttle_config(max_time: Option<Duration>) -> Config {
    let mut config = Config::new();
    config.failure_persistence = FailurePersistence::None;
    config.max_time = max_time;
    config
}

fn run_shuttle<S, F>(scheduler: S, max_time: Option<Duration>, f: F) -> Option<Failure>
where
    S: shuttle::scheduler::Scheduler + 'static,
    F: Fn() + Send + Sync + 'static,
{
    let (recorder, recording) = Recorder::new(scheduler);
    let runner = Runner::new(recorder, shuttle_config(max_time));
    catch_unwind(AssertUnwindSafe(|| runner.run(f)))
        .err()
        .map(|payload| {
            Failure::from_panic(
                panic_message(&*payload),
                Some(recording.encoded()),
                Some(recording.steps()),
            )
        })
}

/// Panic message of shuttle's replay scheduler when the program wants to go on after the
/// last step of the schedule: it ran the whole schedule without failing.
const REPLAY_ENDED: &str = "schedule ended early";

/// Panic messages of shuttle's replay scheduler when a schedule does not fit the program.
const REPLAY_DIVERGENCE: [&str; 3] = [
    "scheduled task is not runnable",
    "expected context switch but next schedule step is random choice",
    "expected random choice but next schedule step is context switch",
];

/// Replays an encoded shuttle schedule once; `Some` with the failure it reproduces, `None`
/// when the program runs the whole schedule (and possibly wants more) without failing.
///
/// # Errors
/// When `encoded` is not a valid schedule, or when it does not fit the program (shuttle's
/// replay scheduler finds a step the program cannot take: a schedule of another scenario
/// or setup, or of an older build).
pub fn replay<F>(encoded: &str, f: F) -> anyhow::Result<Option<Failure>>
where
    F: Fn() + Send + Sync + 'static,
{
    let file = schedule::ScheduleFile {
        meta: Vec::new(),
        schedule: encoded.to_string(),
    };
    let decoded = file.decode()?;
    let steps = decoded.len();
    let scheduler = ReplayScheduler::new_from_schedule(decoded);
    let runner = Runner::new(scheduler, shuttle_config(None));
    let Err(payload) = catch_unwind(AssertUnwindSafe(|| runner.run(f))) else {
        return Ok(None);
    };
    let message = panic_message(&*payload);
    if message.contains(REPLAY_ENDED) {
        return Ok(None);
    }
    if let Some(reason) = REPLAY_DIVERGENCE.iter().find(|r| message.contains(*r)) {
        anyhow::bail!(
            "the schedule does not fit this program ({reason}): another scenario or setup, \
             or changed code"
        );
    }
    Ok(Some(Failure::from_panic(
        message,
        Some(encoded.to_string()),
        Some(steps),
    )))
}

/// Where failing schedules are written unless `HARNESS_FAILURE_DIR` says otherwise.
pub fn failure_dir() -> PathBuf {
    std::env::var_os("HARNESS_FAILURE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new("target").join("shuttle-failures"))
}
