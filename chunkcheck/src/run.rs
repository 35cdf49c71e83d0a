//! Runs a campaign's work items, phase by phase, on `--jobs` worker threads (results in plan
//! order, whatever order they finish in).

use crate::failures;
use crate::plan::{Batch, Work, WorkItem};
use crate::progress::PhaseProgress;
use crate::report::{rate, CampaignReport, CleanItem, SeededItem, Tool};
use crate::verdict::Verdict;
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
    /// Runs it; a loom run keeps a checkpoint, so its failure can be replayed.
    pub fn run(&self) -> Report {
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
    let (generated, scenario_items): (Vec<_>, Vec<_>) = settings
        .spec
        .shard(settings.shard)
        .into_iter()
        .partition(|item| {
            matches!(
                item.work,
                Work::Generated { .. } | Work::GeneratedSeeded { .. }
            )
        });
    let (clean, seeded): (Vec<_>, Vec<_>) = scenario_items
        .into_iter()
        .partition(|item| item.work == Work::Clean);
    let mut report = CampaignReport {
        tool: Tool::current(),
        command: settings.command.clone(),
        config: settings.record(),
        clean: Vec::new(),
        matrix: Vec::new(),
        seeded: Vec::new(),
        coverage: Default::default(),
        generated: None,
        generated_seeded: Vec::new(),
        detections: Vec::new(),
        wall_secs: 0.0,
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
                if !record.caught && item.checker != crate::plan::BASELINE {
                    progress.println(&format!("{}: {}", item.label(), record.verdict));
                }
            },
        );
        progress.finish();
    }
    if !generated.is_empty() {
        crate::generated::run(settings, &generated, &mut report);
    }
    report.matrix = CampaignReport::summarize(&report.clean);
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
    item: &WorkItem,
) -> (CleanItem, harness::oracle::Coverage) {
    let scenario = scenario(catalogue, item.scenario);
    let batch = item.batches.first();
    let attempt = Attempt {
        phase: "clean",
        scenario,
        checker: item.checker,
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
        checker: item.checker,
        batch: batch.map(|c| c.index),
        seed: batch.map(|c| c.seed),
        preemption_bound: (item.checker == Checker::Loom)
            .then_some(attempt.budget.preemption_bound),
        schedules: outcome.schedules,
        wall_secs: secs,
        schedules_per_sec: rate(outcome.schedules, secs),
        faults: outcome.faults.values().sum(),
        verdict,
        failure,
    };
    (record, outcome.coverage)
}

/// Runs one seeded race under one checker until its first detection.
fn run_seeded(catalogue: &Catalogue, settings: &Settings, item: &WorkItem) -> SeededItem {
    let Work::Seeded { bug, trial } = item.work else {
        unreachable!("seeded items only")
    };
    let race = catalogue
        .race(bug)
        .unwrap_or_else(|| panic!("the plan names seeded bug {bug}, unknown to the catalogue"));
    let scenario = scenario(catalogue, item.scenario);
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
        checker: item.checker,
        setup,
        budget: settings.budget(scenario, None, &setup),
        max_time: settings.max_time,
        quiet: settings.silence_checkers,
    };
    let started = Instant::now();
    let mut schedules = 0;
    let mut timed_out = false;
    let mut found = None;
    // loom: one exhaustive run; shuttle: batch after batch until a detection.
    let batches: Vec<Option<&Batch>> = match item.checker {
        Checker::Loom => vec![None],
        _ => item.batches.iter().map(Some).collect(),
    };
    for batch in batches {
        let left = settings
            .max_time
            .map(|t| t.saturating_sub(started.elapsed()));
        if left == Some(Duration::ZERO) {
            timed_out = true;
            break;
        }
        attempt.budget = settings.budget(scenario, batch, &setup);
        attempt.max_time = left;
        let outcome = attempt.run();
        schedules += outcome.schedules;
        timed_out = outcome.timed_out;
        if let Some(failure) = outcome.failure {
            found = Some(failure);
            break;
        }
        if timed_out {
            break;
        }
    }
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
        checker: item.checker,
        trial,
        caught,
        schedules,
        wall_secs: secs,
        schedules_per_sec: rate(schedules, secs),
        verdict,
        failure: found.map(|f| failures::record(settings, &attempt, &f)),
    }
}
