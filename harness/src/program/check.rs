//! Checking one program under a checker, with the overlaps its schedules reached.

use super::execute::execute;
use super::model::Program;
use super::trace::{Pair, Trace};
use crate::check::{self, Budget, Checker, Report, RunOptions};
use crate::platform::{Loom, Shuttle};
use crate::world::Setup;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use store::Std;

/// What checking one program found.
#[derive(Clone, Debug)]
pub struct ProgramReport {
    /// The checker's report.
    pub report: Report,
    /// Pairs of operation kinds that overlapped in some schedule.
    pub overlaps: BTreeSet<Pair>,
}

/// Runs `program` with `setup` under `checker` within `budget`.
pub fn check_program(
    program: &Program,
    setup: Setup,
    checker: Checker,
    budget: &Budget,
    options: &RunOptions,
) -> ProgramReport {
    let overlaps = Arc::new(Mutex::new(BTreeSet::new()));
    let (program, seen) = (Arc::new(program.clone()), overlaps.clone());
    let body = move |run: &dyn Fn(&Program, &Arc<Trace>)| {
        let trace = Arc::new(Trace::default());
        run(&program, &trace);
        let reached = trace.overlaps();
        seen.lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(reached);
    };
    let report = match checker {
        Checker::Loom => check::run_with(checker, budget, options, move || {
            body(&|p, t| execute::<Loom>(p, setup, t))
        }),
        _ => check::run_with(checker, budget, options, move || {
            body(&|p, t| execute::<Shuttle>(p, setup, t))
        }),
    };
    let overlaps = overlaps.lock().unwrap_or_else(|e| e.into_inner()).clone();
    ProgramReport { report, overlaps }
}

/// Runs `program` on real threads (the [`Std`] platform) up to `runs` times, stopping at
/// the first failure: what a user without a model checker gets. Returns the runs made and
/// the failure's message, if one run failed.
pub fn stress_program(program: &Program, setup: Setup, runs: u64) -> (u64, Option<String>) {
    for run in 1..=runs {
        let trace = Arc::new(Trace::default());
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            execute::<Std>(program, setup, &trace)
        }));
        if let Err(payload) = outcome {
            return (run, Some(store::platform::panic_message(&*payload)));
        }
    }
    (runs, None)
}
