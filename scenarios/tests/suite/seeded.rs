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
use scenarios::seeded::SeededRaceExt;
use scenarios::SeededRace;
use store::{LockGranularity, SeededBug};

/// Whether `checker` catches `bug` in the scenario that exposes it, with the `lock`
/// granularity, and names a property the bug breaks; the miss as a message otherwise.
fn caught(bug: SeededBug, checker: Checker, lock: LockGranularity) -> Result<(), String> {
    let race = SeededRace::of(bug);
    let scenario = race.scenario();
    let setup = Setup::with_bug(bug).with_granularity(lock);
    let report = scenario.check(checker, setup, &scenario.budget());
    let Some(failure) = report.failure else {
        return Err(format!(
            "{checker} missed seeded bug {bug} in {} with the {lock} lock after {} schedules",
            scenario.name, report.schedules
        ));
    };
    match race.matches(failure.cause) {
        true => Ok(()),
        false => Err(format!(
            "{checker} caught {bug} with the {lock} lock but reported {} (expected one of {:?}):\n{}",
            failure.verdict(),
            race.expect,
            failure.message
        )),
    }
}

/// Every seeded race caught by `checker` with the `lock` granularity (all are run; every
/// miss is reported).
fn assert_all_caught(checker: Checker, lock: LockGranularity) {
    let misses: Vec<String> = (scenarios::seeded().iter())
        .filter_map(|race| caught(race.bug, checker, lock).err())
        .collect();
    assert!(misses.is_empty(), "{}", misses.join("\n\n"));
}

/// The four checkers' tests of every seeded race with one lock granularity (a new seeded
/// race is tested as soon as its scenario's module declares it).
macro_rules! seeded_with {
    ($lock:ident => $granularity:expr) => {
        mod $lock {
            use super::*;
            #[test]
            fn caught_loom() {
                assert_all_caught(Checker::Loom, $granularity);
            }
            #[test]
            fn caught_shuttle_random() {
                assert_all_caught(Checker::Random, $granularity);
            }
            #[test]
            fn caught_shuttle_pct() {
                assert_all_caught(Checker::Pct, $granularity);
            }
            #[test]
            fn caught_shuttle_urw() {
                assert_all_caught(Checker::Urw, $granularity);
            }
        }
    };
}

seeded_with!(single => LockGranularity::Single);
seeded_with!(sharded => LockGranularity::sharded());

/// Every seeded bug that shows without faults has exactly one race entry, naming a
/// scenario (the fault-handling ones are tested under fault injection, in the harness's
/// suite).
#[test]
fn every_seeded_bug_has_a_race() {
    let races: Vec<SeededBug> = scenarios::seeded().iter().map(|r| r.bug).collect();
    for bug in SeededBug::ALL.into_iter().filter(|b| !b.needs_faults()) {
        let entries = races.iter().filter(|b| **b == bug).count();
        assert_eq!(entries, 1, "seeded bug {bug} has {entries} race entries");
    }
    assert_eq!(scenarios::catalogue().validate(), Ok(()));
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
