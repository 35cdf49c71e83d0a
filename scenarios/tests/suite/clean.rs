//! The clean store passes every scenario under every checker, with the single chunk store
//! mutex and with the sharded one (a `single` and a `sharded` test module, one test per
//! checker, each over every scenario).
//!
//! Budgets: loom is exhaustive within each scenario's preemption bound (`Scenario::loom_bound`,
//! `LOOM_MAX_PREEMPTIONS` overrides); shuttle runs `HARNESS_SCHEDULES` schedules (default
//! 1,000) per scheduler from the fixed seed `HARNESS_SEED`.
//!
//! Also: every scenario on real threads, and every scenario spawning exactly the threads its
//! catalogue entry declares, within loom's limit (counted from real spawns under shuttle).

use harness::check::Checker;
use harness::program::Chunk;
use harness::world::Setup;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use store::LockGranularity;

/// Both granularities: upstream's single mutex and the default sharding.
const LOCKS: [LockGranularity; 2] = [LockGranularity::Single, LockGranularity::sharded()];

/// Whether scenario `name` passes under `checker` with the `lock` granularity and explores
/// what its budget asks; the failure as a message otherwise.
fn clean(name: &str, checker: Checker, lock: LockGranularity) -> Result<(), String> {
    let scenario = scenarios::find(name).expect("scenario is registered");
    let budget = scenario.budget();
    let report = scenario.check(checker, Setup::clean().with_granularity(lock), &budget);
    if let Some(failure) = report.failure {
        return Err(format!(
            "{name} under {checker} with the {lock} lock failed after {} schedules:\n{}",
            report.schedules, failure.message
        ));
    }
    let floor = match checker {
        // Exhaustive: more than one interleaving exists in every scenario.
        Checker::Loom => 2,
        _ => budget.schedules as u64,
    };
    match report.schedules >= floor {
        true => Ok(()),
        false => Err(format!(
            "{name} under {checker} explored only {} schedules",
            report.schedules
        )),
    }
}

/// Every scenario clean under `checker` with the `lock` granularity (all are run; every
/// failure is reported).
fn assert_all_clean(checker: Checker, lock: LockGranularity) {
    let failures: Vec<String> = (scenarios::all().iter())
        .filter_map(|scenario| clean(scenario.name, checker, lock).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The four checkers' tests of every scenario with one lock granularity (a new scenario is
/// tested as soon as its module declares it).
macro_rules! clean_with {
    ($lock:ident => $granularity:expr) => {
        mod $lock {
            use super::*;
            #[test]
            fn loom() {
                assert_all_clean(Checker::Loom, $granularity);
            }
            #[test]
            fn shuttle_random() {
                assert_all_clean(Checker::Random, $granularity);
            }
            #[test]
            fn shuttle_pct() {
                assert_all_clean(Checker::Pct, $granularity);
            }
            #[test]
            fn shuttle_urw() {
                assert_all_clean(Checker::Urw, $granularity);
            }
        }
    };
}

clean_with!(single => LockGranularity::Single);
clean_with!(sharded => LockGranularity::sharded());

/// `eviction-vs-access` is about the sharded lock: there, the evicted C and the uploaded D
/// live in different shards, so the `sharded` half of its tests takes the deferred-marker
/// path.
#[test]
fn eviction_vs_access_crosses_shards() {
    let g = LockGranularity::sharded();
    let (c, d) = (Chunk::C.digest(), Chunk::D.digest());
    assert_ne!(g.shard_of(&c), g.shard_of(&d));
}

/// Every scenario also runs on real threads (a smoke test of the std platform), with
/// either lock granularity.
#[test]
fn every_scenario_on_real_threads() {
    for scenario in scenarios::all() {
        for lock in LOCKS {
            for _ in 0..20 {
                (scenario.std)(Setup::clean().with_granularity(lock));
            }
        }
    }
}

/// Threads loom can model besides the main thread (loom 0.7 has `MAX_THREADS = 5`, main
/// included).
const LOOM_SPAWNS: usize = 4;

/// How many threads `f` spawns, main thread excluded, in each of a few shuttle schedules.
///
/// Shuttle numbers the tasks of an execution densely in spawn order, the test's main thread
/// being task 0, so a probe spawned after `f` returned is task `spawned + 1`. This counts
/// every spawn, named or not, by the program executor or the store, without help from the
/// platform.
fn spawned_threads(f: impl Fn() + Send + Sync + 'static) -> BTreeSet<usize> {
    let counts = Arc::new(Mutex::new(BTreeSet::new()));
    let seen = counts.clone();
    shuttle::check_random(
        move || {
            f();
            let probe = shuttle::thread::spawn(|| usize::from(shuttle::thread::current().id()));
            let task = probe.join().expect("the probe returns its id");
            seen.lock().expect("not poisoned").insert(task - 1);
        },
        10,
    );
    let counts = counts.lock().expect("not poisoned").clone();
    counts
}

/// The counter counts: no spawn, three, and spawns that spawn.
#[test]
fn spawned_threads_counts_real_spawns() {
    assert_eq!(spawned_threads(|| {}), BTreeSet::from([0]));
    assert_eq!(
        spawned_threads(|| {
            let handles: Vec<_> = (0..3).map(|_| shuttle::thread::spawn(|| ())).collect();
            handles.into_iter().for_each(|h| h.join().expect("joins"));
        }),
        BTreeSet::from([3])
    );
    assert_eq!(
        spawned_threads(|| {
            let outer = shuttle::thread::spawn(|| {
                shuttle::thread::spawn(|| ()).join().expect("joins");
            });
            outer.join().expect("joins");
        }),
        BTreeSet::from([2])
    );
}

/// Loom thread limits: every scenario spawns, in every schedule tried, exactly the threads
/// its catalogue entry declares (`Scenario::threads`), and that fits in loom's 5 threads
/// (main included). Counted from real spawns under shuttle ([`spawned_threads`]), with
/// either lock granularity.
#[test]
fn every_scenario_fits_loom() {
    for scenario in scenarios::all() {
        for lock in LOCKS {
            let entry = scenario.shuttle;
            let spawned = spawned_threads(move || entry(Setup::clean().with_granularity(lock)));
            assert_eq!(
                spawned,
                BTreeSet::from([scenario.threads()]),
                "{} with the {lock} lock: threads spawned per schedule vs the declared {}",
                scenario.name,
                scenario.threads()
            );
            assert!(
                scenario.threads() <= LOOM_SPAWNS,
                "{} spawns {} threads: loom allows {LOOM_SPAWNS} besides main",
                scenario.name,
                scenario.threads()
            );
        }
    }
}
