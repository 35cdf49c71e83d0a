//! P1 across the decision and the per-chunk lock: a stat, write, touch or rename of a chunk
//! file without its chunk store mutex, a remove decided on a stat under another acquisition
//! of the mutex, and a bucket put or delete without the per-chunk lock are caught at that
//! very step.

use super::fixture::*;
use harness::oracle::Property;
use store::{Backend, LockKind};

#[test]
fn stat_outside_the_mutex_is_caught() {
    let f = Fixture::new(Backend::Filesystem);
    let d = f.present(1);
    f.lock(T2, store_mutex(PA));
    let message = expect(
        Property::P1,
        f.violation_of(|| f.stat(PA, T1, d)),
        "a stat while another thread holds the mutex",
    );
    assert!(message.contains("statted"), "{message}");
}

/// A remove under the mutex, but not decided by a stat of that chunk under this very
/// acquisition: the chunk could have been re-used between the judgement and the remove.
#[test]
fn remove_not_decided_under_this_acquisition_is_caught() {
    type Decide = fn(&Fixture, store::Digest);
    let cases: [(&str, Decide); 2] = [
        ("stat, release, re-lock, remove", |f, d| {
            f.lock(T1, store_mutex(PA));
            f.stat(PA, T1, d);
            f.unlock(T1, store_mutex(PA));
            f.lock(T1, store_mutex(PA));
        }),
        ("decided on another chunk's stat", |f, _| {
            f.lock(T1, store_mutex(PA));
            f.stat(PA, T1, f.present(2));
        }),
    ];
    for (case, decide) in cases {
        let f = Fixture::new(Backend::Filesystem);
        let d = f.present(1);
        decide(&f, d);
        let message = expect(
            Property::P1,
            f.violation_of(|| f.remove_call(PA, T1, d)),
            case,
        );
        assert!(
            message.contains("not decided by a stat under this acquisition"),
            "{case}: {message}"
        );
    }
}

#[test]
fn stamp_without_the_mutex_is_caught() {
    type Step = fn(&Fixture, store::Digest);
    let steps: [(&str, Step); 2] = [
        ("touch", |f, d| f.stamp(PA, T1, d, false)),
        ("rename aside", |f, d| f.quarantine(PA, T1, d)),
    ];
    for (what, step) in steps {
        let f = Fixture::new(Backend::Filesystem);
        let d = f.present(1);
        f.lock(T2, store_mutex(PA));
        expect(Property::P1, f.violation_of(|| step(&f, d)), what);
    }
    // Holding the other process's mutex is no better.
    let f = Fixture::new(Backend::Filesystem);
    let d = f.present(1);
    f.lock(T1, store_mutex(PB));
    expect(
        Property::P1,
        f.violation_of(|| f.stamp(PA, T1, d, false)),
        "under the other process's mutex",
    );
}

#[test]
fn bucket_put_or_delete_without_the_chunk_lock_is_caught() {
    let f = Fixture::new(Backend::S3);
    let d = f.object(1);
    let message = expect(
        Property::ChunkLock,
        f.violation_of(|| f.put(T1, d)),
        "a put with no lock",
    );
    assert!(message.contains("without its per-chunk lock"), "{message}");
    let f = Fixture::new(Backend::S3);
    let d = f.object(1);
    f.try_lock(T2, LockKind::Chunk(d));
    expect(
        Property::ChunkLock,
        f.violation_of(|| {
            f.event(store::Event::ObjectsDeleting {
                process: PA,
                digests: &[d],
                thread: T1,
            })
        }),
        "a delete while another thread holds the lock",
    );
}

#[test]
fn guarded_steps_pass() {
    let f = Fixture::new(Backend::S3);
    expect_none(
        f.violation_of(|| {
            let d = f.object(1);
            f.lock(T1, LockKind::Chunk(d));
            f.put(T1, d);
            f.lock(T1, store_mutex(PA));
            f.stamp(PA, T1, d, false);
            f.unlock(T1, store_mutex(PA));
            f.unlock(T1, LockKind::Chunk(d));
            f.remove(PA, T1, f.present(2));
            f.delete_objects(PA, &[f.object(3)]);
        }),
        "put under the chunk lock, stamp under the mutex, sweep step, delete under locks",
    );
}
