//! Every checker catches every seeded race, and names the broken property.
//!
//! Each seeded bug is switched on in the scenario that exposes it (`scenarios::seeded`); the
//! test asserts that the checker reports a failure within its default budget (loom:
//! exhaustive within the scenario's bound; shuttle: 1,000 schedules from the fixed seed),
//! and that the report names one of the properties that bug breaks.

use harness::check::Checker;
use harness::world::Setup;
use scenarios::seeded::{SeededRace, SEEDED};
use store::SeededBug;

fn assert_caught(bug: SeededBug, checker: Checker) {
    let race = SeededRace::of(bug);
    let scenario = race.scenario();
    let report = scenario.check(checker, Setup::with_bug(bug), &scenario.budget());
    let failure = report.failure.unwrap_or_else(|| {
        panic!(
            "{checker} missed seeded bug {bug} in {} after {} schedules",
            scenario.name, report.schedules
        )
    });
    assert!(
        race.matches(failure.property, failure.deadlock),
        "{checker} caught {bug} but reported {} (expected one of {:?}):\n{}",
        failure.verdict(),
        race.expect,
        failure.message
    );
}

macro_rules! seeded {
    ($($module:ident => $bug:expr;)*) => {$(
        mod $module {
            use super::*;
            #[test]
            fn caught_loom() {
                assert_caught($bug, Checker::Loom);
            }
            #[test]
            fn caught_shuttle_random() {
                assert_caught($bug, Checker::Random);
            }
            #[test]
            fn caught_shuttle_pct() {
                assert_caught($bug, Checker::Pct);
            }
            #[test]
            fn caught_shuttle_urw() {
                assert_caught($bug, Checker::Urw);
            }
        }
    )*
        /// Every seeded bug has a race entry and tests here.
        #[test]
        fn every_seeded_bug_is_tested() {
            let tested = [$($bug),*];
            assert_eq!(tested, SeededBug::ALL, "SeededBug::ALL and the tests differ");
            for race in SEEDED {
                assert!(scenarios::find(race.scenario).is_some(), "{} names no scenario", race.bug);
            }
            assert_eq!(SEEDED.len(), SeededBug::ALL.len());
        }
    };
}

seeded! {
    sweep_stat_outside_mutex => SeededBug::SweepStatOutsideMutex;
    insert_skips_touch => SeededBug::InsertSkipsTouch;
    touch_without_mutex => SeededBug::TouchWithoutMutex;
    lock_forgets_other_processes => SeededBug::LockForgetsOtherProcesses;
    cutoff_ignores_oldest_writer => SeededBug::CutoffIgnoresOldestWriter;
    upload_without_chunk_lock => SeededBug::UploadWithoutChunkLock;
    eviction_locks_store_inside_lru => SeededBug::EvictionLocksStoreInsideLru;
    lru_hit_skips_touch => SeededBug::LruHitSkipsTouch;
}

/// With the lock-order check off, the inverted eviction lock order runs into its deadlock,
/// and the checker reports it instead of hanging.
fn assert_deadlock_reported(checker: Checker) {
    let scenario = scenarios::find("eviction-vs-remove").expect("registered");
    let setup = Setup {
        unchecked_lock_order: true,
        ..Setup::with_bug(SeededBug::EvictionLocksStoreInsideLru)
    };
    let report = scenario.check(checker, setup, &scenario.budget());
    let failure = report.failure.unwrap_or_else(|| {
        panic!(
            "{checker} found no deadlock in {} schedules",
            report.schedules
        )
    });
    assert!(
        failure.deadlock,
        "{checker} reported {} instead of a deadlock:\n{}",
        failure.verdict(),
        failure.message
    );
}

mod deadlock {
    use super::*;
    #[test]
    fn reported_loom() {
        assert_deadlock_reported(Checker::Loom);
    }
    #[test]
    fn reported_shuttle_random() {
        assert_deadlock_reported(Checker::Random);
    }
    #[test]
    fn reported_shuttle_pct() {
        assert_deadlock_reported(Checker::Pct);
    }
    #[test]
    fn reported_shuttle_urw() {
        assert_deadlock_reported(Checker::Urw);
    }
}
