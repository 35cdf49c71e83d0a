//! Checking one program under a checker, with the overlaps its schedules reached.

use super::execute::execute;
use super::model::Program;
use super::trace::{Pair, Trace};
use crate::check::{self, Budget, Checker, Failure, Report, RunOptions};
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
        Checker::Stress => check::run_with(checker, budget, options, move || {
            body(&|p, t| execute::<Std>(p, setup, t))
        }),
        _ => check::run_with(checker, budget, options, move || {
            body(&|p, t| execute::<Shuttle>(p, setup, t))
        }),
    };
    let overlaps = overlaps.lock().unwrap_or_else(|e| e.into_inner()).clone();
    ProgramReport { report, overlaps }
}

/// Replays one recorded shuttle schedule of `program` with `setup`: `Some` with the failure
/// it reproduces, `None` when the schedule runs through without failing.
///
/// # Errors
/// When the schedule is not valid or does not fit the program (another program or setup,
/// or changed code).
pub fn replay_program(
    program: &Program,
    setup: Setup,
    encoded: &str,
) -> anyhow::Result<Option<Failure>> {
    let program = Arc::new(program.clone());
    check::replay(encoded, move || {
        execute::<Shuttle>(&program, setup, &Arc::new(Trace::default()))
    })
}
