//! The per-chunk lock of the kernel lock table blocks a second taker until the holder
//! releases it, then wakes it. Decided under loom (every interleaving within the bound) and
//! shuttle PCT, not by sleeping: the waiter checks, on every schedule, that the holder had
//! released the lock before it got it, and the checker reports a deadlock should the
//! release not wake it. A control run with a lock that does not block shows that the
//! check fails when it should.

use crate::common::*;
use harness::check::{Cause, Checker};
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

/// A digest in the same shard of the lock table as `Digest::of(b"x")`, but another digest:
/// the table must not make it wait for `x`'s holder.
fn neighbour_of_x() -> Digest {
    let x = Digest::of(b"x");
    let shards = store::locks::CHUNK_LOCK_SHARDS;
    (0u32..)
        .map(|i| Digest::of(&i.to_le_bytes()))
        .find(|d| *d != x && usize::from(d.0[0]) % shards == usize::from(x.0[0]) % shards)
        .expect("some digest shares x's shard")
}

/// The main thread holds `x` while a waiter blocks on `x` and another thread takes and
/// releases `other` with `take`; the main thread joins that thread *before* releasing
/// `x`, so if taking `other` had to wait for `x`, every thread would block (a deadlock the
/// checker reports). Then the release of `x` must wake its waiter (a lost wakeup is a
/// deadlock too). `other` shares `x`'s shard, so a shard-wide wait would show.
fn unrelated_digest_does_not_wait<P: Platform>(take_other: Take<P>) {
    let table = Arc::new(LockTable::<P>::new());
    let (x, other) = (Digest::of(b"x"), neighbour_of_x());
    table.lock_chunk(x, || {});
    let waiter = {
        let table = table.clone();
        spawn::<P, _, _>("waiter", move || {
            table.lock_chunk(x, || {});
            table.unlock_chunk(x, || {});
        })
    };
    let unrelated = {
        let table = table.clone();
        spawn::<P, _, _>("unrelated", move || {
            take_other(&table, other);
            table.unlock_chunk(other, || {});
        })
    };
    unrelated.join();
    table.unlock_chunk(x, || {});
    waiter.join();
    assert!(table.try_lock_chunk(x, |_| {}), "x is free at the end");
    assert!(
        table.try_lock_chunk(other, |_| {}),
        "other is free at the end"
    );
}

/// A broken stand-in for a table that serialises every digest: taking `other` waits for
/// `x`'s lock first.
fn waits_for_x<P: Platform>(table: &LockTable<P>, other: Digest) {
    table.lock_chunk(Digest::of(b"x"), || {});
    table.unlock_chunk(Digest::of(b"x"), || {});
    table.lock_chunk(other, || {});
}

#[test]
fn unrelated_digests_do_not_wait_under_loom_and_shuttle() {
    holds_on_every_schedule(Checker::Loom, "unrelated digest", || {
        unrelated_digest_does_not_wait::<Loom>(blocking)
    });
    holds_on_every_schedule(Checker::Pct, "unrelated digest", || {
        unrelated_digest_does_not_wait::<Shuttle>(blocking)
    });
}

#[test]
fn a_table_that_serialises_digests_is_caught() {
    for checker in [Checker::Loom, Checker::Pct] {
        let report = harness::check::run(checker, &budget(), move || match checker {
            Checker::Loom => unrelated_digest_does_not_wait::<Loom>(waits_for_x),
            _ => unrelated_digest_does_not_wait::<Shuttle>(waits_for_x),
        });
        let failure = report.failure.expect("a serialising table deadlocks");
        assert_eq!(failure.cause, Cause::Deadlock, "{}", failure.message);
    }
}
