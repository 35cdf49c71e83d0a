//! The store's reports against the disk and against what the oracle saw: P2 reads the
//! indexes on disk; a publication or a prune the disk contradicts, a writer the oracle never
//! saw start, and an index listing a chunk its writer never reported using are violations.

use super::fixture::*;
use harness::oracle::Property;
use store::{Backend, ChunkUse, Fact, WriterId};

#[test]
fn p2_reads_an_index_on_disk_the_store_never_reported() {
    let f = Fixture::new(Backend::Filesystem);
    let d = f.file(1, 0);
    f.indexes
        .put_raw(&snapshot(10), "disk", store::index::encode(&[d]));
    let message = expect(
        Property::P2,
        f.violation_of(|| f.remove(PA, T1, d)),
        "an index on disk, never reported published",
    );
    assert!(message.contains("vm/100/10/disk"), "{message}");
}

#[test]
fn publication_missing_from_disk_is_caught() {
    let f = Fixture::new(Backend::Filesystem);
    let d = f.file(1, 0);
    let w = f.writer(PA, 1, &[d]);
    let message = expect(
        Property::P2,
        f.violation_of(|| f.report_published(w, &snapshot(10), &[d])),
        "reported published, not on disk",
    );
    assert!(message.contains("which is not on disk"), "{message}");
}

#[test]
fn publication_with_other_digests_than_on_disk_is_caught() {
    let f = Fixture::new(Backend::Filesystem);
    let (a, b) = (f.file(1, 0), f.file(2, 0));
    let w = f.writer(PA, 1, &[a, b]);
    f.indexes
        .put_raw(&snapshot(10), "disk", store::index::encode(&[a]));
    expect(
        Property::P2,
        f.violation_of(|| f.report_published(w, &snapshot(10), &[a, b])),
        "reported with two digests, one on disk",
    );
}

#[test]
fn prune_reported_while_the_snapshot_is_on_disk_is_caught() {
    let f = Fixture::new(Backend::Filesystem);
    let d = f.file(1, 0);
    f.backup(PA, 1, &snapshot(10), &[d]);
    let message = expect(
        Property::P2,
        f.violation_of(|| {
            f.event(store::Event::SnapshotPruned {
                snapshot: &snapshot(10),
            })
        }),
        "pruned in the report only",
    );
    assert!(message.contains("still on disk"), "{message}");
}

#[test]
fn chunk_used_by_an_unknown_writer_is_caught() {
    let f = Fixture::new(Backend::Filesystem);
    let message = expect(
        Property::P3,
        f.violation_of(|| {
            f.event(Fact::ChunkUsed {
                process: PA,
                writer: WriterId(7),
                digest: digest(1),
                how: ChunkUse::Uploaded,
            })
        }),
        "a writer that never started",
    );
    assert!(message.contains("never saw it start"), "{message}");
}

#[test]
fn publication_by_a_finished_writer_is_caught() {
    let f = Fixture::new(Backend::Filesystem);
    let d = f.file(1, 0);
    let w = f.writer(PA, 1, &[d]);
    f.finish(w);
    expect(
        Property::P3,
        f.violation_of(|| f.publish(w, &snapshot(10), &[d])),
        "published after it finished",
    );
}

#[test]
fn publication_of_an_unreported_chunk_is_caught() {
    let f = Fixture::new(Backend::Filesystem);
    let (a, b) = (f.file(1, 0), f.file(2, 0));
    let w = f.writer(PA, 1, &[a]);
    let message = expect(
        Property::P3,
        f.violation_of(|| f.publish(w, &snapshot(10), &[a, b])),
        "the index lists a chunk the writer never reported",
    );
    assert!(message.contains("never reported using"), "{message}");
}

#[test]
fn faithful_reports_pass() {
    for backend in BACKENDS {
        let f = Fixture::new(backend);
        expect_none(
            f.violation_of(|| {
                let (a, b) = (f.present(1), f.present(2));
                let w = f.writer(PA, 1, &[a]);
                f.uses(w, b, ChunkUse::Registered);
                f.publish(w, &snapshot(10), &[a, b, a]);
                f.finish(w);
                f.prune(&snapshot(10));
            }),
            &format!("{backend:?}: publish what was used, prune what is gone"),
        );
    }
}

/// An uploaded or re-used chunk an index lists must carry an atime no older than its
/// writer's start (the touch that protects it from a GC starting now); a registered one
/// (listed in the previous snapshot, protected by it) needs none.
#[test]
fn publication_of_a_used_chunk_left_untouched_is_caught() {
    for how in [ChunkUse::Uploaded, ChunkUse::Reused] {
        let f = Fixture::new(Backend::Filesystem);
        let d = f.file(1, 10);
        let w = f.writer_at(PA, 1, 50, &[]);
        f.uses(w, d, how);
        let message = expect(
            Property::P3,
            f.violation_of(|| f.publish(w, &snapshot(60), &[d])),
            &format!("{how:?} at atime 10 by a writer that started at 50"),
        );
        assert!(message.contains("before its start 50"), "{message}");
    }
}

#[test]
fn publication_of_touched_or_registered_chunks_passes() {
    let f = Fixture::new(Backend::Filesystem);
    let (touched, registered) = (f.file(1, 50), f.file(2, 10));
    expect_none(
        f.violation_of(|| {
            let w = f.writer_at(PA, 1, 50, &[touched]);
            f.uses(w, registered, ChunkUse::Registered);
            f.publish(w, &snapshot(60), &[touched, registered]);
        }),
        "touched at the start, registered from the previous snapshot",
    );
}
