//! Every scenario is deterministic for a given schedule, as replay needs (a failing schedule
//! is replayed by its scheduling decisions alone).
//!
//! shuttle's `check_uncontrolled_nondeterminism` runs each random schedule twice, the second
//! time replaying the first one's decisions, and panics when the set of runnable tasks, a
//! step or the length of the execution differs: something outside shuttle's control (hash
//! order, time, OS threads or I/O, state leaking between executions) steered the program.
//! A pass is evidence, not proof; the counter-test shows the check does catch such a
//! program.

use harness::world::Setup;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use store::platform::panic_message;
use store::LockGranularity;

/// Random schedules per scenario and lock granularity, each run twice.
const SCHEDULES: usize = 20;

#[test]
fn every_scenario_is_deterministic_under_shuttle() {
    for scenario in scenarios::all() {
        for lock in [LockGranularity::Single, LockGranularity::sharded()] {
            let entry = scenario.shuttle;
            let setup = Setup::clean().with_granularity(lock);
            let outcome = catch_unwind(|| {
                shuttle::check_uncontrolled_nondeterminism(move || entry(setup), SCHEDULES)
            });
            if let Err(payload) = outcome {
                panic!(
                    "{} with the {lock} lock is not deterministic under shuttle:\n{}",
                    scenario.name,
                    panic_message(&*payload)
                );
            }
        }
    }
}

/// A program that takes as many lock steps as the position of key 0 in a `HashMap`'s
/// iteration order: std seeds every map's hasher anew, so a replay of the same schedule
/// takes a different number of steps.
fn hash_ordered_program() {
    let map: HashMap<u32, ()> = (0..64).map(|k| (k, ())).collect();
    let steps = map
        .keys()
        .position(|&k| k == 0)
        .expect("key 0 is in the map");
    let lock = std::sync::Arc::new(shuttle::sync::Mutex::new(0));
    let other = lock.clone();
    let t = shuttle::thread::spawn(move || *other.lock().expect("not poisoned") += 1);
    for _ in 0..steps {
        *lock.lock().expect("not poisoned") += 1;
    }
    t.join().expect("joins");
}

#[test]
fn hash_ordered_program_is_reported() {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        shuttle::check_uncontrolled_nondeterminism(hash_ordered_program, SCHEDULES)
    }));
    let payload = outcome.expect_err("the check must reject hash-ordered control flow");
    let message = panic_message(&*payload);
    assert!(
        message.contains("possible nondeterminism"),
        "reported for the wrong reason: {message}"
    );
}
