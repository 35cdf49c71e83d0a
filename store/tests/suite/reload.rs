//! Service reload: the old process finishes its writers, refuses new work and aborts its
//! GC; the new process's GC waits for the old writers.

use crate::common::*;
use std::sync::{Arc, Mutex};
use store::{Process, Std, StoreError};

/// The old process's writer completes with its index intact; the new process's GC is
/// refused until then; the old process refuses new writers and GC.
fn old_writer_completes_and_new_gc_waits(case: Case) {
    let env = Env::new(case);
    let old = env.process();
    let earlier = backup(&old, "vm/100", 1, &[chunk_data(0)]);
    let mut w = old.start_backup("vm/200", 1).expect("old writer");
    let a = w
        .upload_chunk(&chunk_data(1))
        .expect("upload before reload");

    let new = old.reload();
    assert!(old.is_shutting_down(), "{case}: old process told to stop");
    assert!(!new.is_shutting_down(), "{case}: new process runs");
    assert_ne!(old.id(), new.id(), "{case}: a new process");

    env.advance(GRACE + 1);
    let err = new.garbage_collect().expect_err("new GC must wait");
    assert!(
        matches!(kind(&err), StoreError::Locked(_)),
        "{case}: Locked expected, got {err:#}"
    );
    let err = old
        .start_backup("vm/300", 1)
        .err()
        .expect("old process must refuse a new writer");
    assert_eq!(
        kind(&err),
        StoreError::ShuttingDown(old.id().0),
        "{case}: old writer refused"
    );
    let err = old.garbage_collect().expect_err("old GC must be refused");
    assert_eq!(
        kind(&err),
        StoreError::ShuttingDown(old.id().0),
        "{case}: old GC refused"
    );

    let b = w.upload_chunk(&chunk_data(2)).expect("upload after reload");
    publish_and_finish(w, &[a, b]);
    assert_eq!(
        env.read_index(&snap("vm/200", 1), INDEX),
        vec![a, b],
        "{case}: the old writer's index is intact"
    );

    env.advance(GRACE + 1);
    let status = new
        .garbage_collect()
        .expect("new GC once the old writer is done");
    assert_eq!(status.removed_chunks, 0, "{case}: everything is referenced");
    assert_eq!(status.in_use_chunks, 3, "{case}: three chunks in use");
    env.assert_stored(&[earlier[0], a, b], "after the new GC");

    let w = new
        .start_backup("vm/200", 2)
        .expect("new process takes writers");
    assert!(
        w.known_chunks().contains(&a) && w.known_chunks().contains(&b),
        "{case}: the old writer's snapshot is the next backup's previous snapshot"
    );
    w.finish().expect("finish");
}
per_case!(old_writer_completes_and_new_gc_waits);

/// A reload in the middle of the old process's GC (while it reads the first index) makes
/// it abort at its next check, before it sweeps anything; the exclusive lock is released so
/// the new process's GC runs and does the sweeping.
fn old_gc_aborts_at_next_check_after_reload(case: Case) {
    let (env, spies) = Env::spied(case, case.config());
    let spy = spies.indexes;
    let old = env.process();
    let a = backup(&old, "vm/100", 1, &[chunk_data(0)]);
    let b = backup(&old, "vm/200", 1, &[chunk_data(1)]);
    let garbage = upload_unreferenced(&old, "vm/300", &[chunk_data(2)]);
    env.advance(GRACE + 1);

    let new_slot: Arc<Mutex<Option<Arc<Process<Std>>>>> = Arc::default();
    let (reloader, put) = (old.clone(), new_slot.clone());
    spy.after_read.arm(None, move || {
        *put.lock().expect("slot") = Some(reloader.reload());
    });
    let err = old.garbage_collect().expect_err("old GC must abort");
    assert_eq!(
        kind(&err),
        StoreError::ShuttingDown(old.id().0),
        "{case}: aborted by the reload, got {err:#}"
    );
    let new = new_slot
        .lock()
        .expect("slot")
        .take()
        .expect("the reload happened during the old GC");
    env.assert_stored(&[a[0], b[0], garbage[0]], "after the aborted GC");

    let status = new
        .garbage_collect()
        .expect("the aborted GC released the lock");
    assert_eq!(status.removed_chunks, 1, "{case}: the new GC sweeps");
    env.assert_stored(&[a[0], b[0]], "after the new GC");
}
per_case!(old_gc_aborts_at_next_check_after_reload);

/// A writer of the new process and one of the old process run side by side; GC in either
/// is refused while the other has a writer.
fn writers_of_both_processes_block_each_others_gc(case: Case) {
    let env = Env::new(case);
    let old = env.process();
    let mut w_old = old.start_backup("vm/100", 1).expect("old writer");
    let new = old.reload();
    let mut w_new = new.start_backup("vm/200", 1).expect("new writer");
    let d_old = w_old.upload_chunk(&chunk_data(1)).expect("old upload");
    let d_new = w_new.upload_chunk(&chunk_data(2)).expect("new upload");
    let err = new.garbage_collect().expect_err("old writer blocks new GC");
    assert!(
        matches!(kind(&err), StoreError::Locked(_)),
        "{case}: Locked expected, got {err:#}"
    );
    assert!(
        new.start_backup("vm/100", 2).is_err(),
        "{case}: the group lock is shared across processes"
    );
    for (w, d) in [(&mut w_old, d_old), (&mut w_new, d_new)] {
        w.create_index(INDEX).expect("index");
        w.append(INDEX, d).expect("append");
        w.close_index(INDEX).expect("close");
    }
    w_old.finish().expect("old finish");
    drop(w_new); // abort: its snapshot goes, its chunk becomes garbage
    assert!(
        !env.snapshot_exists(&snap("vm/200", 1)),
        "{case}: aborted snapshot removed"
    );
    env.advance(GRACE + 1);
    let status = new.garbage_collect().expect("GC once both are done");
    assert_eq!(
        status.removed_chunks, 1,
        "{case}: the aborted writer's chunk"
    );
    env.assert_stored(&[d_old], "after GC");
}
per_case!(writers_of_both_processes_block_each_others_gc);
