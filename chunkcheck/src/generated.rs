//! The generated phase: programs drawn from seeds, each run under the campaign's shuttle
//! schedulers; every failure is minimized and saved as a failure file `replay` runs again.
//! Then each seeded bug alone, over the same programs in order, until one catches it.

use crate::failure_file::{FailureFile, Target};
use crate::progress::PhaseProgress;
use crate::report::{
    rate, CampaignReport, GeneratedRecord, GeneratedSeededItem, PairReached, ProgramFailure,
};
use crate::shrink::smallest_failing;
use crate::verdict::Verdict;
use crate::work::{Hunt, Placed, Programs};
use crate::{bug_names, Settings};
use harness::check::{Budget, Checker, Failure, RunOptions, DEFAULT_MAX_BRANCHES};
use harness::execution::FaultTally;
use harness::program::{check_program, generate_with, minimize, Pair, Program};
use harness::world::Setup;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use store::Bugs;

/// Candidates minimization tries per failure.
const SHRINK_ATTEMPTS: usize = 150;

/// Failing programs minimized per campaign (with `--bugs` every program may fail; the
/// rest are reported as drawn).
const MINIMIZED_FAILURES: usize = 3;

fn budget(seed: u64, schedules: usize, pct_depth: usize) -> Budget {
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

/// loom's preemption bound under `--faults`, for generated programs and scenarios alike: one
/// exhaustive search per fault choice (operation × kind) multiplies the work by the number
/// of choices, and bound 1 keeps a run near its cost without faults (BENCHMARKS.md).
pub const LOOM_FAULT_BOUND: usize = 1;

/// Whether loom explores `program` exhaustively in this campaign.
fn under_loom(settings: &Settings, program: &Program) -> bool {
    settings.spec.checkers.contains(&Checker::Loom)
        && program.size() <= LOOM_PROGRAM_STEPS
        && program.threads.len() == 2
}

/// The checkers a program runs under: the campaign's shuttle schedulers (and stress), in
/// order (shuttle-random if none), then loom for a small program.
fn checkers_for(settings: &Settings, program: &Program) -> Vec<Checker> {
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
    if under_loom(settings, program) {
        checkers.push(Checker::Loom);
    }
    checkers
}

/// A program's budget in this campaign.
fn program_budget(settings: &Settings, seed: u64) -> Budget {
    let mut budget = budget(seed, settings.spec.program_schedules, settings.pct_depth);
    if settings.setup.faults > 0 {
        budget.preemption_bound = LOOM_FAULT_BOUND;
    }
    if let Some(bound) = settings.preemption_bound {
        budget.preemption_bound = bound;
    }
    budget
}

/// One program under each scheduler until one fails.
struct Outcome {
    schedules: u64,
    overlaps: BTreeSet<Pair>,
    faults: FaultTally,
    failure: Option<(Checker, Failure)>,
}

fn check_one(settings: &Settings, setup: Setup, program: &Program, seed: u64) -> Outcome {
    let mut outcome = Outcome {
        schedules: 0,
        overlaps: BTreeSet::new(),
        faults: FaultTally::new(),
        failure: None,
    };
    let options = RunOptions {
        max_time: settings.max_time,
        faults: setup.faults > 0,
        ..RunOptions::default()
    };
    for checker in checkers_for(settings, program) {
        let budget = program_budget(settings, seed);
        let report = crate::quiet::silenced_if(settings.silence_checkers, || {
            check_program(program, setup, checker, &budget, &options)
        });
        outcome.schedules += report.report.schedules;
        outcome.overlaps.extend(report.overlaps);
        for (key, n) in report.report.faults {
            *outcome.faults.entry(key).or_default() += n;
        }
        if let Some(failure) = report.report.failure {
            outcome.failure = Some((checker, failure));
            break;
        }
    }
    outcome
}

/// Program `number` of a campaign, drawn from `seed`.
struct Drawn {
    number: u64,
    seed: u64,
    program: Program,
}

impl Drawn {
    /// Program `number` of the stream whose program 0 is drawn from `program_seed`.
    fn new(settings: &Settings, program_seed: u64, number: usize) -> Self {
        let seed = program_seed.wrapping_add(number as u64);
        Self {
            number: number as u64,
            seed,
            program: generate_with(seed, &settings.spec.weights),
        }
    }
}

/// Minimizes a failing program (unless `shrink` is off), saves it and describes it.
fn record_failure(
    settings: &Settings,
    setup: Setup,
    drawn: &Drawn,
    (checker, failure): (Checker, &Failure),
    shrink: bool,
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
    let mut budget = program_budget(settings, seed);
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
    let stem = format!("generated-{tag}-{seed}-{checker}");
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

/// What one item of generated programs found.
struct ProgramsDone {
    programs: u64,
    schedules: u64,
    reached: BTreeSet<Pair>,
    faults: FaultTally,
    failures: Vec<ProgramFailure>,
}

/// Runs programs `first .. first + count` on the campaign's setup. `minimized` counts the
/// failures minimized so far across every item (at most [`MINIMIZED_FAILURES`]).
fn programs(settings: &Settings, work: Programs, minimized: &AtomicUsize) -> ProgramsDone {
    let Programs { first, count } = work;
    let mut done = ProgramsDone {
        programs: 0,
        schedules: 0,
        reached: BTreeSet::new(),
        faults: FaultTally::new(),
        failures: Vec::new(),
    };
    for number in first..first + count {
        let drawn = Drawn::new(settings, settings.spec.program_seed, number);
        let outcome = check_one(settings, settings.setup, &drawn.program, drawn.seed);
        done.schedules += outcome.schedules;
        done.reached.extend(outcome.overlaps);
        for (key, n) in outcome.faults {
            *done.faults.entry(key).or_default() += n;
        }
        done.programs += 1;
        if let Some((checker, failure)) = outcome.failure {
            let shrink = minimized.fetch_add(1, Ordering::Relaxed) < MINIMIZED_FAILURES;
            let failed = (checker, &failure);
            done.failures.push(record_failure(
                settings,
                settings.setup,
                &drawn,
                failed,
                shrink,
            ));
        }
    }
    done
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
    let minimized = AtomicUsize::new(0);
    let done = crate::pool::map(
        clean,
        settings.jobs,
        |item| programs(settings, item.work, &minimized),
        |item, done| {
            progress.done(&item.label(), done.schedules);
            for f in &done.failures {
                progress.println(&format!("program {}: {}", f.program, f.cause));
            }
        },
    );
    if !clean.is_empty() {
        let mut record = GeneratedRecord {
            wall_secs: started.elapsed().as_secs_f64(),
            ..GeneratedRecord::default()
        };
        let mut reached = BTreeSet::new();
        for item in done {
            record.programs += item.programs;
            record.schedules += item.schedules;
            reached.extend(item.reached);
            record.failures.extend(item.failures);
            for ((site, fault), n) in item.faults {
                *record.faults.entry(fault.to_string()).or_default() += n;
                *record
                    .fault_sites
                    .entry(format!("{fault} at {site}"))
                    .or_default() += n;
            }
        }
        record.programs_per_sec = rate(record.programs, record.wall_secs);
        record.schedules_per_sec = rate(record.schedules, record.wall_secs);
        record.pairs = Pair::all()
            .into_iter()
            .map(|pair| PairReached {
                pair,
                reached: reached.contains(&pair),
            })
            .collect();
        report.generated = Some(record);
    }
    report.generated_seeded = crate::pool::map(
        hunts,
        settings.jobs,
        |item| seeded(settings, item),
        |item, hunt| {
            progress.done(&item.label(), hunt.schedules);
            if !hunt.caught {
                progress.println(&format!("{}: missed", item.label()));
            }
        },
    );
    progress.finish();
}

/// `bug` alone over the programs in order, until one catches it (a violation or a
/// deadlock; a bare panic is not a detection).
///
/// Trial `trial` draws its own programs; only trial 0's catch is minimized (the others
/// count how soon they caught it).
fn seeded(settings: &Settings, item: &Placed<Hunt>) -> GeneratedSeededItem {
    let Hunt { bug, trial } = item.work;
    let setup = Setup {
        bugs: Bugs::only(bug),
        ..settings.setup
    };
    let started = Instant::now();
    let (mut programs, mut schedules) = (0, 0);
    let mut failure = None;
    let program_seed = settings.spec.trial_program_seed(trial);
    for number in 0..settings.spec.programs {
        let drawn = Drawn::new(settings, program_seed, number);
        let outcome = check_one(settings, setup, &drawn.program, drawn.seed);
        programs += 1;
        schedules += outcome.schedules;
        if let Some((checker, f)) = outcome.failure {
            if f.cause.property().is_some() || f.cause == harness::check::Cause::Deadlock {
                let shrink = trial == 0;
                failure = Some(record_failure(
                    settings,
                    setup,
                    &drawn,
                    (checker, &f),
                    shrink,
                ));
                break;
            }
        }
    }
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
        caught: failure.is_some(),
        programs,
        schedules,
        wall_secs: started.elapsed().as_secs_f64(),
        verdict,
        failure,
    }
}
