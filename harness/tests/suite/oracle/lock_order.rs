//! Lock order (per-chunk lock → chunk store mutex → LRU mutex, checked at every blocking
//! acquire) and mutual exclusion (no lock held by two threads, checked even unordered).

use super::fixture::*;
use harness::oracle::Property;
use store::{Backend, LockKind};

/// Pairs (held, then taken) against the order per-chunk → chunk store → LRU.
fn inversions() -> [(LockKind, LockKind); 4] {
    let chunk = LockKind::Chunk(digest(1));
    [
        (LockKind::Lru(PA), store_mutex(PA)),
        (LockKind::Lru(PA), chunk),
        (store_mutex(PA), chunk),
        (LockKind::Chunk(digest(2)), chunk),
    ]
}

#[test]
fn lock_order_blocking_inversion_is_caught() {
    for (held, taken) in inversions() {
        let f = Fixture::new(Backend::S3);
        f.lock(T1, held);
        let message = expect(
            Property::LockOrder,
            f.violation_of(|| f.lock(T1, taken)),
            &format!("{held:?} then {taken:?}"),
        );
        assert!(message.contains("waited for"), "{message}");
    }
}

#[test]
fn lock_order_try_lock_or_unchecked_inversion_passes() {
    for (held, taken) in inversions() {
        let f = Fixture::new(Backend::S3);
        f.lock(T1, held);
        expect_none(
            f.violation_of(|| f.try_lock(T1, taken)),
            &format!("try-lock of {taken:?} holding {held:?}"),
        );
        let f = Fixture::with_lock_order(Backend::S3, false);
        f.lock(T1, held);
        expect_none(
            f.violation_of(|| f.lock(T1, taken)),
            &format!("unchecked: {held:?} then {taken:?}"),
        );
    }
}

#[test]
fn lock_order_chunk_then_store_then_lru_passes() {
    let f = Fixture::new(Backend::S3);
    expect_none(
        f.violation_of(|| {
            for thread in [T1, T2] {
                for process in [PA, PB] {
                    let order = [
                        LockKind::Chunk(digest(1)),
                        store_mutex(process),
                        LockKind::Lru(process),
                    ];
                    for lock in order {
                        f.lock(thread, lock);
                    }
                    for lock in order.into_iter().rev() {
                        f.unlock(thread, lock);
                    }
                }
            }
        }),
        "the documented order, by two threads in two processes",
    );
}

#[test]
fn lock_held_by_two_threads_is_caught_even_unchecked() {
    let locks = [
        LockKind::Chunk(digest(1)),
        store_mutex(PA),
        LockKind::Lru(PA),
    ];
    for check_lock_order in [true, false] {
        for lock in locks {
            let f = Fixture::with_lock_order(Backend::S3, check_lock_order);
            f.lock(T1, lock);
            let message = expect(
                Property::LockOrder,
                f.violation_of(|| f.try_lock(T2, lock)),
                &format!("{lock:?}, order checked: {check_lock_order}"),
            );
            assert!(
                message.contains("taken by thread 2 while thread 1 holds it"),
                "{message}"
            );
        }
    }
}
