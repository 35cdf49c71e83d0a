//! Deciding a concurrency test with a model checker instead of a clock. The scenario is a
//! generic `fn<P: Platform>` run through the harness's drivers: loom explores every
//! interleaving within an explicit preemption bound, shuttle a fixed-seed set of schedules,
//! so "no schedule fails" and "this schedule fails" are facts about the program, never
//! about how long a thread was given.

use harness::check::{
    run, Budget, Cause, Checker, Failure, Report, DEFAULT_MAX_BRANCHES, DEFAULT_PCT_DEPTH,
    DEFAULT_SCHEDULES, DEFAULT_SEED,
};

/// loom's preemption bound for the store's tests, fixed here (not read from the
/// environment, so a run cannot quietly check less): the races these tests look for show
/// up within it, and it keeps every search to a few dozen schedules.
pub const PREEMPTIONS: usize = 2;

/// The budget of the store's tests: [`PREEMPTIONS`] for loom, the harness defaults for
/// shuttle (a fixed seed, so the same schedules every run).
pub fn budget() -> Budget {
    Budget {
        preemption_bound: PREEMPTIONS,
        max_branches: DEFAULT_MAX_BRANCHES,
        schedules: DEFAULT_SCHEDULES,
        pct_depth: DEFAULT_PCT_DEPTH,
        seed: DEFAULT_SEED,
    }
}

/// Runs `scenario` under `checker` and asserts that no explored schedule fails (no panic,
/// no deadlock) and that there was something to explore; returns the report.
#[track_caller]
pub fn holds_on_every_schedule<F>(checker: Checker, what: &str, scenario: F) -> Report
where
    F: Fn() + Send + Sync + 'static,
{
    let report = run(checker, &budget(), scenario);
    eprintln!("{what}: {checker} explored {} schedules", report.schedules);
    if let Some(failure) = &report.failure {
        panic!(
            "{what}: {checker} found a failing schedule ({}) among {}: {}",
            failure.verdict(),
            report.schedules,
            failure.message
        );
    }
    assert!(
        report.schedules > 1,
        "{what}: {checker} explored a single schedule, so nothing raced"
    );
    report
}

/// Runs `scenario` under `checker` and asserts that some schedule fails with a panic (not a
/// deadlock) whose message contains `needle`; returns the failure.
#[track_caller]
pub fn fails_on_some_schedule<F>(checker: Checker, what: &str, needle: &str, scenario: F) -> Failure
where
    F: Fn() + Send + Sync + 'static,
{
    let report = run(checker, &budget(), scenario);
    eprintln!("{what}: {checker} explored {} schedules", report.schedules);
    let failure = report.failure.unwrap_or_else(|| {
        panic!(
            "{what}: none of {checker}'s {} schedules failed, expected {needle:?}",
            report.schedules
        )
    });
    assert!(
        failure.cause == Cause::Panic && failure.message.contains(needle),
        "{what}: {checker} failed otherwise ({}) than with {needle:?}: {}",
        failure.verdict(),
        failure.message
    );
    failure
}
