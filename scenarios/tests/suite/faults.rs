//! Every scenario under fault injection: faults land in its actors (never in its history or
//! its final checks, which run on the main thread), and the clean store survives them under
//! shuttle and under loom, which searches once per fault choice at preemption bound 1.

use harness::check::{Budget, Checker};
use harness::world::Setup;

fn faults_survived(checker: Checker, budget: impl Fn(Budget) -> Budget) {
    let mut landed = 0;
    for scenario in scenarios::ALL {
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
    }
    assert!(landed > 0, "faults landed under {checker}");
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

#[test]
fn every_scenario_survives_faults_under_loom_at_bound_1() {
    faults_survived(Checker::Loom, |b| Budget {
        preemption_bound: 1,
        ..b
    });
}
