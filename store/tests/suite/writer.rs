//! The backup writer session: publishing, known chunks, abort on drop.

use crate::common::*;

/// Several indexes, duplicate references, and known chunks of the previous snapshot
/// appended without upload: every index reads back exactly, GC keeps every chunk.
fn indexes_publish_exactly_what_was_appended(case: Case) {
    let env = Env::new(case);
    let p = env.process();
    let first = backup(&p, "vm/100", 1, &[chunk_data(0), chunk_data(1)]);

    let mut w = p.start_backup("vm/100", 2).expect("second backup");
    assert_eq!(
        w.known_chunks(),
        &first.iter().copied().collect(),
        "{case}: the previous snapshot's chunks are known"
    );
    assert_eq!(w.snapshot(), &snap("vm/100", 2), "{case}: snapshot id");
    let new = w.upload_chunk(&chunk_data(2)).expect("upload");
    w.create_index("a.img").expect("index a");
    w.create_index("b.pxar").expect("index b");
    for d in [first[0], new, first[0]] {
        w.append("a.img", d).expect("append a");
    }
    w.append("b.pxar", first[1]).expect("append b");
    w.close_index("b.pxar").expect("close b");
    let second = snap("vm/100", 2);
    assert_eq!(
        env.storage.indexes.indexes(&second).expect("list"),
        Some(vec!["b.pxar".to_string()]),
        "{case}: only the closed index is visible"
    );
    w.close_index("a.img").expect("close a");
    w.finish().expect("finish");
    assert_eq!(
        env.read_index(&second, "a.img"),
        vec![first[0], new, first[0]],
        "{case}: index a with its duplicate"
    );
    assert_eq!(
        env.read_index(&second, "b.pxar"),
        vec![first[1]],
        "{case}: index b"
    );

    env.advance(GRACE + 1);
    let status = p.garbage_collect().expect("GC");
    assert_eq!(status.index_files, 3, "{case}: three indexes read");
    assert_eq!(status.marked_chunks, 6, "{case}: every reference marked");
    assert_eq!(status.removed_chunks, 0, "{case}: nothing removed");
    env.assert_stored(&[first[0], first[1], new], "after GC");
}
per_case!(indexes_publish_exactly_what_was_appended);

/// Dropping a session without finish aborts it: its snapshot (published and open indexes)
/// is deleted, its locks released; its chunks become garbage for a later GC.
fn drop_aborts_the_session(case: Case) {
    let env = Env::new(case);
    let p = env.process();
    let mut w = p.start_backup("vm/100", 1).expect("writer");
    let a = w.upload_chunk(&chunk_data(1)).expect("upload");
    w.create_index("done").expect("index");
    w.append("done", a).expect("append");
    w.close_index("done").expect("close");
    w.create_index("open").expect("index");
    w.append("open", a).expect("append");
    assert_eq!(p.active_writers(), 1, "{case}: one writer");
    assert_eq!(p.oldest_writer(), Some(T0), "{case}: its start time");
    drop(w);
    assert_eq!(p.active_writers(), 0, "{case}: released");
    assert_eq!(p.oldest_writer(), None, "{case}: no writer left");
    assert!(
        !env.snapshot_exists(&snap("vm/100", 1)),
        "{case}: aborted snapshot deleted"
    );
    p.start_backup("vm/100", 1)
        .expect("group and time free again")
        .finish()
        .expect("finish");
    let other = env.process();
    env.advance(GRACE + 1);
    let status = other.garbage_collect().expect("no leaked shared lock");
    assert_eq!(
        status.removed_chunks, 1,
        "{case}: the aborted session's chunk"
    );
    env.assert_stored(&[], "after GC");
}
per_case!(drop_aborts_the_session);
