//! The per-chunk lock of the kernel lock table blocks a second taker until the holder
//! releases it, then wakes it. Decided under loom (every interleaving within the bound) and
//! shuttle PCT, not by sleeping: the waiter checks, on every schedule, that the holder had
//! released the lock before it got it, and the checker reports a deadlock should the
//! release not wake it. A control run with a lock that does not block shows that the
//! check fails when it should.

use crate::common::*;
use harness::check::Checker;
use harness::platform::{Loom, Shuttle};
use std::sync::Arc;
use store::locks::LockTable;
use store::platform::{spawn, AtomicBool};
use store::{Digest, Platform};

/// What the waiter's failed check says.
const TOO_EARLY: &str = "the waiter got the chunk lock before the holder released it";

/// How the waiter takes the per-chunk lock.
type Take<P> = fn(&LockTable<P>, Digest);

/// The real, blocking [`LockTable::lock_chunk`].
fn blocking<P: Platform>(table: &LockTable<P>, digest: Digest) {
    table.lock_chunk(digest, || {});
}

/// A broken stand-in that never waits: it tries once and goes on either way.
fn not_blocking<P: Platform>(table: &LockTable<P>, digest: Digest) {
    let _ = table.try_lock_chunk(digest, |_| {});
}

/// The main thread holds the chunk lock while a waiter takes it with `take`; the holder
/// flags its release just before releasing, and the waiter checks the flag once it has
/// the lock. Afterwards the lock is free again.
fn waiter_waits_for_holder<P: Platform>(take: Take<P>) {
    let table = Arc::new(LockTable::<P>::new());
    let d = Digest::of(b"x");
    table.lock_chunk(d, || {});
    let busy = |taken: bool| assert!(!taken, "the report says a held chunk lock was taken");
    assert!(
        !table.try_lock_chunk(d, busy),
        "a held chunk lock is not free"
    );
    let released = Arc::new(AtomicBool::<P>::new(false));
    let waiter = {
        let (table, released) = (table.clone(), released.clone());
        spawn::<P, _, _>("waiter", move || {
            take(&table, d);
            assert!(released.load(), "{TOO_EARLY}");
            table.unlock_chunk(d, || {});
        })
    };
    released.store(true);
    table.unlock_chunk(d, || {});
    waiter.join();
    assert!(
        table.try_lock_chunk(d, |_| {}),
        "the chunk lock is free after both released"
    );
}

#[test]
fn chunk_lock_blocks_until_released_under_loom() {
    holds_on_every_schedule(Checker::Loom, "blocking chunk lock", || {
        waiter_waits_for_holder::<Loom>(blocking)
    });
}

#[test]
fn chunk_lock_blocks_until_released_under_shuttle() {
    holds_on_every_schedule(Checker::Pct, "blocking chunk lock", || {
        waiter_waits_for_holder::<Shuttle>(blocking)
    });
}

#[test]
fn a_lock_that_does_not_block_is_caught() {
    fails_on_some_schedule(Checker::Loom, "non-blocking lock", TOO_EARLY, || {
        waiter_waits_for_holder::<Loom>(not_blocking)
    });
    fails_on_some_schedule(Checker::Pct, "non-blocking lock", TOO_EARLY, || {
        waiter_waits_for_holder::<Shuttle>(not_blocking)
    });
}
