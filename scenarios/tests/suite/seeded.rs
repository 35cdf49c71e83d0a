//! Every checker catches every seeded race, and names the broken property.
//!
//! Each seeded bug is switched on in the scenario that exposes it (`scenarios::seeded`); the
//! test asserts that the checker reports a failure within its default budget (loom:
//! exhaustive within the scenario's bound; shuttle: 1,000 schedules from the fixed seed),
//! and that the report names one of the properties that bug breaks. Every test runs with
//! the single chunk store mutex and with the sharded one (`single` and `sharded` halves):
//! sharding must not hide any seeded race.

use harness::check::Checker;
use harness::world::Setup;
use scenarios::seeded::{SeededRace, SeededRaceExt, SEEDED};
use store::{LockGranularity, SeededBug};

fn assert_caught(bug: SeededBug, checker: Checker, lock: LockGranularity) {
    let race = SeededRace::of(bug);
    let scenario = race.scenario();
    let setup = Setup::with_bug(bug).with_granularity(lock);
    let report = scenario.check(checker, setup, &scenario.budget());
    let failure = report.failure.unwrap_or_else(|| {
        panic!(
            "{checker} missed seeded bug {bug} in {} with the {lock} lock after {} schedules",
            scenario.name, report.schedules
        )
    });
    assert!(
        race.matches(failure.cause),
        "{checker} caught {bug} with the {lock} lock but reported {} (expected one of {:?}):\n{}",
        failure.verdict(),
        race.expect,
        failure.message
    );
}

/// The four checkers' tests of one seeded bug with one lock granularity.
macro_rules! seeded_with {
    ($bug:expr, $lock:ident => $granularity:expr) => {
        mod $lock {
            use super::*;
            #[test]
            fn caught_loom() {
                assert_caught($bug, Checker::Loom, $granularity);
            }
            #[test]
            fn caught_shuttle_random() {
                assert_caught($bug, Checker::Random, $granularity);
            }
            #[test]
            fn caught_shuttle_pct() {
                assert_caught($bug, Checker::Pct, $granularity);
            }
            #[test]
            fn caught_shuttle_urw() {
                assert_caught($bug, Checker::Urw, $granularity);
            }
        }
    };
}

macro_rules! seeded {
    ($($module:ident => $bug:expr;)*) => {$(
        mod $module {
            use super::*;
            seeded_with!($bug, single => LockGranularity::Single);
            seeded_with!($bug, sharded => LockGranularity::sharded());
        }
    )*
        /// Every seeded bug that shows without faults has a race entry and tests here (the
        /// fault-handling ones are tested under fault injection, in the harness's suite).
        #[test]
        fn every_seeded_bug_is_tested() {
            let tested = [$($bug),*];
            let races: Vec<_> = SeededBug::ALL.into_iter().filter(|b| !b.needs_faults()).collect();
            assert_eq!(tested.to_vec(), races, "SeededBug::ALL and the tests differ");
            for race in SEEDED {
                assert!(scenarios::find(race.scenario).is_some(), "{} names no scenario", race.bug);
            }
            assert_eq!(SEEDED.len(), races.len());
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
    cache_serves_rotten_copy => SeededBug::CacheServesRottenCopy;
    eviction_rolls_back_atime => SeededBug::EvictionRollsBackAtime;
}

/// With the lock-order check off, the inverted eviction lock order runs into its deadlock,
/// and the checker reports it instead of hanging.
fn assert_deadlock_reported(checker: Checker, lock: LockGranularity) {
    let scenario = scenarios::find("eviction-vs-remove").expect("registered");
    let setup = Setup {
        unchecked_lock_order: true,
        ..Setup::with_bug(SeededBug::EvictionLocksStoreInsideLru).with_granularity(lock)
    };
    let report = scenario.check(checker, setup, &scenario.budget());
    let failure = report.failure.unwrap_or_else(|| {
        panic!(
            "{checker} found no deadlock with the {lock} lock in {} schedules",
            report.schedules
        )
    });
    assert!(
        failure.is_deadlock(),
        "{checker} reported {} instead of a deadlock:\n{}",
        failure.verdict(),
        failure.message
    );
}

macro_rules! deadlock_with {
    ($lock:ident => $granularity:expr) => {
        mod $lock {
            use super::*;
            #[test]
            fn reported_loom() {
                assert_deadlock_reported(Checker::Loom, $granularity);
            }
            #[test]
            fn reported_shuttle_random() {
                assert_deadlock_reported(Checker::Random, $granularity);
            }
            #[test]
            fn reported_shuttle_pct() {
                assert_deadlock_reported(Checker::Pct, $granularity);
            }
            #[test]
            fn reported_shuttle_urw() {
                assert_deadlock_reported(Checker::Urw, $granularity);
            }
        }
    };
}

mod deadlock {
    use super::*;
    deadlock_with!(single => LockGranularity::Single);
    deadlock_with!(sharded => LockGranularity::sharded());
}

/// The seeded races whose faulty step runs in every schedule of their scenario are caught
/// at that step on the first schedule, under every checker and both granularities: the
/// oracle judges the step itself (a stat outside the mutex, a cutoff later than the writers
/// allow, a bucket put outside the per-chunk lock), not a consequence some interleaving
/// may or may not produce.
#[test]
fn faulty_steps_run_by_every_schedule_are_caught_on_the_first() {
    use harness::oracle::Property;
    let cases = [
        (SeededBug::SweepStatOutsideMutex, Property::P1),
        (SeededBug::CutoffIgnoresOldestWriter, Property::Cutoff),
        (SeededBug::UploadWithoutChunkLock, Property::ChunkLock),
    ];
    for (bug, property) in cases {
        let scenario = SeededRace::of(bug).scenario();
        for lock in [LockGranularity::Single, LockGranularity::sharded()] {
            for checker in Checker::MODEL {
                let setup = Setup::with_bug(bug).with_granularity(lock);
                let report = scenario.check(checker, setup, &scenario.budget());
                let failure = report.failure.expect("caught");
                assert_eq!(
                    (report.schedules, failure.property()),
                    (1, Some(property)),
                    "{bug} under {checker} with the {lock} lock:\n{}",
                    failure.message
                );
            }
        }
    }
}
