//! Recovery at the event: a GC drops a chunk's local file as lost only under its per-chunk
//! lock and its chunk store mutex, and only when its object is really gone.

use super::fixture::*;
use harness::oracle::Property;
use store::{Backend, Digest, Fact, LockKind};

/// `T1` of process A drops `d`'s local file as lost, holding `d`'s per-chunk lock if
/// `chunk_lock` and A's chunk store mutex if `store_lock`.
fn forget(f: &Fixture, d: Digest, chunk_lock: bool, store_lock: bool) {
    if chunk_lock {
        f.try_lock(T1, LockKind::Chunk(d));
    }
    if store_lock {
        f.lock(T1, store_mutex(PA));
    }
    f.event(Fact::LostChunkForgotten {
        process: PA,
        digest: d,
        thread: T1,
    });
}

#[test]
fn dropping_the_marker_of_a_lost_object_under_both_locks_passes() {
    let f = Fixture::new(Backend::S3);
    let d = f.marker(1, 0);
    expect_none(
        f.violation_of(|| forget(&f, d, true, true)),
        "a marker without an object",
    );
}

#[test]
fn dropping_the_file_of_an_object_that_exists_is_caught() {
    let f = Fixture::new(Backend::S3);
    let d = f.present(1);
    let message = expect(
        Property::Recovery,
        f.violation_of(|| forget(&f, d, true, true)),
        "the object is in the bucket",
    );
    assert!(message.contains("its object is in the bucket"), "{message}");
}

#[test]
fn dropping_without_the_locks_is_caught() {
    let f = Fixture::new(Backend::S3);
    let d = f.marker(1, 0);
    expect(
        Property::ChunkLock,
        f.violation_of(|| forget(&f, d, false, true)),
        "without the per-chunk lock",
    );
    let f = Fixture::new(Backend::S3);
    let d = f.marker(1, 0);
    expect(
        Property::P1,
        f.violation_of(|| forget(&f, d, true, false)),
        "without the chunk store mutex",
    );
}
