//! One generated program under the campaign's checkers, and a stream of them run
//! generation by generation ([`drive`]).

use crate::feed::{self, Feed};
use crate::generated::{budget, LOOM_PROGRAM_FAULT_BOUND, LOOM_PROGRAM_STEPS};
use crate::plan::PROGRAMS_PER_ITEM;
use crate::search::{Drawn, Search, Stream, GENERATION};
use crate::Settings;
use harness::check::{Budget, Checker, Failure, RunOptions};
use harness::execution::FaultTally;
use harness::faults::Landings;
use harness::oracle::Coverage;
use harness::program::{check_program, Pair, Program};
use harness::world::Setup;
use std::collections::{BTreeMap, BTreeSet, HashSet};
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
/// corpus learns from a whole generation, in candidate order, before the rest of the next
/// is drawn ([`crate::search`]), so one job draws, runs and learns as many do.
///
/// As a generation starts, the next generation's candidates that are drawn fresh whatever
/// this one teaches ([`Stream::ahead`]) are drawn too and queued behind it: a thread that
/// would wait for this generation's last candidate runs one of them instead. With one job
/// nothing runs past the candidate `visit` stops at; with more, at most the candidates
/// already started. loom's candidates start first within a generation: they take longest.
///
/// loom's search is deterministic: a program it explored through on this setup in a
/// generation that ended before the candidate was drawn (a guided mutant that is its parent
/// unchanged, or a mutation that changed nothing) runs again under the shuttle schedulers
/// only, with its new seeds. Candidates are drawn at the same points of the stream with any
/// number of jobs, so the same ones run under loom.
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
    let generations: Vec<&[usize]> = numbers.chunks(batch).collect();
    let mut explored: HashSet<Program> = HashSet::new();
    let run = |(drawn, loom): &(Drawn, bool)| {
        check_one(settings, setup, (&drawn.program, drawn.seed, *loom))
    };
    feed::fed(jobs, run, |feed| {
        let submit =
            |feed: &mut Feed<_, _, _>, explored: &HashSet<Program>, generation, drawn: Drawn| {
                let loom =
                    under_loom(settings, &drawn.program) && !explored.contains(&drawn.program);
                // Keys: generation, then (with threads to fill) loom's candidates first.
                let rank = usize::from(!(loom && jobs > 1));
                feed.submit((generation, rank, drawn.number), (drawn, loom));
            };
        let mut queued: HashSet<usize> = HashSet::new();
        let mut done: BTreeMap<u64, ((Drawn, bool), Outcome)> = BTreeMap::new();
        for (g, generation) in generations.iter().enumerate() {
            let drawn: Vec<Drawn> = (generation.iter())
                .filter(|n| !queued.remove(n))
                .map(|n| stream.candidate(*n))
                .collect();
            let ahead: Vec<Drawn> = (generations.get(g + 1).into_iter())
                .flat_map(|next| next.iter())
                .filter_map(|n| stream.ahead(*n))
                .collect();
            drawn
                .into_iter()
                .for_each(|d| submit(feed, &explored, g, d));
            for d in ahead {
                queued.insert(d.number as usize);
                submit(feed, &explored, g + 1, d);
            }
            let mut lessons = Vec::new();
            for n in generation.iter().map(|n| *n as u64) {
                while !done.contains_key(&n) {
                    let ((_, _, number), item, outcome) = feed.next().expect("queued");
                    done.insert(number, (item, outcome));
                }
                let ((drawn, _), outcome) = done.remove(&n).expect("just arrived");
                // A shuttle checker that failed first, or a time limit, leaves it unexplored.
                if outcome.loom_explored {
                    explored.insert(drawn.program.clone());
                }
                let lesson = (outcome.coverage.clone(), outcome.overlaps.clone());
                let landings = outcome.landings.clone();
                if visit(&drawn, outcome).is_break() {
                    return;
                }
                lessons.push((drawn, lesson, landings));
            }
            for (drawn, (coverage, overlaps), landings) in &lessons {
                stream.learn(drawn, coverage, overlaps, landings);
            }
        }
    });
}
