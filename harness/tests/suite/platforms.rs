//! The loom and shuttle platforms find (and only find) the bugs they should.
//!
//! Each scenario is a tiny program written once against `store::platform`, generic over the
//! platform, and run under both checkers (and, where it is correct, on real threads).

use harness::platform::{Loom, Shuttle};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use store::platform::{panic_message, spawn, Condvar, LockClass, Mutex, Platform};
use store::Std;

/// A scheduling point in the tests: the store needs none, so the platform has none.
trait Yield {
    fn yield_now();
}

impl Yield for Loom {
    fn yield_now() {
        loom::thread::yield_now()
    }
}

impl Yield for Shuttle {
    fn yield_now() {
        shuttle::thread::yield_now()
    }
}

impl Yield for Std {
    fn yield_now() {
        std::thread::yield_now()
    }
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

/// Two threads increment a counter by reading it under the lock and writing it back under
/// a second acquisition: an update can be lost.
fn lost_update_racy<P: Platform>() {
    let counter = Arc::new(Mutex::<P, u64>::new(LockClass::Driver, 0));
    let handles: Vec<_> = (0..2)
        .map(|i| {
            let counter = Arc::clone(&counter);
            spawn::<P, _, _>(format!("incr-{i}"), move || {
                let v = *counter.lock();
                *counter.lock() = v + 1;
            })
        })
        .collect();
    for handle in handles {
        handle.join();
    }
    assert_eq!(*counter.lock(), 2, "lost update");
}

/// Two threads increment a counter under a mutex: no update is lost.
fn lost_update_locked<P: Platform>() {
    let counter = Arc::new(Mutex::<P, u64>::new(LockClass::Driver, 0));
    let handles: Vec<_> = (0..2)
        .map(|i| {
            let counter = Arc::clone(&counter);
            spawn::<P, _, _>(format!("incr-{i}"), move || {
                let mut guard = counter.lock();
                *guard += 1;
            })
        })
        .collect();
    for handle in handles {
        handle.join();
    }
    assert_eq!(*counter.lock(), 2, "lost update");
}

/// One thread waits for a flag under a mutex and condvar, the other sets it and notifies.
fn condvar_handshake<P: Platform>() {
    let shared = Arc::new((
        Mutex::<P, bool>::new(LockClass::Driver, false),
        Condvar::<P>::new(LockClass::Driver),
    ));
    let waiter = {
        let shared = Arc::clone(&shared);
        spawn::<P, _, _>("waiter", move || {
            let (flag, cv) = &*shared;
            let mut guard = flag.lock();
            while !*guard {
                guard = cv.wait(guard);
            }
            *guard
        })
    };
    let setter = {
        let shared = Arc::clone(&shared);
        spawn::<P, _, _>("setter", move || {
            let (flag, cv) = &*shared;
            *flag.lock() = true;
            cv.notify_all();
        })
    };
    setter.join();
    assert!(waiter.join(), "waiter woke without the flag");
}

/// Two spawned threads and the main thread report distinct, stable ids.
fn distinct_thread_ids<P: Platform + Yield>() {
    let handles: Vec<_> = (0..2)
        .map(|i| {
            spawn::<P, _, _>(format!("id-{i}"), || {
                let first = P::thread_id();
                P::yield_now();
                assert_eq!(first, P::thread_id(), "thread id changed");
                first
            })
        })
        .collect();
    let main = P::thread_id();
    let ids: Vec<u64> = handles.into_iter().map(|h| h.join()).collect();
    assert_ne!(ids[0], ids[1], "spawned threads share an id");
    assert!(
        !ids.contains(&main),
        "a spawned thread has the main thread's id"
    );
}

/// Two threads take two mutexes in opposite orders: some schedule deadlocks.
fn lock_order_inversion<P: Platform>() {
    let locks = Arc::new((
        Mutex::<P, ()>::new(LockClass::Driver, ()),
        Mutex::<P, ()>::new(LockClass::Driver, ()),
    ));
    let ab = {
        let locks = Arc::clone(&locks);
        spawn::<P, _, _>("a-then-b", move || {
            let _a = locks.0.lock();
            let _b = locks.1.lock();
        })
    };
    let ba = {
        let locks = Arc::clone(&locks);
        spawn::<P, _, _>("b-then-a", move || {
            let _b = locks.1.lock();
            let _a = locks.0.lock();
        })
    };
    ab.join();
    ba.join();
}

// ---------------------------------------------------------------------------------------------
// Checkers
// ---------------------------------------------------------------------------------------------

/// Explores `f` exhaustively under loom with at most three preemptions.
fn loom_check(f: impl Fn() + Send + Sync + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(f);
}

/// Runs every shuttle strategy the harness uses on `f`.
fn shuttle_check(f: impl Fn() + Send + Sync + Clone + 'static) {
    shuttle::check_random(f.clone(), 1000);
    shuttle::check_pct(f, 1000, 3);
}

/// Asserts that `check` panics with a message containing `needle`; returns the message.
fn expect_failure(check: impl FnOnce(), needle: &str) -> String {
    let payload = match catch_unwind(AssertUnwindSafe(check)) {
        Ok(()) => panic!("the checker missed the bug (expected a panic with {needle:?})"),
        Err(payload) => payload,
    };
    let message = panic_message(&*payload);
    eprintln!("checker reported: {message}");
    assert!(
        message.contains(needle),
        "panic message {message:?} does not contain {needle:?}"
    );
    message
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn correct_programs_pass_on_real_threads() {
    for _ in 0..100 {
        lost_update_locked::<Std>();
        condvar_handshake::<Std>();
        distinct_thread_ids::<Std>();
    }
}

#[test]
fn loom_passes_locked_counter() {
    loom_check(lost_update_locked::<Loom>);
}

#[test]
fn loom_finds_lost_update() {
    expect_failure(|| loom_check(lost_update_racy::<Loom>), "lost update");
}

#[test]
fn loom_passes_condvar_handshake() {
    loom_check(condvar_handshake::<Loom>);
}

#[test]
fn loom_thread_ids_are_distinct() {
    loom_check(distinct_thread_ids::<Loom>);
}

/// The main thread is `0` and spawned threads are loom's small indices (not the hash fallback).
fn thread_ids_are_checker_indices<P: Platform>() {
    assert_eq!(P::thread_id(), 0, "the model's main thread is not 0");
    let handles: Vec<_> = (0..2)
        .map(|i| spawn::<P, _, _>(format!("id-{i}"), P::thread_id))
        .collect();
    for handle in handles {
        let id = handle.join();
        assert!((1..=2).contains(&id), "unexpected thread id {id}");
    }
}

#[test]
fn loom_thread_ids_are_indices() {
    loom_check(thread_ids_are_checker_indices::<Loom>);
}

#[test]
fn loom_finds_deadlock() {
    expect_failure(|| loom_check(lock_order_inversion::<Loom>), "deadlock");
}

#[test]
fn shuttle_passes_locked_counter() {
    shuttle_check(lost_update_locked::<Shuttle>);
}

#[test]
fn shuttle_random_finds_lost_update() {
    expect_failure(
        || shuttle::check_random(lost_update_racy::<Shuttle>, 1000),
        "lost update",
    );
}

#[test]
fn shuttle_pct_finds_lost_update() {
    expect_failure(
        || shuttle::check_pct(lost_update_racy::<Shuttle>, 1000, 3),
        "lost update",
    );
}

#[test]
fn shuttle_passes_condvar_handshake() {
    shuttle_check(condvar_handshake::<Shuttle>);
}

#[test]
fn shuttle_thread_ids_are_distinct() {
    shuttle_check(distinct_thread_ids::<Shuttle>);
}

#[test]
fn shuttle_thread_ids_are_indices() {
    shuttle_check(thread_ids_are_checker_indices::<Shuttle>);
}

#[test]
fn shuttle_random_finds_deadlock() {
    expect_failure(
        || shuttle::check_random(lock_order_inversion::<Shuttle>, 1000),
        "deadlock",
    );
}

#[test]
fn shuttle_pct_finds_deadlock() {
    expect_failure(
        || shuttle::check_pct(lock_order_inversion::<Shuttle>, 1000, 3),
        "deadlock",
    );
}
