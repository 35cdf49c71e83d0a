//! One generated program under the campaign's checkers, and a stream of them run
//! generation by generation ([`crate::generations`]).

use crate::generated::{budget, LOOM_PROGRAM_FAULT_BOUND, LOOM_PROGRAM_STEPS};
use crate::generations::Generations;
use crate::plan::PROGRAMS_PER_ITEM;
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
/// [`PROGRAMS_PER_ITEM`] candidates a generation, a guided one [`GENERATION`], learning
/// from each ([`crate::search`]) as [`crate::generations`] says. With one job, nothing runs
/// past the candidate `visit` stops at; with more, at most the candidates already started.
///
/// loom's search is deterministic: a program it explored on this setup earlier in the
/// stream (a guided mutant that is its parent unchanged, or a mutation that changed
/// nothing) runs again under the shuttle schedulers only, with its new seeds.
pub(crate) fn drive(
    settings: &Settings,
    setup: Setup,
    stream: &mut Stream,
    numbers: &[usize],
    jobs: usize,
    visit: impl FnMut(&Drawn, Outcome) -> ControlFlow<()>,
) {
    let batch = match stream.search() {
        Search::Random => PROGRAMS_PER_ITEM,
        Search::Guided => GENERATION,
    };
    let mut driven = Driven {
        settings,
        stream,
        generations: numbers.chunks(batch).collect(),
        explored: HashSet::new(),
        lessons: Vec::new(),
        visit,
    };
    let run = |(drawn, loom): &(Drawn, bool)| {
        check_one(settings, setup, (&drawn.program, drawn.seed, *loom))
    };
    // loom's runs take longest: they start first.
    let _ = crate::generations::run(&mut driven, jobs, |(_, loom)| *loom, run);
}

/// What a candidate reached, as the search learns it.
type Lesson = (Coverage, BTreeSet<Pair>, Landings);

/// A stream as [`drive`] runs it.
struct Driven<'a, V> {
    settings: &'a Settings,
    stream: &'a mut Stream,
    /// The candidate numbers of each generation.
    generations: Vec<&'a [usize]>,
    /// The programs loom explored so far.
    explored: HashSet<Program>,
    /// What the candidates of the generation being visited reached, and whether loom
    /// explored them, in order.
    lessons: Vec<(Lesson, bool)>,
    visit: V,
}

impl<V: FnMut(&Drawn, Outcome) -> ControlFlow<()>> Generations for Driven<'_, V> {
    /// A candidate, and whether loom explores it.
    type Item = (Drawn, bool);
    type Outcome = Outcome;

    fn draw(&mut self, generation: usize) -> Vec<(Drawn, bool)> {
        let numbers = self
            .generations
            .get(generation)
            .copied()
            .unwrap_or_default();
        (numbers.iter())
            .map(|n| self.stream.candidate(*n))
            .map(|drawn| {
                let loom = under_loom(self.settings, &drawn.program)
                    && !self.explored.contains(&drawn.program);
                (drawn, loom)
            })
            .collect()
    }

    fn visit(&mut self, (drawn, _): &(Drawn, bool), outcome: Outcome) -> ControlFlow<()> {
        let lesson = (
            outcome.coverage.clone(),
            outcome.overlaps.clone(),
            outcome.landings.clone(),
        );
        self.lessons.push((lesson, outcome.loom_explored));
        (self.visit)(drawn, outcome)
    }

    fn learn(&mut self, _: usize, items: &[(Drawn, bool)]) {
        for ((drawn, _), (lesson, explored)) in items.iter().zip(&self.lessons) {
            let (coverage, overlaps, landings) = lesson;
            self.stream.learn(drawn, coverage, overlaps, landings);
            if *explored {
                // A shuttle checker that failed first, or a time limit, leaves it unexplored.
                self.explored.insert(drawn.program.clone());
            }
        }
        self.lessons.clear();
    }
}
