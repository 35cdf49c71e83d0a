//! Every scenario under fault injection: faults land in its actors (never in its history or
//! its final checks, which run on the main thread), crashes of the process an actor acts
//! for included, and the clean store survives them under shuttle and under loom, which
//! searches once per fault choice at preemption bound 1.

use harness::check::{Budget, Checker};
use harness::world::Setup;
use store::storage::Fault;

/// Runs every scenario with one fault per execution; returns, per scenario, how many
/// crashes landed.
fn faults_survived(
    checker: Checker,
    budget: impl Fn(Budget) -> Budget,
) -> Vec<(&'static str, u64)> {
    let mut landed = 0;
    let mut crashes = Vec::new();
    for scenario in scenarios::all() {
        let report = scenario.check(
            checker,
            Setup::clean().with_faults(1),
            &budget(scenario.budget()),
        );
        assert!(
            report.failure.is_none(),
            "{} under {checker} with faults: {:?}",
            scenario.name,
            report.failure
        );
        landed += report.faults.values().sum::<u64>();
        let crashed = report
            .faults
            .iter()
            .filter(|((_, fault), _)| *fault == Fault::Crash)
            .map(|(_, n)| n)
            .sum();
        crashes.push((scenario.name, crashed));
    }
    assert!(landed > 0, "faults landed under {checker}");
    crashes
}

#[test]
fn every_scenario_survives_faults_under_shuttle() {
    for checker in [Checker::Random, Checker::Pct] {
        faults_survived(checker, |b| Budget {
            schedules: 300,
            ..b
        });
    }
}

/// loom lands every fault kind at every operation of the actors, so each scenario also
/// sees crashes of the processes its actors act for, and survives them: the actors of a
/// crashed process stop, and the final checks run in a restarted one.
#[test]
fn every_scenario_survives_faults_and_crashes_under_loom_at_bound_1() {
    let crashes = faults_survived(Checker::Loom, |b| Budget {
        preemption_bound: 1,
        ..b
    });
    let spared: Vec<_> = crashes.iter().filter(|(_, n)| *n == 0).collect();
    assert!(spared.is_empty(), "no crash landed in {spared:?}");
}
