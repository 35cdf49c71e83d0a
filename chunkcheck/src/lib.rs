//! The campaign runner behind `chunkcheck`: every scenario under every checker, every seeded
//! race under every checker, then generated actor programs (the clean store, and each
//! seeded bug hunted by them), with progress, a report and an exit code for CI.
//!
//! A campaign is a [`plan::PlanSpec`] cut into work items (see [`plan`] for the split and
//! `--shard K/N`), run on `--jobs` threads by [`run`] (results in plan order), which returns a
//! [`report::CampaignReport`]; [`render`] turns it into tables and [`cli`] wires it to the
//! command line. The runner knows scenarios only through the
//! [`Catalogue`](harness::catalogue::Catalogue) it is handed.
//!
//! ```text
//! cargo run --release -p chunkcheck                  # check, the default
//! cargo run --release -p chunkcheck -- --shard 2/4 --json r2.json
//! cargo run --release -p chunkcheck -- replay target/chunkcheck-failures/X.failure.json
//! ```

pub mod cli;
pub mod commands;
pub mod curve;
mod detections;
mod drive;
pub mod exhaustive;
pub mod failure_file;
mod failures;
mod feed;
pub mod generated;
pub mod plan;
pub mod pool;
pub mod progress;
pub mod quiet;
mod reach;
pub mod render;
mod render_failures;
mod render_generated;
mod render_reach;
pub mod replay;
pub mod report;
mod report_generated;
mod run;
pub mod search;
mod shard;
pub mod shrink;
use lockprof::table;
pub mod verdict;
pub mod work;
pub mod workers;

pub use commands::main;
pub use run::run;

use harness::catalogue::Scenario;
use harness::check::{Budget, Checker};
use harness::world::Setup;
use plan::{Batch, PlanSpec, Shard};
use report::ConfigRecord;
use std::path::PathBuf;
use std::time::Duration;

/// How the README runs the campaign; replay commands start with it.
pub const INVOCATION: &str = "cargo run --release -p chunkcheck --";

/// Shuttle schedules per scenario and scheduler when neither `--schedules` nor
/// `HARNESS_SCHEDULES` says otherwise.
pub const DEFAULT_SCHEDULES: usize = 20_000;

/// Shuttle schedules per clean-phase work item (`--batch-schedules`).
pub const DEFAULT_BATCH_SCHEDULES: usize = 1_000;

/// Generated programs in the generated phase (`--programs`).
pub const DEFAULT_PROGRAMS: usize = 3_000;

/// Shuttle schedules per generated program and scheduler (`--program-schedules`).
pub const DEFAULT_PROGRAM_SCHEDULES: usize = 100;

/// Trials per seeded bug and checker (`--detection-seeds`).
pub const DEFAULT_DETECTION_SEEDS: usize = 10;

/// The checkers a campaign runs unless `--checkers` says otherwise.
pub const DEFAULT_CHECKERS: [Checker; 3] = [Checker::Loom, Checker::Random, Checker::Pct];

/// Everything a campaign run needs, resolved and validated.
#[derive(Clone, Debug)]
pub struct Settings {
    /// What to run before sharding.
    pub spec: PlanSpec,
    /// Which part of it this run does.
    pub shard: Shard,
    /// Work items run at the same time (`--jobs`).
    pub jobs: usize,
    /// The clean phase's setup (seeded bugs from `--bugs`, lock-order check, lock
    /// granularity); the seeded phase uses it with one bug at a time instead.
    pub setup: Setup,
    /// PCT depth.
    pub pct_depth: usize,
    /// loom preemption bound overriding every scenario's own.
    pub preemption_bound: Option<usize>,
    /// Time limit per work item.
    pub max_time: Option<Duration>,
    /// Whether to look for smaller failing settings after each failure.
    pub minimize: bool,
    /// Where failing shuttle schedules are written.
    pub failures: PathBuf,
    /// Whether to draw progress bars (a terminal).
    pub progress: bool,
    /// Whether to write one summary line per phase on stderr.
    pub announce: bool,
    /// Whether to keep stderr silent while checkers run (see [`quiet`]); the report
    /// carries every failure's message.
    pub silence_checkers: bool,
    /// The command line, for the report.
    pub command: String,
}

impl Settings {
    /// The budget of one run of `scenario` with `setup`: loom within the scenario's bound
    /// (bound [`generated::LOOM_FAULT_BOUND`] when `setup` injects faults, where loom
    /// searches once per fault choice) or the override, shuttle over `batch` (or the whole
    /// `--schedules` from the base seed).
    pub fn budget(&self, scenario: &Scenario, batch: Option<&Batch>, setup: &Setup) -> Budget {
        let mut budget = Budget::from_env(scenario.loom_bound);
        if setup.faults > 0 {
            budget.preemption_bound = generated::LOOM_FAULT_BOUND;
        }
        if let Some(bound) = self.preemption_bound {
            budget.preemption_bound = bound;
        }
        budget.pct_depth = self.pct_depth;
        budget.seed = batch.map_or(self.spec.seed, |c| c.seed);
        budget.schedules = batch.map_or(self.spec.schedules, |c| c.schedules);
        budget
    }

    /// The settings as reported.
    pub fn record(&self) -> ConfigRecord {
        ConfigRecord {
            seed: self.spec.seed,
            schedules: self.spec.schedules,
            batch_schedules: self.spec.batch_schedules,
            pct_depth: self.pct_depth,
            preemption_bound: self.preemption_bound,
            max_time_secs: self.max_time.map(|t| t.as_secs_f64()),
            shard: self.shard.to_string(),
            programs: self.spec.programs,
            program_seed: self.spec.program_seed,
            program_schedules: self.spec.program_schedules,
            detection_seeds: self.spec.detection_seeds,
            jobs: self.jobs,
            weights: self.spec.weights.to_string(),
            search: self.spec.search,
            faults: self.setup.faults,
            phases: self.spec.phases,
            scenarios: self.spec.scenarios.iter().map(|s| s.to_string()).collect(),
            checkers: self.spec.checkers.clone(),
            bugs: self.setup.bugs.list(),
            lock: self.setup.granularity.to_string(),
            unchecked_lock_order: self.setup.unchecked_lock_order,
        }
    }
}

/// The names of the seeded bugs in `bugs`, in [`store::SeededBug::ALL`] order.
pub fn bug_names(bugs: store::Bugs) -> Vec<String> {
    bugs.list().iter().map(|b| b.name().to_string()).collect()
}
