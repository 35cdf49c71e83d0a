//! Runs a campaign's work items, phase by phase, on `--jobs` worker threads (results in plan
//! order, whatever order they finish in).

use crate::failures;
use crate::plan::Batch;
use crate::progress::PhaseProgress;
use crate::report::{rate, CampaignReport, CleanItem, SeededItem, Tool};
use crate::verdict::Verdict;
use crate::work::{Placed, RaceRun, ScenarioRun, Split};
use crate::Settings;
use harness::catalogue::{Catalogue, Scenario};
use harness::check::{self, Budget, Checker, Report, RunOptions};
use harness::world::Setup;
use std::time::{Duration, Instant};
use store::Bugs;

/// One checker run of one scenario: what a work item (or a minimization step) runs.
#[derive(Clone, Copy)]
pub(super) struct Attempt {
    /// `clean` or `seeded`.
    pub phase: &'static str,
    pub scenario: &'static Scenario,
    pub checker: Checker,
    pub setup: Setup,
    pub budget: Budget,
    pub max_time: Option<Duration>,
    pub quiet: bool,
}

impl Attempt {
    /// Runs it; a loom run keeps a checkpoint, so its failure can be replayed. A loom run
    /// runs in a worker process when there is one ([`crate::workers`]).
    pub fn run(&self) -> Report {
        if self.checker == Checker::Loom {
            let name = self.scenario.name;
            if let Some(report) =
                crate::workers::scenario(name, self.setup, &self.budget, self.max_time)
            {
                return report;
            }
        }
        self.run_here()
    }

    /// Runs it in this process (what a worker process does with it).
    pub fn run_here(&self) -> Report {
        let f = self.scenario.entry(self.checker);
        let setup = self.setup;
        let options = RunOptions {
            max_time: self.max_time,
            loom_checkpoint: (self.checker == Checker::Loom).then(check::checkpoint_path),
            faults: setup.faults > 0,
        };
        crate::quiet::silenced_if(self.quiet, || {
            check::run_with(self.checker, &self.budget, &options, move || f(setup))
        })
    }
}

/// Runs the items of `settings`' shard of its plan and reports what they found.
///
/// # Panics
/// When the plan names a scenario or seeded race `catalogue` lacks (build [`Settings`]
/// from the same catalogue, as [`crate::cli`] does).
pub fn run(catalogue: &Catalogue, settings: &Settings) -> CampaignReport {
    let started = Instant::now();
    let fallbacks_before = crate::workers::fallbacks();
    let Split {
        clean,
        seeded,
        programs,
        hunts,
    } = Split::of(settings.spec.shard(settings.shard));
    let mut report = CampaignReport {
        tool: Tool::current(),
        command: settings.command.clone(),
        config: settings.record(),
        clean: Vec::new(),
        matrix: Vec::new(),
        seeded: Vec::new(),
        coverage: Default::default(),
        reach: Vec::new(),
        generated: None,
        generated_seeded: Vec::new(),
        detections: Vec::new(),
        exhaustive: None,
        wall_secs: 0.0,
        worker_fallbacks: 0,
        exit_code: 0,
    };
    if !clean.is_empty() {
        let mut progress =
            PhaseProgress::new("clean", clean.len(), settings.progress, settings.announce);
        let results = crate::pool::map(
            &clean,
            settings.jobs,
            |item| run_clean(catalogue, settings, item),
            |item, (record, _)| {
                progress.done(&item.label(), record.schedules);
                if let Some(failure) = &record.failure {
                    progress.println(&format!(
                        "{}: {} ({})",
                        item.label(),
                        failure.cause,
                        failure.headline
                    ));
                }
            },
        );
        for (record, coverage) in results {
            report
                .coverage
                .entry(record.scenario.clone())
                .or_default()
                .add(&coverage);
            report.clean.push(record);
        }
        progress.finish();
    }
    if !seeded.is_empty() {
        let mut progress =
            PhaseProgress::new("seeded", seeded.len(), settings.progress, settings.announce);
        report.seeded = crate::pool::map(
            &seeded,
            settings.jobs,
            |item| run_seeded(catalogue, settings, item),
            |item, record| {
                progress.done(&item.label(), record.schedules);
                if !record.caught && item.work.checker != crate::plan::BASELINE {
                    progress.println(&format!("{}: {}", item.label(), record.verdict));
                }
            },
        );
        progress.finish();
    }
    crate::generated::run(settings, &programs, &hunts, &mut report);
    if settings.spec.phases.exhaustive() {
        crate::exhaustive::run(settings, &mut report);
    }
    report.worker_fallbacks = crate::workers::fallbacks() - fallbacks_before;
    report.matrix = CampaignReport::summarize(&report.clean);
    report.reach = report.reaches();
    report.detections = report.detections();
    report.wall_secs = started.elapsed().as_secs_f64();
    report.exit_code = report.outcome();
    report
}

fn scenario(catalogue: &Catalogue, name: &str) -> &'static Scenario {
    catalogue
        .find(name)
        .unwrap_or_else(|| panic!("the plan names scenario {name}, unknown to the catalogue"))
}

/// Runs one clean item; returns its record and the coverage of its schedules.
fn run_clean(
    catalogue: &Catalogue,
    settings: &Settings,
    item: &Placed<ScenarioRun>,
) -> (CleanItem, harness::oracle::Coverage) {
    let run = item.work;
    let scenario = scenario(catalogue, run.scenario);
    let batch = run.batch.as_ref();
    let attempt = Attempt {
        phase: "clean",
        scenario,
        checker: run.checker,
        setup: settings.setup,
        budget: settings.budget(scenario, batch, &settings.setup),
        max_time: settings.max_time,
        quiet: settings.silence_checkers,
    };
    let outcome = attempt.run();
    let failure = outcome
        .failure
        .as_ref()
        .map(|f| failures::record(settings, &attempt, f));
    let cause = outcome.failure.as_ref().map(|f| f.cause);
    let verdict = Verdict::clean(cause, outcome.timed_out);
    let secs = outcome.elapsed.as_secs_f64();
    let record = CleanItem {
        key: item.key(),
        position: item.position,
        scenario: scenario.name.to_string(),
        checker: run.checker,
        batch: batch.map(|c| c.index),
        seed: batch.map(|c| c.seed),
        preemption_bound: (run.checker == Checker::Loom).then_some(attempt.budget.preemption_bound),
        schedules: outcome.schedules,
        wall_secs: secs,
        schedules_per_sec: rate(outcome.schedules, secs),
        faults: outcome.faults.values().sum(),
        verdict,
        failure,
    };
    (record, outcome.coverage)
}

/// What running a seeded race's batches found.
struct Hunted {
    schedules: u64,
    timed_out: bool,
    found: Option<harness::check::Failure>,
}

/// Runs `attempt` over `batches` until the first failure or the time limit: loom once
/// (exhaustive), shuttle batch after batch. `attempt` is left as the run that failed.
fn hunt(settings: &Settings, attempt: &mut Attempt, batches: &[Batch], started: Instant) -> Hunted {
    let mut hunted = Hunted {
        schedules: 0,
        timed_out: false,
        found: None,
    };
    let batches: Vec<Option<&Batch>> = match attempt.checker {
        Checker::Loom => vec![None],
        _ => batches.iter().map(Some).collect(),
    };
    for batch in batches {
        let left = settings
            .max_time
            .map(|t| t.saturating_sub(started.elapsed()));
        if left == Some(Duration::ZERO) {
            hunted.timed_out = true;
            break;
        }
        attempt.budget = settings.budget(attempt.scenario, batch, &attempt.setup);
        attempt.max_time = left;
        let outcome = attempt.run();
        hunted.schedules += outcome.schedules;
        hunted.timed_out = outcome.timed_out;
        hunted.found = outcome.failure;
        if hunted.found.is_some() || hunted.timed_out {
            break;
        }
    }
    hunted
}

/// Runs one seeded race under one checker until its first detection.
fn run_seeded(catalogue: &Catalogue, settings: &Settings, item: &Placed<RaceRun>) -> SeededItem {
    let RaceRun {
        bug,
        trial,
        scenario,
        checker,
        ref batches,
    } = item.work;
    let race = catalogue
        .race(bug)
        .unwrap_or_else(|| panic!("the plan names seeded bug {bug}, unknown to the catalogue"));
    let scenario = self::scenario(catalogue, scenario);
    // The race matrix runs without faults, also under `--faults`: it measures how soon each
    // checker sees a race, which a fault landing first would only blur (the fault-handling
    // bugs are hunted over generated programs instead).
    let setup = Setup {
        bugs: Bugs::only(bug),
        faults: 0,
        ..settings.setup
    };
    let mut attempt = Attempt {
        phase: "seeded",
        scenario,
        checker,
        setup,
        budget: settings.budget(scenario, None, &setup),
        max_time: settings.max_time,
        quiet: settings.silence_checkers,
    };
    let started = Instant::now();
    let Hunted {
        schedules,
        timed_out,
        found,
    } = hunt(settings, &mut attempt, batches, started);
    let secs = started.elapsed().as_secs_f64();
    let caught = found.as_ref().is_some_and(|f| race.matches(f.cause));
    let verdict = match &found {
        Some(f) if caught => Verdict::Caught(f.cause),
        Some(f) => Verdict::WrongReport(f.cause),
        None if timed_out => Verdict::Timeout,
        None => Verdict::Missed,
    };
    SeededItem {
        key: item.key(),
        position: item.position,
        bug,
        scenario: scenario.name.to_string(),
        checker,
        trial,
        caught,
        schedules,
        wall_secs: secs,
        schedules_per_sec: rate(schedules, secs),
        verdict,
        failure: found.map(|f| failures::record(settings, &attempt, &f)),
    }
}
