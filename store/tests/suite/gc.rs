//! Garbage collection: what it keeps, what it removes, the cutoff and the process lock.

use crate::common::*;
use store::{GcStatus, StoreError};

/// A backup, then GC after the cutoff: every referenced chunk stays, the old unreferenced
/// one goes (local file on the filesystem backend, bucket object and cache file on S3).
fn gc_keeps_referenced_and_removes_old_unreferenced(case: Case) {
    let env = Env::new(case);
    let p = env.process();
    let data: Vec<Vec<u8>> = (0..3).map(chunk_data).collect();
    let referenced = backup(&p, "vm/100", 10, &data[..2]);
    let garbage = upload_unreferenced(&p, "vm/200", &data[2..])[0];
    assert!(
        !env.snapshot_exists(&snap("vm/200", 1)),
        "{case}: an aborted backup leaves no snapshot"
    );
    env.assert_stored(&[referenced[0], referenced[1], garbage], "before GC");

    env.advance(GRACE + 1);
    let status = p.garbage_collect().expect("GC after the cutoff");
    let expected = GcStatus {
        min_atime: T0 + 1,
        index_files: 1,
        marked_chunks: 2,
        removed_chunks: 1,
        removed_bytes: data[2].len() as u64,
        in_use_chunks: 2,
        in_use_bytes: (data[0].len() + data[1].len()) as u64,
        ..GcStatus::default()
    };
    assert_eq!(status, expected, "{case}: GC status");
    env.assert_stored(&referenced, "after GC");
    assert_eq!(
        env.local_digests(),
        referenced.iter().copied().collect(),
        "{case}: local chunk files after GC"
    );
    for (d, data) in referenced.iter().zip(&data) {
        assert_eq!(
            env.content(d).as_deref(),
            Some(&data[..]),
            "{case}: content of a kept chunk"
        );
        assert_eq!(env.atime(d), env.now(), "{case}: phase 1 marks with now");
    }
    if let Some(cache) = p.cache() {
        assert!(
            !cache.contains(&garbage),
            "{case}: removed chunk left the LRU"
        );
        assert_eq!(
            cache.access(&referenced[0]).expect("reading a kept chunk"),
            data[0],
            "{case}: kept chunk reads back"
        );
    }

    let again = p.garbage_collect().expect("second GC");
    assert_eq!(again.removed_chunks, 0, "{case}: nothing more to remove");
    assert_eq!(
        again.in_use_chunks, 2,
        "{case}: referenced chunks still in use"
    );
    env.assert_stored(&referenced, "after a second GC");
}
per_case!(gc_keeps_referenced_and_removes_old_unreferenced);

/// A chunk exactly at the cutoff is kept; one second later it is garbage.
fn gc_cutoff_is_strict(case: Case) {
    let env = Env::new(case);
    let p = env.process();
    let garbage = upload_unreferenced(&p, "vm/100", &[chunk_data(1)])[0];
    env.advance(GRACE);
    let status = p.garbage_collect().expect("GC at the cutoff");
    assert_eq!(status.min_atime, T0, "{case}: cutoff");
    assert_eq!(status.removed_chunks, 0, "{case}: atime == cutoff is kept");
    assert_eq!(status.pending_chunks, 1, "{case}: ... as pending");
    env.assert_stored(&[garbage], "at the cutoff");
    env.advance(1);
    let status = p.garbage_collect().expect("GC past the cutoff");
    assert_eq!(
        status.removed_chunks, 1,
        "{case}: one second older is garbage"
    );
    env.assert_stored(&[], "past the cutoff");
    assert!(env.stat(&garbage).is_none(), "{case}: no local file left");
}
per_case!(gc_cutoff_is_strict);

/// Uploading (or re-using) a chunk that exists refreshes its atime. On S3 the chunk is
/// evicted first (cache capacity 1), so the upload takes the "touch the local marker" path.
fn reinsert_refreshes_atime(case: Case) {
    let env = Env::with_config(case, case.config().with_cache_capacity(1));
    let p = env.process();
    let data = chunk_data(1);
    let d = upload_unreferenced(&p, "vm/100", &[data.clone(), chunk_data(2)])[0];
    assert_eq!(env.atime(&d), T0, "{case}: written at T0");
    if let Some(cache) = p.cache() {
        assert!(!cache.contains(&d), "{case}: evicted by the second chunk");
        assert_eq!(env.stat(&d).map(|s| s.size), Some(0), "{case}: a marker");
    }

    env.advance(50);
    let mut w = p.start_backup("vm/200", 1).expect("second backup");
    w.upload(d, &data).expect("re-upload");
    assert_eq!(
        env.atime(&d),
        T0 + 50,
        "{case}: re-upload touched the chunk"
    );

    env.advance(20);
    assert!(w.reuse_chunk(d).expect("reuse"), "{case}: chunk is present");
    assert_eq!(env.atime(&d), T0 + 70, "{case}: reuse touched the chunk");
    assert!(
        !w.reuse_chunk(store::Digest::of(b"absent"))
            .expect("reuse absent"),
        "{case}: absent chunk is not re-usable"
    );
    publish_and_finish(w, &[d]);
    assert_eq!(
        env.content(&d).as_deref(),
        Some(&data[..]),
        "{case}: content intact"
    );
}
per_case!(reinsert_refreshes_atime);

/// Unreferenced chunks younger than the grace period, or older than the oldest writer but
/// within the cutoff, are pending: counted and kept.
fn pending_chunks_inside_grace_are_kept(case: Case) {
    let env = Env::new(case);
    let p = env.process();
    let data: Vec<Vec<u8>> = (0..4).map(chunk_data).collect();
    let referenced = backup(&p, "vm/100", 10, &data[..1]);
    let young = upload_unreferenced(&p, "vm/200", &data[1..2])[0];

    env.advance(GRACE / 2);
    let status = p.garbage_collect().expect("GC inside the grace period");
    assert_eq!(status.removed_chunks, 0, "{case}: nothing removed");
    assert_eq!(
        status.pending_chunks, 1,
        "{case}: the young chunk is pending"
    );
    assert_eq!(
        status.pending_bytes,
        data[1].len() as u64,
        "{case}: pending bytes"
    );
    assert_eq!(status.in_use_chunks, 1, "{case}: the referenced chunk");
    env.assert_stored(&[referenced[0], young], "inside the grace period");

    // A writer started now: a chunk older than its start is pending, its own is in use.
    let mut w = p.start_backup("vm/300", 1).expect("writer");
    env.advance(5);
    let own = w.upload_chunk(&data[2]).expect("upload");
    env.advance(5);
    let status = p.garbage_collect().expect("GC with an active writer");
    assert_eq!(
        status.min_atime,
        env.now() - GRACE,
        "{case}: the writer is younger than the grace period"
    );
    assert_eq!(status.removed_chunks, 0, "{case}: nothing removed");
    assert_eq!(
        status.pending_chunks, 1,
        "{case}: older than the writer start"
    );
    assert_eq!(
        status.in_use_chunks, 2,
        "{case}: referenced + the writer's own"
    );
    drop(w);
    env.assert_stored(&[referenced[0], young, own], "with a writer");
}
per_case!(pending_chunks_inside_grace_are_kept);

/// A writer that started long ago (longer than the grace period) bounds the cutoff: GC in
/// its process keeps what it uploaded, and still removes chunks older than its start.
fn old_writer_protects_its_chunks(case: Case) {
    let env = Env::new(case);
    let p = env.process();
    let ancient = upload_unreferenced(&p, "vm/999", &[chunk_data(9)])[0];
    env.set_atime(&ancient, T0 - 1000);

    let mut w = p.start_backup("vm/100", 1).expect("writer");
    assert_eq!(w.start_time(), T0, "{case}: writer start");
    let data = chunk_data(1);
    let mine = w.upload_chunk(&data).expect("upload");
    env.advance(3 * GRACE);
    let status = p.garbage_collect().expect("GC with an old writer");
    assert_eq!(
        status.min_atime,
        T0 - MARGIN,
        "{case}: cutoff is the old writer's start minus the margin"
    );
    assert_eq!(status.removed_chunks, 1, "{case}: only the ancient chunk");
    env.assert_stored(&[mine], "after GC with an old writer");

    publish_and_finish(w, &[mine]);
    assert_eq!(
        env.read_index(&snap("vm/100", 1), INDEX),
        vec![mine],
        "{case}: index intact"
    );
    env.advance(GRACE + 1);
    let status = p.garbage_collect().expect("GC after the writer");
    assert_eq!(status.removed_chunks, 0, "{case}: referenced now");
    assert_eq!(env.content(&mine), Some(data), "{case}: content intact");
}
per_case!(old_writer_protects_its_chunks);

/// The process lock: GC in process B is refused while process A has a writer, allowed in A
/// itself, and allowed in B once A's writer is done.
fn process_lock_refuses_gc_while_other_process_writes(case: Case) {
    let env = Env::new(case);
    let a = env.process();
    let b = env.process();
    let mut w = a.start_backup("vm/100", 1).expect("writer in A");
    let d = w.upload_chunk(&chunk_data(1)).expect("upload");
    env.advance(GRACE + 1);

    let err = b.garbage_collect().expect_err("GC in B must be refused");
    assert!(
        matches!(kind(&err), StoreError::Locked(_)),
        "{case}: Locked expected, got {err:#}"
    );
    assert!(
        format!("{err:#}").contains("writer of another process"),
        "{case}: message names the reason: {err:#}"
    );
    let status = a
        .garbage_collect()
        .expect("A's own writer does not block A's GC");
    assert_eq!(
        status.removed_chunks, 0,
        "{case}: the writer's chunk is kept"
    );

    publish_and_finish(w, &[d]);
    assert_eq!(a.active_writers(), 0, "{case}: writer released");
    env.advance(GRACE + 1);
    let status = b
        .garbage_collect()
        .expect("GC in B once A's writer is done");
    assert_eq!(status.removed_chunks, 0, "{case}: referenced chunk kept");
    assert_eq!(status.in_use_chunks, 1, "{case}: referenced chunk in use");
    env.assert_stored(&[d], "after B's GC");
}
per_case!(process_lock_refuses_gc_while_other_process_writes);

/// While a GC runs in process A, process B can neither start a writer nor a second GC,
/// and A's own writers are allowed.
fn running_gc_excludes_other_processes(case: Case) {
    use std::sync::mpsc;
    let (env, spies) = Env::spied(case, case.config());
    let spy = spies.indexes;
    let a = env.process();
    let b = env.process();
    backup(&a, "vm/100", 1, &[chunk_data(1)]);

    let (tx, rx) = mpsc::channel();
    let (a2, b2) = (a.clone(), b.clone());
    spy.after_read.arm(None, move || {
        let writer_b = b2.start_backup("vm/200", 1).map(drop);
        let gc_b = b2.garbage_collect().map(drop);
        let writer_a = a2.start_backup("vm/300", 1).map(drop);
        tx.send((writer_b, gc_b, writer_a)).expect("send");
    });
    a.garbage_collect().expect("GC in A");
    let (writer_b, gc_b, writer_a) = rx.try_recv().expect("the hook ran during A's GC");
    let err = writer_b.expect_err("B's writer must be refused during A's GC");
    assert!(
        matches!(kind(&err), StoreError::Locked(_)),
        "{case}: Locked expected, got {err:#}"
    );
    let err = gc_b.expect_err("a second GC must be refused");
    assert!(
        matches!(kind(&err), StoreError::Locked(_)),
        "{case}: Locked expected, got {err:#}"
    );
    writer_a.expect("A's own writer may start during A's GC");
    b.start_backup("vm/200", 1)
        .expect("B's writer after A's GC")
        .finish()
        .expect("finish");
}
per_case!(running_gc_excludes_other_processes);
