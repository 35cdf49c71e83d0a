//! One generated program under the campaign's checkers, and a stream of them run
//! generation by generation ([`drive`]).

use crate::generated::{budget, LOOM_PROGRAM_FAULT_BOUND, LOOM_PROGRAM_STEPS};
use crate::plan::PROGRAMS_PER_ITEM;
use crate::pool;
use crate::search::{Drawn, Search, Stream, GENERATION};
use crate::Settings;
use harness::check::{Budget, Checker, Failure, RunOptions};
use harness::execution::FaultTally;
use harness::faults::Landings;
use harness::oracle::Coverage;
use harness::program::{check_program, Pair, Program};
use harness::world::Setup;
use std::collections::{BTreeSet, HashSet};
use std::ops::ControlFlow;

/// Whether loom explores `program` exhaustively in this campaign.
fn under_loom(settings: &Settings, program: &Program) -> bool {
    settings.spec.checkers.contains(&Checker::Loom)
        && program.size() <= LOOM_PROGRAM_STEPS
        && program.threads.len() == 2
}

/// The checkers a program runs under: the campaign's shuttle schedulers (and stress), in
/// order (shuttle-random if none), then loom when `loom` says so.
fn checkers_for(settings: &Settings, loom: bool) -> Vec<Checker> {
    let mut checkers: Vec<_> = settings
        .spec
        .checkers
        .iter()
        .copied()
        .filter(|c| *c != Checker::Loom)
        .collect();
    if checkers.is_empty() {
        checkers.push(Checker::Random);
    }
    if loom {
        checkers.push(Checker::Loom);
    }
    checkers
}

/// A program's budget in this campaign.
pub(crate) fn program_budget(settings: &Settings, seed: u64) -> Budget {
    let mut budget = budget(seed, settings.spec.program_schedules, settings.pct_depth);
    if settings.setup.faults > 0 {
        budget.preemption_bound = LOOM_PROGRAM_FAULT_BOUND;
    }
    if let Some(bound) = settings.preemption_bound {
        budget.preemption_bound = bound;
    }
    budget
}

/// One program under each scheduler until one fails.
pub(crate) struct Outcome {
    /// Schedules over every checker that ran.
    pub(crate) schedules: u64,
    /// Pairs of operation kinds some schedule ran at the same time.
    pub(crate) overlaps: BTreeSet<Pair>,
    /// The faults injected.
    pub(crate) faults: FaultTally,
    /// The first landing in each fault context.
    pub(crate) landings: Landings,
    /// What the schedules covered.
    pub(crate) coverage: Coverage,
    /// The first checker that failed, and how.
    pub(crate) failure: Option<(Checker, Failure)>,
    /// loom ran its search through (to its end or to a failure, not to a time limit).
    pub(crate) loom_explored: bool,
}

/// `program` under [`checkers_for`] (with loom when `loom` says so).
fn check_one(
    settings: &Settings,
    setup: Setup,
    (program, seed, loom): (&Program, u64, bool),
) -> Outcome {
    let mut outcome = Outcome {
        schedules: 0,
        overlaps: BTreeSet::new(),
        faults: FaultTally::new(),
        landings: Landings::new(),
        coverage: Coverage::default(),
        failure: None,
        loom_explored: false,
    };
    let options = RunOptions {
        max_time: settings.max_time,
        faults: setup.faults > 0,
        ..RunOptions::default()
    };
    for checker in checkers_for(settings, loom) {
        let budget = program_budget(settings, seed);
        let report = crate::quiet::silenced_if(settings.silence_checkers, || {
            check_program(program, setup, checker, &budget, &options)
        });
        outcome.schedules += report.report.schedules;
        outcome.loom_explored |= checker == Checker::Loom && !report.report.timed_out;
        outcome.overlaps.extend(report.overlaps);
        outcome.coverage.add(&report.report.coverage);
        for (key, n) in report.report.faults {
            *outcome.faults.entry(key).or_default() += n;
        }
        for (context, plan) in report.report.landings {
            outcome.landings.entry(context).or_insert(plan);
        }
        if let Some(failure) = report.report.failure {
            outcome.failure = Some((checker, failure));
            break;
        }
    }
    outcome
}

/// Runs `numbers` of `stream` on `setup` over `jobs` threads, handing each candidate and
/// its outcome to `visit` in candidate order until `visit` breaks. A random stream runs
/// [`PROGRAMS_PER_ITEM`] candidates a generation, a guided one [`GENERATION`]; the guided
/// corpus learns from a whole generation, in candidate order, before the next is drawn
/// ([`crate::search`]), so one job draws, runs and learns as many do. With one job,
/// nothing runs past the candidate `visit` stops at; with more, at most the candidates
/// already started ([`crate::pool::visit_in_order`], loom's candidates first: they take
/// longest).
///
/// Drawing generation `g + 1` before `g` is learnt would keep the threads busy past a slow
/// candidate; it was measured and dropped (BENCHMARKS.md, "The `--faults` campaign in four
/// minutes": learning one generation late raised `stale-stamp`'s median from 11.5 to 195).
///
/// loom's search is deterministic: a program it explored through on this setup earlier in
/// the stream (a guided mutant that is its parent unchanged, or a mutation that changed
/// nothing) runs again under the shuttle schedulers only, with its new seeds.
pub(crate) fn drive(
    settings: &Settings,
    setup: Setup,
    stream: &mut Stream,
    numbers: &[usize],
    jobs: usize,
    mut visit: impl FnMut(&Drawn, Outcome) -> ControlFlow<()>,
) {
    let batch = match stream.search() {
        Search::Random => PROGRAMS_PER_ITEM,
        Search::Guided => GENERATION,
    };
    let mut explored: HashSet<Program> = HashSet::new();
    let run = |(drawn, loom): &(Drawn, bool)| {
        check_one(settings, setup, (&drawn.program, drawn.seed, *loom))
    };
    for generation in numbers.chunks(batch) {
        let drawn: Vec<(Drawn, bool)> = (generation.iter())
            .map(|n| stream.candidate(*n))
            .map(|d| {
                let loom = under_loom(settings, &d.program) && !explored.contains(&d.program);
                (d, loom)
            })
            .collect();
        let mut lessons = Vec::new();
        let flow = pool::visit_in_order(
            &drawn,
            jobs,
            |(_, loom)| *loom,
            run,
            |(d, _), o| {
                lessons.push((o.coverage.clone(), o.overlaps.clone(), o.landings.clone()));
                // A shuttle checker that failed first, or a time limit, leaves it unexplored.
                if o.loom_explored {
                    explored.insert(d.program.clone());
                }
                visit(d, o)
            },
        );
        if flow.is_break() {
            return;
        }
        for ((candidate, _), (coverage, overlaps, landings)) in drawn.iter().zip(&lessons) {
            stream.learn(candidate, coverage, overlaps, landings);
        }
    }
}
