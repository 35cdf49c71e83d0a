//! Harm: no index is published over a chunk that is gone, and no bucket object a visible
//! index or an active writer needs is deleted.

use super::fixture::*;
use harness::oracle::Property;
use store::storage::{Bucket, ChunkDir};
use store::{Backend, Digest};

#[test]
fn harm_index_published_over_a_missing_chunk_is_caught() {
    // (case, backend, how chunk 1 is left)
    let cases: [(&str, Backend, SetUp); 4] = [
        ("FS, no file", Backend::Filesystem, |_| digest(1)),
        ("FS, zero-length file", Backend::Filesystem, |f| {
            f.marker(1, 0)
        }),
        ("S3, local content but no object", Backend::S3, |f| {
            f.file(1, 0)
        }),
        ("S3, marker but no object", Backend::S3, |f| f.marker(1, 0)),
    ];
    for (case, backend, set_up) in cases {
        let f = Fixture::new(backend);
        let d = set_up(&f);
        let fine = f.present(2);
        let writer = f.writer(PA, 1, &[fine, d]);
        let message = expect(
            Property::Harm,
            f.violation_of(|| f.publish(writer, &snapshot(1), &[fine, d])),
            case,
        );
        assert!(
            message.contains(&format!("referencing {d}, which is gone")),
            "{case}: names the missing chunk: {message}"
        );
    }
}

/// Bit rot, not the store, lost a chunk verify renamed aside as corrupt: an index a writer
/// publishes over it (re-used without re-reading) is no harm, until the chunk is written
/// again, after which its loss is the store's doing once more.
#[test]
fn harm_chunk_lost_to_bit_rot_is_exempt_until_written_again() {
    // A chunk a writer uses rots; verify renames it aside; `then` runs before the publication.
    let publish_after_rot = |then: &dyn Fn(&Fixture, Digest)| {
        let f = Fixture::new(Backend::Filesystem);
        let d = f.file(1, 0);
        let writer = f.writer(PA, 1, &[d]);
        f.chunks.corrupt(&d, b"rot".to_vec());
        f.lock(T1, store_mutex(PA));
        f.quarantine(PA, T1, d);
        f.chunks.quarantine(&d).expect("model quarantine");
        then(&f, d);
        f.unlock(T1, store_mutex(PA));
        f.violation_of(|| f.publish(writer, &snapshot(1), &[d]))
    };
    expect_none(
        publish_after_rot(&|_, _| {}),
        "published over a chunk lost to bit rot",
    );
    let rewritten_then_lost = publish_after_rot(&|f, d| {
        f.file(1, 0);
        f.stamp(PA, T1, d, true);
        f.chunks.remove(&d).expect("model remove");
    });
    expect(
        Property::Harm,
        rewritten_then_lost,
        "written again after the quarantine, then lost",
    );
}

#[test]
fn harm_index_published_over_existing_chunks_passes() {
    let cases: [(&str, Backend, SetUp); 3] = [
        ("FS, local content", Backend::Filesystem, |f| f.file(1, 0)),
        ("S3, object without local file", Backend::S3, |f| {
            f.object(1)
        }),
        ("S3, object with a marker", Backend::S3, |f| {
            f.marker(1, 0);
            f.object(1)
        }),
    ];
    for (case, backend, set_up) in cases {
        let f = Fixture::new(backend);
        let d = set_up(&f);
        let writer = f.writer(PA, 1, &[d]);
        expect_none(
            f.violation_of(|| f.publish(writer, &snapshot(1), &[d])),
            case,
        );
    }
}

#[test]
fn empty_chunk_is_full_content_not_a_marker() {
    let empty = Digest::of(&[]);
    let f = Fixture::new(Backend::Filesystem);
    f.chunks.write(&empty, &[], 0).expect("model write");
    expect_none(
        f.violation_of(|| f.backup(PA, 1, &snapshot(1), &[empty])),
        "FS: the empty chunk exists",
    );

    let f = Fixture::new(Backend::S3);
    f.bucket.put_if_absent(&empty, &[]).expect("model put");
    f.chunks.write(&empty, &[], 0).expect("model write");
    expect_none(
        f.violation_of(|| f.lru_insert(PA, T1, empty)),
        "S3: the cached empty chunk has its full content",
    );
}

#[test]
fn harm_object_deleted_while_visible_index_references_it_is_caught() {
    let f = Fixture::new(Backend::S3);
    let d = f.present(1);
    f.backup(PA, 1, &snapshot(1), &[d]);
    let message = expect(
        Property::Harm,
        f.violation_of(|| f.delete_objects(PA, &[f.present(2), d])),
        "delete of an object a visible index references",
    );
    assert!(message.contains("vm/100/1/disk"), "{message}");
}

#[test]
fn harm_object_deleted_while_active_writer_uses_it_is_caught() {
    for writer_process in [PA, PB] {
        let f = Fixture::new(Backend::S3);
        let d = f.present(1);
        f.writer(writer_process, 7, &[d]);
        let message = expect(
            Property::Harm,
            f.violation_of(|| f.delete_objects(PA, &[d])),
            &format!("writer in {writer_process}"),
        );
        assert!(message.contains("writer-7"), "{message}");
    }
}

#[test]
fn objects_deleted_that_nothing_needs_pass() {
    let f = Fixture::new(Backend::S3);
    let (garbage, pruned, used) = (f.present(1), f.present(2), f.present(3));
    let old = snapshot(1);
    f.backup(PA, 1, &old, &[pruned]);
    f.prune(&old);
    let writer = f.writer(PA, 2, &[garbage, used]);
    f.finish(writer);
    f.writer(PA, 3, &[used]);
    expect_none(
        f.violation_of(|| f.delete_objects(PA, &[garbage, pruned])),
        "delete of objects no visible index or active writer needs",
    );
}

/// A referenced chunk written over with a marker (filesystem) or written while its object
/// is gone (S3) is harm at that write; a write of an unreferenced chunk, or of a marker on
/// S3 while the object exists, is fine.
#[test]
fn harm_write_over_a_needed_chunk_is_caught() {
    for backend in BACKENDS {
        let f = Fixture::new(backend);
        let d = f.present(1);
        f.writer(PA, 1, &[d]);
        // The damage: the local file becomes a zero-length marker, and on S3 the object goes.
        f.chunks.write(&d, &[], 7).expect("model write");
        f.bucket.delete_batch(&[d]).expect("model delete");
        f.lock(T1, store_mutex(PA));
        let message = expect(
            Property::Harm,
            f.violation_of(|| f.stamp(PA, T1, d, true)),
            &format!("{backend:?}"),
        );
        assert!(message.contains("written over"), "{message}");
    }
}

#[test]
fn harm_writes_that_keep_needed_chunks_pass() {
    for backend in BACKENDS {
        let f = Fixture::new(backend);
        let (needed, free) = (f.present(1), f.present(2));
        f.writer(PA, 1, &[needed]);
        if backend == Backend::S3 {
            f.chunks
                .write(&needed, &[], 7)
                .expect("model write: an eviction marker");
        }
        f.chunks.write(&free, &[], 7).expect("model write");
        f.lock(T1, store_mutex(PA));
        expect_none(
            f.violation_of(|| {
                f.stamp(PA, T1, needed, true);
                f.stamp(PA, T1, free, true);
            }),
            &format!("{backend:?}: content (or a marker over an object) and an unneeded chunk"),
        );
    }
}

/// Verify renaming a good copy of a referenced chunk aside loses it; renaming a corrupt one
/// aside is what verify is for.
#[test]
fn harm_quarantine_of_a_good_needed_chunk_is_caught() {
    let f = Fixture::new(Backend::Filesystem);
    let good = f.present(1);
    f.backup(PA, 1, &snapshot(10), &[good]);
    f.lock(T1, store_mutex(PA));
    let message = expect(
        Property::Harm,
        f.violation_of(|| f.quarantine(PA, T1, good)),
        "a good copy renamed aside",
    );
    assert!(message.contains("its content is good"), "{message}");
    let f = Fixture::new(Backend::Filesystem);
    let bad = f.present(2);
    f.backup(PA, 1, &snapshot(10), &[bad]);
    f.chunks
        .write(&bad, b"rot", 7)
        .expect("model write: corruption");
    f.lock(T1, store_mutex(PA));
    expect_none(
        f.violation_of(|| f.quarantine(PA, T1, bad)),
        "a corrupt copy renamed aside",
    );
}
