//! The generated phase: programs drawn from seeds, each run under the campaign's shuttle
//! schedulers; every failure is minimized and saved as a failure file `replay` runs again.
//! Then each seeded bug alone, over the same programs in order, until one catches it.

use crate::curve::CoveragePoint;
use crate::drive::{drive, program_budget};
use crate::failure_file::{FailureFile, Target};
use crate::progress::PhaseProgress;
use crate::report::{
    rate, CampaignReport, GeneratedRecord, GeneratedSeededItem, PairReached, ProgramFailure,
};
use crate::search::{Drawn, Stream};
use crate::shrink::smallest_failing;
use crate::verdict::Verdict;
use crate::work::{Hunt, Placed, Programs};
use crate::{bug_names, Settings};
use harness::check::{Budget, Cause, Checker, Failure, RunOptions, DEFAULT_MAX_BRANCHES};
use harness::oracle::Coverage;
use harness::program::{check_program, minimize, Pair, Program};
use harness::world::Setup;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;
use std::time::Instant;
use store::Bugs;

/// Candidates minimization tries per failure.
const SHRINK_ATTEMPTS: usize = 150;

/// Failing programs minimized per campaign (with `--bugs` every program may fail; the
/// rest are reported as drawn).
const MINIMIZED_FAILURES: usize = 3;

/// A program's budget before the campaign's overrides: loom at [`LOOM_PROGRAM_BOUND`],
/// `schedules` shuttle schedules per scheduler from `seed`.
pub(crate) fn budget(seed: u64, schedules: usize, pct_depth: usize) -> Budget {
    Budget {
        preemption_bound: LOOM_PROGRAM_BOUND,
        max_branches: DEFAULT_MAX_BRANCHES,
        schedules,
        pct_depth,
        seed,
    }
}

/// Programs of at most this many steps (history items, operations and backup steps) with
/// two threads also run under loom, when the campaign's checkers include it.
pub const LOOM_PROGRAM_STEPS: usize = 8;

/// loom's preemption bound for those programs (unless `--preemption-bound` says otherwise).
pub const LOOM_PROGRAM_BOUND: usize = 2;

/// loom's preemption bound for scenarios under `--faults`: one exhaustive search per fault
/// choice (operation × kind) multiplies the work by the number of choices, and bound 1
/// keeps a run near its cost without faults (BENCHMARKS.md).
pub const LOOM_FAULT_BOUND: usize = 1;

/// loom's preemption bound for generated programs under `--faults`: loom sweeps the fault
/// choices (every fault kind at every storage operation, one search each) over the
/// schedules that switch threads only where one blocks, and leaves preemptions to the
/// shuttle schedulers, which run every program with faults too. At bound 1 a program with
/// many storage operations took up to a minute of loom; at 0 the whole `--faults` campaign
/// runs in about half the time and its hunts need fewer programs, since every landing the
/// sweep finds joins the corpus as a planned fault (BENCHMARKS.md, "loom's bound for
/// generated programs under faults").
pub const LOOM_PROGRAM_FAULT_BOUND: usize = 0;

/// Minimizes a failing program (unless `shrink` is off) under `budget`, the budget it
/// failed with, saves it (its file named after `phase`) and describes it.
pub(crate) fn record_failure(
    phase: &str,
    settings: &Settings,
    setup: Setup,
    drawn: &Drawn,
    (checker, failure): (Checker, &Failure),
    shrink: bool,
    mut budget: Budget,
) -> ProgramFailure {
    let Drawn {
        number,
        seed,
        program,
    } = drawn;
    let (number, seed) = (*number, *seed);
    let run = |p: &Program, budget: &Budget| {
        let report = crate::quiet::silenced_if(settings.silence_checkers, || {
            let options = RunOptions {
                faults: setup.faults > 0,
                ..RunOptions::default()
            };
            check_program(p, setup, checker, budget, &options)
        });
        report.report.failure
    };
    let cause = failure.cause;
    let fails = |p: &Program, b: &Budget| run(p, b).filter(|f| f.cause == cause);
    let attempts = if shrink { SHRINK_ATTEMPTS } else { 0 };
    let (small, _) = minimize(program, attempts, |p| fails(p, &budget).is_some());
    // Then the schedule: the smallest PCT depth or preemption bound that still fails.
    let mut schedule_shrunk = None;
    if shrink {
        if let Some((shrunk, smaller, _)) = smallest_failing(checker, &budget, |b| fails(&small, b))
        {
            budget = smaller;
            schedule_shrunk = Some(shrunk);
        }
    }
    // The minimized program's own failure: its message, and its schedule, which replays
    // exactly under shuttle (loom runs the same deterministic search again instead).
    let last = run(&small, &budget);
    let message = last.as_ref().unwrap_or(failure).message.clone();
    let target = Target::Program(small.clone());
    let mut file = FailureFile::new(target, checker, setup, budget, failure);
    // Only the minimized program's own schedule fits it (none when its last run did not
    // fail; loom runs the same search again instead).
    file.schedule = last
        .and_then(|f| f.schedule)
        .filter(|_| checker != Checker::Loom);
    let tag = match bug_names(setup.bugs) {
        bugs if bugs.is_empty() => "clean".to_string(),
        bugs => bugs.join("+"),
    };
    let stem = format!("{phase}-{tag}-{seed}-{checker}");
    let (saved, replay) = file.keep(&settings.failures, &stem);
    ProgramFailure {
        program: number,
        program_seed: seed,
        checker,
        cause: failure.cause,
        text: program.to_string(),
        minimized: small.to_string(),
        sizes: (program.size(), small.size()),
        schedule_shrunk,
        message,
        file: saved,
        replay,
    }
}

/// Runs the shard's generated programs on the campaign's setup into `record`, as one stream,
/// and returns the stream with what it learnt; `done` hears of each item once its last
/// program ran.
fn programs(
    settings: &Settings,
    items: &[Placed<Programs>],
    record: &mut GeneratedRecord,
    mut done: impl FnMut(&Placed<Programs>, u64, &[ProgramFailure]),
) -> Stream {
    let numbers: Vec<usize> = (items.iter())
        .flat_map(|item| item.work.first..item.work.first + item.work.count)
        .collect();
    let mut stream = Stream::new(
        settings.spec.search,
        settings.spec.weights,
        settings.spec.program_seed,
        settings.setup.faults,
    );
    let mut reached = BTreeSet::new();
    let (mut item, mut item_schedules, mut item_failures) = (0, 0, 0);
    drive(
        settings,
        settings.setup,
        &mut stream,
        &numbers,
        settings.jobs,
        |drawn, outcome| {
            record.programs += 1;
            record.schedules += outcome.schedules;
            item_schedules += outcome.schedules;
            reached.extend(outcome.overlaps);
            record.coverage.add(&outcome.coverage);
            if crate::curve::checkpoint(record.programs) {
                let point = CoveragePoint::of(record.programs, &record.coverage);
                record.curve.push(point);
            }
            for ((site, fault), n) in outcome.faults {
                *record.faults.entry(fault.to_string()).or_default() += n;
                *record
                    .fault_sites
                    .entry(format!("{fault} at {site}"))
                    .or_default() += n;
            }
            if let Some((checker, failure)) = outcome.failure {
                let shrink = record.failures.len() < MINIMIZED_FAILURES;
                let failed = (checker, &failure);
                let budget = program_budget(settings, drawn.seed);
                let failure = record_failure(
                    "generated",
                    settings,
                    settings.setup,
                    drawn,
                    failed,
                    shrink,
                    budget,
                );
                record.failures.push(failure);
            }
            let placed = &items[item];
            if drawn.number as usize + 1 == placed.work.first + placed.work.count {
                done(placed, item_schedules, &record.failures[item_failures..]);
                (item, item_schedules, item_failures) = (item + 1, 0, record.failures.len());
            }
            ControlFlow::Continue(())
        },
    );
    if record.curve.last().map(|p| p.programs) != Some(record.programs) {
        let point = CoveragePoint::of(record.programs, &record.coverage);
        record.curve.push(point);
    }
    record.corpus = stream.corpus_len() as u64;
    record.pairs = Pair::all()
        .into_iter()
        .map(|pair| PairReached {
            pair,
            reached: reached.contains(&pair),
        })
        .collect();
    stream
}

/// Runs the generated phase's items of this shard into `report`: the programs on the
/// campaign's setup first (their wall time is the phase's rate), then the seeded hunts.
pub(crate) fn run(
    settings: &Settings,
    clean: &[Placed<Programs>],
    hunts: &[Placed<Hunt>],
    report: &mut CampaignReport,
) {
    if clean.is_empty() && hunts.is_empty() {
        return;
    }
    let items = clean.len() + hunts.len();
    let mut progress = PhaseProgress::new("generated", items, settings.progress, settings.announce);
    let started = Instant::now();
    let mut learnt = None;
    if !clean.is_empty() {
        let mut record = GeneratedRecord {
            search: settings.spec.search,
            corpus: 0,
            programs: 0,
            schedules: 0,
            wall_secs: 0.0,
            programs_per_sec: 0.0,
            schedules_per_sec: 0.0,
            failures: Vec::new(),
            pairs: Vec::new(),
            faults: BTreeMap::new(),
            fault_sites: BTreeMap::new(),
            coverage: Coverage::default(),
            curve: Vec::new(),
        };
        let stream = programs(settings, clean, &mut record, |item, schedules, failures| {
            progress.done(&item.label(), schedules);
            for f in failures {
                progress.println(&format!("program {}: {}", f.program, f.cause));
            }
        });
        record.wall_secs = started.elapsed().as_secs_f64();
        record.programs_per_sec = rate(record.programs, record.wall_secs);
        record.schedules_per_sec = rate(record.schedules, record.wall_secs);
        report.generated = Some(record);
        // With `--bugs` the programs ran on a store with bugs: not a corpus to start from.
        learnt = settings.setup.bugs.is_empty().then_some(stream);
    }
    // One hunt at a time, each over every job: a hunt's length is not known until it
    // catches its bug, and hunts side by side on one job each leave a job idle behind the
    // longest.
    report.generated_seeded = (hunts.iter())
        .map(|item| {
            let hunt = seeded(settings, item, learnt.as_ref());
            progress.done(&item.label(), hunt.schedules);
            if !hunt.caught {
                progress.println(&format!("{}: missed", item.label()));
            }
            hunt
        })
        .collect();
    progress.finish();
}

/// `bug` alone over the programs in order, until one catches it (a violation or a
/// deadlock; a bare panic is not a detection).
///
/// Trial `trial` draws its own programs; only trial 0's catch is minimized (the others
/// count how soon they caught it). A guided hunt goes on from `learnt`, the corpus the
/// shard's programs on the clean store built, when it ran: as a fuzzer's corpus carries
/// from one build to the next, what the search learnt on the store before a change is
/// where it starts on the store after it. That corpus knows nothing of the bug.
fn seeded(
    settings: &Settings,
    item: &Placed<Hunt>,
    learnt: Option<&Stream>,
) -> GeneratedSeededItem {
    let Hunt { bug, trial } = item.work;
    let setup = Setup {
        bugs: Bugs::only(bug),
        ..settings.setup
    };
    let started = Instant::now();
    let (mut programs, mut schedules) = (0, 0);
    let mut failure = None;
    let program_seed = settings.spec.trial_program_seed(trial);
    let mut stream = match learnt {
        Some(learnt) => learnt.resumed(program_seed),
        None => Stream::new(
            settings.spec.search,
            settings.spec.weights,
            program_seed,
            setup.faults,
        ),
    };
    let corpus = stream.corpus_len() as u64;
    let numbers: Vec<usize> = (0..settings.spec.programs).collect();
    drive(
        settings,
        setup,
        &mut stream,
        &numbers,
        settings.jobs,
        |drawn, outcome| {
            programs += 1;
            schedules += outcome.schedules;
            match outcome.failure {
                Some((checker, f))
                    if f.cause.property().is_some() || f.cause == Cause::Deadlock =>
                {
                    let shrink = trial == 0;
                    failure = Some(record_failure(
                        "generated",
                        settings,
                        setup,
                        drawn,
                        (checker, &f),
                        shrink,
                        program_budget(settings, drawn.seed),
                    ));
                    ControlFlow::Break(())
                }
                _ => ControlFlow::Continue(()),
            }
        },
    );
    let verdict = match &failure {
        Some(f) => Verdict::Caught(f.cause),
        None => Verdict::Missed,
    };
    GeneratedSeededItem {
        key: item.key(),
        position: item.position,
        bug,
        trial,
        program_seed,
        corpus,
        caught: failure.is_some(),
        programs,
        schedules,
        wall_secs: started.elapsed().as_secs_f64(),
        verdict,
        failure,
    }
}
