//! Atime order: a write or touch never leaves a chunk's atime older than a stamp reported
//! for it before; stamps of two processes reported in the other order than they landed pass.

use super::fixture::*;
use harness::oracle::Property;
use store::Backend;

#[test]
fn a_stamp_that_leaves_the_file_older_is_caught() {
    const T3: u64 = 3;
    for backend in BACKENDS {
        let f = Fixture::new(backend);
        let d = f.file(1, 100);
        // Process B touches the chunk at 105.
        f.lock(T2, store_mutex(PB));
        f.file(1, 105);
        f.stamp(PB, T2, d, false);
        f.unlock(T2, store_mutex(PB));
        // Process A's touch, with a clock read before B's, lands after it at 101.
        f.lock(T1, store_mutex(PA));
        f.file(1, 101);
        let message = expect(
            Property::AtimeOrder,
            f.violation_of(|| f.stamp(PA, T1, d, false)),
            "a stale stamp moved the mark back",
        );
        assert!(message.contains("older than the stamp 105"), "{message}");
        // A removal forgets the stamps: a new file may start older than the old one's mark.
        let g = Fixture::new(backend);
        let d = g.file(1, 105);
        // (S3: the object backs the file written again below.)
        g.object(1);
        g.lock(T1, store_mutex(PA));
        g.stamp(PA, T1, d, false);
        g.unlock(T1, store_mutex(PA));
        g.remove(PA, T1, d);
        g.lock(T3, store_mutex(PA));
        g.file(1, 90);
        expect_none(
            g.violation_of(|| g.stamp(PA, T3, d, true)),
            "a file written after a removal",
        );
    }
}

#[test]
fn stamps_reported_out_of_landing_order_pass() {
    let f = Fixture::new(Backend::Filesystem);
    let d = f.file(1, 100);
    // A's touch lands at 101, B's at 105; B reports first, then A: the file keeps 105.
    f.file(1, 105);
    f.lock(T2, store_mutex(PB));
    f.stamp(PB, T2, d, false);
    f.unlock(T2, store_mutex(PB));
    f.lock(T1, store_mutex(PA));
    expect_none(
        f.violation_of(|| f.stamp(PA, T1, d, false)),
        "the file holds the newer stamp",
    );
}
