//! S3 cache: every LRU entry has full local content when the LRU mutex is released, a local
//! chunk file implies its bucket object at every write of the file and when the per-chunk
//! lock is released, and a cache hit serves only a copy that hashes to its digest while a
//! good object exists.

use super::fixture::*;
use harness::oracle::Property;
use store::{Backend, Digest, Fact, LockKind};

#[test]
fn lru_entry_without_local_content_is_caught_at_lru_release() {
    let cases: [(&str, SetUp); 2] = [
        ("zero-length marker", |f| f.marker(1, 0)),
        ("no local file", |_| digest(1)),
    ];
    for (case, set_up) in cases {
        let f = Fixture::new(Backend::S3);
        let d = set_up(&f);
        f.object(1);
        let message = expect(
            Property::LruContent,
            f.violation_of(|| f.lru_insert(PA, T1, d)),
            case,
        );
        assert!(message.contains("the LRU of process 1"), "{message}");
    }
}

#[test]
fn lru_entries_with_content_or_evicted_pass() {
    let f = Fixture::new(Backend::S3);
    let (kept, evicted) = (f.present(1), f.present(2));
    f.lru_insert(PA, T1, kept);
    f.lru_insert(PA, T1, evicted);
    let outcome = f.violation_of(|| {
        // Eviction under the LRU mutex: entry dropped, file turned into a marker.
        f.lock(T1, LockKind::Lru(PA));
        f.event(Fact::LruRemoved {
            process: PA,
            digest: evicted,
            thread: T1,
        });
        f.marker(2, 0);
        f.unlock(T1, LockKind::Lru(PA));
    });
    expect_none(outcome, "an evicted entry's marker is not checked");
    // The LRU of another process is checked on its own mutex only.
    f.event(Fact::ProcessStarted { process: PB });
    f.event(Fact::LruInserted {
        process: PB,
        digest: digest(3),
        thread: T2,
    });
    expect_none(
        f.violation_of(|| {
            f.lock(T1, LockKind::Lru(PA));
            f.unlock(T1, LockKind::Lru(PA));
        }),
        "process A's LRU release does not check process B's LRU",
    );
}

#[test]
fn cache_file_without_bucket_object_is_caught_at_chunk_lock_release() {
    let cases: [(&str, SetUp); 2] = [
        ("cached content", |f| f.file(1, 0)),
        ("marker", |f| f.marker(1, 0)),
    ];
    for (case, set_up) in cases {
        let f = Fixture::new(Backend::S3);
        let d = digest(1);
        f.lock(T1, LockKind::Chunk(d));
        // Inside the per-chunk lock window the file may precede the object.
        set_up(&f);
        let message = expect(
            Property::CacheBucket,
            f.violation_of(|| f.unlock(T1, LockKind::Chunk(d))),
            case,
        );
        assert!(message.contains(&d.to_string()), "{message}");
    }
}

/// A local file written without its object is caught at the write itself, not only at a
/// per-chunk lock release: a marker written outside the per-chunk lock (GC phase 1, an
/// eviction) may never see one (item 7 of #18). The same write over an existing object
/// passes, and a touch is no write.
#[test]
fn cache_file_written_without_bucket_object_is_caught_at_the_write() {
    for (object, written, caught) in [
        (false, true, true),
        (true, true, false),
        (false, false, false),
    ] {
        let f = Fixture::new(Backend::S3);
        let d = f.marker(1, 0);
        if object {
            f.object(1);
        }
        f.lock(T1, store_mutex(PA));
        let violation = f.violation_of(|| f.stamp(PA, T1, d, written));
        let case = format!("object {object}, written {written}");
        match caught {
            true => {
                let message = expect(Property::CacheBucket, violation, &case);
                assert!(message.contains("wrote the local file of"), "{message}");
            }
            false => expect_none(violation, &case),
        }
    }
}

#[test]
fn cache_file_with_bucket_object_or_on_filesystem_passes() {
    for (backend, with_object) in [(Backend::S3, true), (Backend::Filesystem, false)] {
        let f = Fixture::new(backend);
        let d = f.file(1, 0);
        if with_object {
            f.object(1);
        }
        expect_none(
            f.violation_of(|| {
                f.lock(T1, LockKind::Chunk(d));
                f.unlock(T1, LockKind::Chunk(d));
            }),
            &format!("{backend:?}, object present: {with_object}"),
        );
    }
}

/// The real LRU, reported at its mutex's release, lists exactly what the LRU events built:
/// an entry inserted or dropped without its event is caught.
#[test]
fn lru_that_differs_from_its_events_is_caught() {
    let f = Fixture::new(Backend::S3);
    let (a, b) = (f.present(1), f.present(2));
    f.lru_insert(PA, T1, a);
    let cases: [(&str, Vec<store::Digest>, &str); 3] = [
        (
            "an unreported insert",
            vec![a, b],
            "lists 2 chunks, but its reported",
        ),
        (
            "an unreported removal",
            vec![],
            "lists 0 chunks, but its reported",
        ),
        ("an unreported swap", vec![b], "(other ones)"),
    ];
    for (case, real, says) in cases {
        let f2 = Fixture::new(Backend::S3);
        f2.present(1);
        f2.present(2);
        f2.lru_insert(PA, T1, a);
        let message = expect(
            Property::LruContent,
            f2.violation_of(|| {
                f2.lock(T1, LockKind::Lru(PA));
                f2.lru_release(PA, T1, &real)
            }),
            case,
        );
        assert!(message.contains(says), "{case}: {message}");
    }
    expect_none(
        f.violation_of(|| {
            f.lock(T1, LockKind::Lru(PA));
            f.lru_release(PA, T1, &[a])
        }),
        "the real LRU is what the events say",
    );
}

/// After another process evicts a chunk through the shared cache directory, this process's
/// LRU still lists it (the real one does too) but needs no content for it until it caches
/// the chunk again.
#[test]
fn lru_entries_another_process_invalidated_pass() {
    let f = Fixture::new(Backend::S3);
    let d = f.present(1);
    f.event(Fact::ProcessStarted { process: PB });
    f.lru_insert(PA, T1, d);
    f.lru_insert(PB, T2, d);
    expect_none(
        f.violation_of(|| {
            f.lock(T2, LockKind::Lru(PB));
            f.event(Fact::LruRemoved {
                process: PB,
                digest: d,
                thread: T2,
            });
            f.marker(1, 0);
            f.lru_release(PB, T2, &[]);
            f.lock(T1, LockKind::Lru(PA));
            f.lru_release(PA, T1, &[d]);
        }),
        "A's stale entry for a chunk B evicted",
    );
    // A writes the content again (the mark goes), then the file becomes a marker with no
    // other process's doing.
    f.file(1, 0);
    f.lock(T1, store_mutex(PA));
    f.stamp(PA, T1, d, true);
    f.unlock(T1, store_mutex(PA));
    f.marker(1, 0);
    expect(
        Property::LruContent,
        f.violation_of(|| f.lru_insert(PA, T1, d)),
        "A cached it again but the file is a marker",
    );
}

/// Another process (B) changing the file of a chunk A's LRU lists, under B's chunk store
/// mutex, then A releasing its LRU: no violation (A's entry is stale); `change` makes the
/// change and reports it.
fn another_process_change_passes(change: fn(&Fixture, Digest), case: &str) -> Fixture {
    let f = Fixture::new(Backend::S3);
    let d = f.present(1);
    f.event(Fact::ProcessStarted { process: PB });
    f.lru_insert(PA, T1, d);
    expect_none(
        f.violation_of(|| {
            f.lock(T2, store_mutex(PB));
            change(&f, d);
            f.unlock(T2, store_mutex(PB));
            f.marker(1, 0);
            f.lock(T1, LockKind::Lru(PA));
            f.lru_release(PA, T1, &[d]);
        }),
        case,
    );
    f
}

/// Verify in another process renames the chunk aside (leaving a marker) without any LRU
/// removal: this process's entry is stale, not a violation; a quarantine in this process
/// leaves no excuse.
#[test]
fn lru_entries_another_process_quarantined_pass() {
    another_process_change_passes(
        |f, d| f.quarantine(PB, T2, d),
        "A's entry for a chunk B's verify renamed aside",
    );
    let f = Fixture::new(Backend::S3);
    let d = f.present(1);
    f.lru_insert(PA, T1, d);
    f.lock(T1, store_mutex(PA));
    f.quarantine(PA, T1, d);
    f.unlock(T1, store_mutex(PA));
    f.marker(1, 0);
    f.lock(T1, LockKind::Lru(PA));
    expect(
        Property::LruContent,
        f.violation_of(|| f.lru_release(PA, T1, &[d])),
        "A renamed it aside itself but still lists it",
    );
}

/// Finding (generated phase): another process's eviction emptying a file to a marker makes
/// this process's entry stale when the file changes, whether this process lists the chunk
/// yet or not, until this process writes the content again.
#[test]
fn lru_entry_another_process_emptied_to_a_marker_passes_until_written_again() {
    let f = another_process_change_passes(
        |f, d| {
            f.marker(1, 0);
            f.stamp(PB, T2, d, true);
        },
        "A's entry for a chunk B's eviction emptied",
    );
    let d = digest(1);
    // A writes the content again: its entry needs it from now on.
    f.lock(T1, store_mutex(PA));
    f.file(1, 0);
    f.stamp(PA, T1, d, true);
    f.marker(1, 0);
    f.unlock(T1, store_mutex(PA));
    f.lock(T1, LockKind::Lru(PA));
    expect(
        Property::LruContent,
        f.violation_of(|| f.lru_release(PA, T1, &[d])),
        "A wrote the content again, then lists it without",
    );
}

/// Another process empties a file this process lists while holding its chunk store mutex,
/// and reports it only after the change: until it lets the mutex go, this process's entry
/// is exempt; after that, an unreported change is a violation.
#[test]
fn lru_entry_another_process_is_changing_passes_until_it_lets_go() {
    let f = Fixture::new(Backend::S3);
    let d = f.present(1);
    f.event(Fact::ProcessStarted { process: PB });
    f.lru_insert(PA, T1, d);
    f.lock(T2, store_mutex(PB));
    f.marker(1, 0);
    f.lock(T1, LockKind::Lru(PA));
    expect_none(
        f.violation_of(|| f.lru_release(PA, T1, &[d])),
        "B holds its mutex over the file change",
    );
    f.unlock(T2, store_mutex(PB));
    f.lock(T1, LockKind::Lru(PA));
    expect(
        Property::LruContent,
        f.violation_of(|| f.lru_release(PA, T1, &[d])),
        "B let go without reporting the change",
    );
}

#[test]
fn readable_rotten_copy_served_while_the_bucket_holds_the_object_is_caught() {
    let f = Fixture::new(Backend::S3);
    let d = f.object(1);
    let served = Fact::CacheHitServed {
        process: PA,
        digest: d,
        intact: false,
    };
    let message = expect(
        Property::Readable,
        f.violation_of(|| f.event(served)),
        "a rotten cached copy served although the object is good",
    );
    assert!(
        message.contains(&format!("{PA} served a rotten local copy of {d}")),
        "{message}"
    );
}

#[test]
fn readable_good_copy_or_no_object_to_fetch_passes() {
    let f = Fixture::new(Backend::S3);
    let (with_object, without) = (f.object(1), digest(2));
    for (digest, intact) in [(with_object, true), (without, false)] {
        let served = Fact::CacheHitServed {
            process: PA,
            digest,
            intact,
        };
        expect_none(
            f.violation_of(|| f.event(served)),
            &format!("intact {intact}"),
        );
    }
}
