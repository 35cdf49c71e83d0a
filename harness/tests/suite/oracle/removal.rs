//! P1–P4: `remove` needs its caller's chunk store mutex (P1), and no visible index (P2),
//! active writer of the same process (P3) or of another process (P4) may need the chunk.

use super::fixture::*;
use harness::oracle::Property;
use store::{Backend, ChunkUse, Fact, LockKind};

#[test]
fn p1_remove_without_own_chunk_store_mutex_is_caught() {
    /// A thread and a lock it holds.
    type HeldBy = (u64, LockKind);
    // (case, the lock held when thread 1 of process A calls remove, the holder named)
    let cases: [(&str, Option<HeldBy>, &str); 3] = [
        ("mutex held by nobody", None, "held by nobody"),
        (
            "mutex held by another thread",
            Some((T2, store_mutex(PA))),
            "held by thread 2",
        ),
        (
            "only the other process's mutex held",
            Some((T1, store_mutex(PB))),
            "held by nobody",
        ),
    ];
    for (case, held, holder) in cases {
        let f = Fixture::new(Backend::Filesystem);
        let d = f.present(1);
        if let Some((thread, lock)) = held {
            f.lock(thread, lock);
        }
        let message = expect(
            Property::P1,
            f.violation_of(|| f.remove_call(PA, T1, d)),
            case,
        );
        assert!(message.contains(holder), "{case}: {message}");
    }
}

#[test]
fn p1_remove_holding_own_chunk_store_mutex_passes() {
    let f = Fixture::new(Backend::Filesystem);
    let d = f.present(1);
    expect_none(
        f.violation_of(|| f.remove(PA, T1, d)),
        "remove under the caller's mutex",
    );
}

#[test]
fn p2_remove_of_chunk_referenced_by_visible_index_is_caught() {
    for backend in BACKENDS {
        let f = Fixture::new(backend);
        let (d, other) = (f.present(1), f.present(2));
        let snap = snapshot(1);
        f.backup(PA, 1, &snap, &[other, d]);
        let message = expect(
            Property::P2,
            f.violation_of(|| f.remove(PA, T1, d)),
            &format!("{backend:?}"),
        );
        assert!(message.contains("vm/100/1/disk"), "{message}");
    }
}

#[test]
fn p2_remove_after_the_snapshot_is_pruned_passes() {
    for backend in BACKENDS {
        let f = Fixture::new(backend);
        let d = f.present(1);
        let (old, kept) = (snapshot(1), snapshot(2));
        f.backup(PA, 1, &old, &[d]);
        f.backup(PA, 2, &kept, &[f.present(2)]);
        f.prune(&old);
        expect_none(
            f.violation_of(|| f.remove(PA, T1, d)),
            &format!("{backend:?}: remove of a chunk only a pruned snapshot referenced"),
        );
    }
}

#[test]
fn p3_remove_of_chunk_used_by_active_writer_of_same_process_is_caught() {
    for how in [ChunkUse::Registered, ChunkUse::Uploaded, ChunkUse::Reused] {
        let f = Fixture::new(Backend::Filesystem);
        let d = f.present(1);
        let writer = f.writer(PA, 1, &[]);
        f.uses(writer, d, how);
        let message = expect(
            Property::P3,
            f.violation_of(|| f.remove(PA, T1, d)),
            &format!("{how:?}"),
        );
        assert!(message.contains("writer-1"), "{message}");
    }
}

#[test]
fn p3_remove_after_the_writer_finished_passes() {
    let f = Fixture::new(Backend::Filesystem);
    let d = f.present(1);
    let writer = f.writer(PA, 1, &[d]);
    f.finish(writer);
    expect_none(
        f.violation_of(|| f.remove(PA, T1, d)),
        "remove after the writer finished without publishing",
    );
}

#[test]
fn p4_remove_of_chunk_used_by_writer_of_other_process_is_caught() {
    let f = Fixture::new(Backend::Filesystem);
    let d = f.present(1);
    f.event(Fact::Reload { old: PA, new: PB });
    f.writer(PA, 1, &[d]);
    let message = expect(
        Property::P4,
        f.violation_of(|| f.remove(PB, T2, d)),
        "new process removes what an old-process writer uploaded",
    );
    assert!(
        message.contains("writer-1 of process 1"),
        "P4 names the other process's writer: {message}"
    );
}

#[test]
fn remove_of_chunk_no_writer_or_index_needs_passes() {
    let f = Fixture::new(Backend::Filesystem);
    let (garbage, used) = (f.present(1), f.present(2));
    f.writer(PA, 1, &[used]);
    f.writer(PB, 2, &[used]);
    f.backup(PA, 3, &snapshot(1), &[used]);
    expect_none(
        f.violation_of(|| f.remove(PA, T1, garbage)),
        "remove of garbage while writers and indexes use other chunks",
    );
}
