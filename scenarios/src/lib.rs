//! The scenarios: short actor mixes from the design, each a plain function generic over the
//! platform, so loom, shuttle and real threads run the same code.
//!
//! Each scenario builds a [`harness::world::World`] (model storage, logical clock, oracle),
//! writes some history from the main thread, then spawns role-named threads (`writer-1`,
//! `gc`, `reload`, ...) and joins them. The oracle checks every event; a scenario adds only
//! the assertions specific to its story.

pub mod fs;
pub mod incremental;
pub mod reload;
pub mod s3;
pub mod seeded;
pub mod verify;

use harness::check::{self, Budget, Checker, Report};
use harness::world::Setup;

/// A scenario: its name, its story and its entry points per platform.
#[derive(Clone, Copy)]
pub struct Scenario {
    /// Short name (`fs-insert-vs-sweep`).
    pub name: &'static str,
    /// One line: who races whom.
    pub summary: &'static str,
    /// Threads it spawns, main thread excluded (loom allows 4).
    pub threads: usize,
    /// The loom preemption bound it is exhaustive within.
    pub loom_bound: usize,
    /// Run under loom.
    pub loom: fn(Setup),
    /// Run under shuttle.
    pub shuttle: fn(Setup),
    /// Run on real threads.
    pub std: fn(Setup),
}

macro_rules! scenario {
    ($module:ident :: $f:ident, $name:literal, $threads:literal, $bound:literal, $summary:literal) => {
        Scenario {
            name: $name,
            summary: $summary,
            threads: $threads,
            loom_bound: $bound,
            loom: $module::$f::<harness::platform::Loom>,
            shuttle: $module::$f::<harness::platform::Shuttle>,
            std: $module::$f::<store::Std>,
        }
    };
}

/// Every scenario, in the order of the design's list.
pub const ALL: &[Scenario] = &[
    scenario!(
        fs::insert_vs_sweep,
        "fs-insert-vs-sweep",
        2,
        3,
        "filesystem: writer inserts new and existing chunks vs GC phase 2"
    ),
    scenario!(
        s3::upload_vs_sweep,
        "s3-upload-vs-sweep",
        2,
        3,
        "S3: upload (LRU hit, touch, upload + cache insert) vs GC phases 2-3"
    ),
    scenario!(
        reload::reload_during_backup,
        "reload-during-backup",
        3,
        2,
        "reload: old-process writer, new-process writer, GC in the new process"
    ),
    scenario!(
        s3::eviction_vs_remove,
        "eviction-vs-remove",
        2,
        3,
        "S3: cache insert with eviction vs GC remove (lock order, deadlock)"
    ),
    scenario!(
        incremental::incremental_vs_prune,
        "incremental-vs-prune",
        3,
        2,
        "incremental backup with known chunks vs prune vs GC"
    ),
    scenario!(
        fs::pull_reuse_vs_sweep,
        "pull-reuse-vs-sweep",
        2,
        3,
        "pull-style touch-and-reuse vs sweep"
    ),
    scenario!(
        verify::verify_vs_upload,
        "verify-vs-upload",
        2,
        3,
        "verify renaming a corrupt chunk vs upload of a good copy"
    ),
];

/// The scenario called `name`.
pub fn find(name: &str) -> Option<&'static Scenario> {
    ALL.iter().find(|s| s.name == name)
}

impl Scenario {
    /// Runs this scenario with `setup` under `checker` within `budget`.
    pub fn check(&self, checker: Checker, setup: Setup, budget: &Budget) -> Report {
        let f = self.entry(checker);
        check::run(checker, budget, move || f(setup))
    }

    /// The entry point a checker runs (loom's, or shuttle's for every shuttle scheduler).
    pub fn entry(&self, checker: Checker) -> fn(Setup) {
        match checker {
            Checker::Loom => self.loom,
            Checker::Random | Checker::Pct | Checker::Urw => self.shuttle,
        }
    }

    /// The default budget: this scenario's loom bound, shuttle settings from the environment.
    pub fn budget(&self) -> Budget {
        Budget::from_env(self.loom_bound)
    }
}
