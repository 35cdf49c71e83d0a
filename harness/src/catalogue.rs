//! What the harness can run: scenarios and the seeded races they expose.
//!
//! The scenarios (fixed programs) live in the `scenarios` crate, which depends on this one; the types
//! live here so the campaign runner (the `chunkcheck` crate) can run any [`Catalogue`] it is
//! handed without a dependency cycle.

use crate::check::{self, Budget, Cause, Checker, Report};
use crate::oracle::Property;
use crate::program::Program;
use crate::world::Setup;
use store::SeededBug;

/// A scenario: its name, its story as a fixed program, and its entry points per platform
/// (the program run by [`crate::program::execute_fixed`]).
#[derive(Clone, Copy)]
pub struct Scenario {
    /// Short name (`fs-insert-vs-sweep`).
    pub name: &'static str,
    /// One line: who races whom.
    pub summary: &'static str,
    /// The program it runs.
    pub program: fn() -> Program,
    /// The loom preemption bound it is exhaustive within.
    pub loom_bound: usize,
    /// Run under loom.
    pub loom: fn(Setup),
    /// Run under shuttle.
    pub shuttle: fn(Setup),
    /// Run on real threads.
    pub std: fn(Setup),
}

impl Scenario {
    /// Threads it spawns, main thread excluded (loom allows 4).
    pub fn threads(&self) -> usize {
        (self.program)().threads.len()
    }

    /// Runs this scenario with `setup` under `checker` within `budget` (with a fault
    /// budget, loom searches once per fault choice).
    pub fn check(&self, checker: Checker, setup: Setup, budget: &Budget) -> Report {
        let f = self.entry(checker);
        let options = check::RunOptions {
            faults: setup.faults > 0,
            ..check::RunOptions::default()
        };
        check::run_with(checker, budget, &options, move || f(setup))
    }

    /// The entry point a checker runs (loom's, or shuttle's for every shuttle scheduler).
    pub fn entry(&self, checker: Checker) -> fn(Setup) {
        match checker {
            Checker::Loom => self.loom,
            Checker::Random | Checker::Pct | Checker::Urw => self.shuttle,
            Checker::Stress => self.std,
        }
    }

    /// The default budget: this scenario's loom bound, shuttle settings from the environment.
    pub fn budget(&self) -> Budget {
        Budget::from_env(self.loom_bound)
    }
}

/// How a seeded bug shows itself.
#[derive(Clone, Copy, Debug)]
pub struct SeededRace {
    /// The bug.
    pub bug: SeededBug,
    /// The scenario that exposes it (a scenario name of the same [`Catalogue`]).
    pub scenario: &'static str,
    /// Properties a report may name: the first one broken depends on the schedule (a chunk
    /// removed while its writer runs is P3; after its index is published, P2).
    pub expect: &'static [Property],
    /// Whether a deadlock also counts.
    pub deadlock: bool,
}

impl SeededRace {
    /// Whether a failure with this cause is the expected report.
    pub fn matches(&self, cause: Cause) -> bool {
        match cause {
            Cause::Violation(p) => self.expect.contains(&p),
            Cause::Deadlock => self.deadlock,
            Cause::Panic => false,
        }
    }
}

/// Every scenario and seeded race a campaign may run.
#[derive(Clone, Copy)]
pub struct Catalogue {
    /// The scenarios, in report order.
    pub scenarios: &'static [Scenario],
    /// The seeded races, in report order.
    pub seeded: &'static [SeededRace],
}

impl Catalogue {
    /// The scenario called `name`.
    pub fn find(&self, name: &str) -> Option<&'static Scenario> {
        self.scenarios.iter().find(|s| s.name == name)
    }

    /// The seeded race of `bug`.
    pub fn race(&self, bug: SeededBug) -> Option<&'static SeededRace> {
        self.seeded.iter().find(|race| race.bug == bug)
    }

    /// Checks that names are unique and every seeded race names a scenario of this catalogue.
    ///
    /// # Errors
    /// A one-line description of the first inconsistency.
    pub fn validate(&self) -> Result<(), String> {
        for (i, s) in self.scenarios.iter().enumerate() {
            if self.scenarios[..i].iter().any(|t| t.name == s.name) {
                return Err(format!("scenario {} is listed twice", s.name));
            }
        }
        for (i, race) in self.seeded.iter().enumerate() {
            if self.find(race.scenario).is_none() {
                return Err(format!(
                    "seeded race {} names unknown scenario {}",
                    race.bug, race.scenario
                ));
            }
            if self.seeded[..i].iter().any(|r| r.bug == race.bug) {
                return Err(format!("seeded race {} is listed twice", race.bug));
            }
        }
        Ok(())
    }
}
