//! The clean store passes every scenario under every checker, with the single chunk store
//! mutex and with the sharded one (each test module has a `single` and a `sharded` half).
//!
//! Budgets: loom is exhaustive within each scenario's preemption bound (`Scenario::loom_bound`,
//! `LOOM_MAX_PREEMPTIONS` overrides); shuttle runs `HARNESS_SCHEDULES` schedules (default
//! 1,000) per scheduler from the fixed seed `HARNESS_SEED`.

use harness::check::Checker;
use harness::world::Setup;
use store::LockGranularity;

/// Both granularities: upstream's single mutex and the default sharding.
const LOCKS: [LockGranularity; 2] = [LockGranularity::Single, LockGranularity::sharded()];

fn assert_clean(name: &str, checker: Checker, lock: LockGranularity) {
    let scenario = scenarios::find(name).expect("scenario is registered");
    let budget = scenario.budget();
    let report = scenario.check(checker, Setup::clean().with_granularity(lock), &budget);
    if let Some(failure) = report.failure {
        panic!(
            "{name} under {checker} with the {lock} lock failed after {} schedules:\n{}",
            report.schedules, failure.message
        );
    }
    let floor = match checker {
        // Exhaustive: more than one interleaving exists in every scenario.
        Checker::Loom => 2,
        _ => budget.schedules as u64,
    };
    assert!(
        report.schedules >= floor,
        "{name} under {checker} explored only {} schedules",
        report.schedules
    );
}

/// The four checkers' tests of one scenario with one lock granularity.
macro_rules! clean_with {
    ($name:literal, $lock:ident => $granularity:expr) => {
        mod $lock {
            use super::*;
            #[test]
            fn loom() {
                assert_clean($name, Checker::Loom, $granularity);
            }
            #[test]
            fn shuttle_random() {
                assert_clean($name, Checker::Random, $granularity);
            }
            #[test]
            fn shuttle_pct() {
                assert_clean($name, Checker::Pct, $granularity);
            }
            #[test]
            fn shuttle_urw() {
                assert_clean($name, Checker::Urw, $granularity);
            }
        }
    };
}

macro_rules! clean {
    ($($module:ident => $name:literal;)*) => {$(
        mod $module {
            use super::*;
            clean_with!($name, single => LockGranularity::Single);
            clean_with!($name, sharded => LockGranularity::sharded());
        }
    )*
        /// Every registered scenario has its tests here.
        #[test]
        fn every_scenario_is_tested() {
            let tested = [$($name),*];
            let registered: Vec<_> = scenarios::ALL.iter().map(|s| s.name).collect();
            assert_eq!(registered, tested, "scenarios::ALL and the tests differ");
        }
    };
}

clean! {
    fs_insert_vs_sweep => "fs-insert-vs-sweep";
    s3_upload_vs_sweep => "s3-upload-vs-sweep";
    reload_during_backup => "reload-during-backup";
    eviction_vs_remove => "eviction-vs-remove";
    incremental_vs_prune => "incremental-vs-prune";
    pull_reuse_vs_sweep => "pull-reuse-vs-sweep";
    verify_vs_upload => "verify-vs-upload";
    gc_during_reload => "gc-during-reload";
}

/// Every scenario also runs on real threads (a smoke test of the std platform), with
/// either lock granularity.
#[test]
fn every_scenario_on_real_threads() {
    for scenario in scenarios::ALL {
        for lock in LOCKS {
            for _ in 0..20 {
                (scenario.std)(Setup::clean().with_granularity(lock));
            }
        }
    }
}

/// Loom thread limits: every scenario fits in loom's 5 threads (main included).
#[test]
fn every_scenario_fits_loom() {
    for scenario in scenarios::ALL {
        assert!(
            scenario.threads < 5,
            "{} spawns {} threads: loom allows 4 besides main",
            scenario.name,
            scenario.threads
        );
    }
}
