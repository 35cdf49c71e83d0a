//! Prune (refused while a backup re-uses the snapshot) and verify (quarantine of corrupt
//! chunks, repaired by a later upload).

use crate::common::*;
use store::{Backend, StoreError, VerifyOutcome};

/// Prune is refused while a backup uses the snapshot as its previous snapshot (and while a
/// backup writes it); afterwards prune then GC removes exactly the chunks only that
/// snapshot referenced.
fn prune_refused_while_snapshot_is_reused_then_gc_frees_its_chunks(case: Case) {
    let env = Env::new(case);
    let p = env.process();
    let data: Vec<Vec<u8>> = (0..3).map(chunk_data).collect();
    let first = snap("vm/100", 1);
    let [shared, only_first] = backup(&p, &first.group, first.time, &data[..2])[..] else {
        panic!("two digests")
    };

    let mut w = p.start_backup("vm/100", 2).expect("second backup");
    assert!(
        w.known_chunks().contains(&shared) && w.known_chunks().contains(&only_first),
        "{case}: previous snapshot's chunks are known"
    );
    let err = p.prune(&first).expect_err("prune of the previous snapshot");
    assert!(
        matches!(kind(&err), StoreError::Locked(_)),
        "{case}: Locked expected, got {err:#}"
    );
    let err = p
        .prune(w.snapshot())
        .expect_err("prune of the snapshot being written");
    assert!(
        matches!(kind(&err), StoreError::Locked(_)),
        "{case}: Locked expected, got {err:#}"
    );
    assert!(env.snapshot_exists(&first), "{case}: refused prune kept it");

    let new = w.upload_chunk(&data[2]).expect("upload");
    publish_and_finish(w, &[shared, new]);

    p.prune(&first).expect("prune once the backup is done");
    assert!(!env.snapshot_exists(&first), "{case}: pruned");
    let err = p.prune(&first).expect_err("prune twice");
    assert!(
        matches!(kind(&err), StoreError::NotFound(_)),
        "{case}: NotFound expected, got {err:#}"
    );

    env.advance(GRACE + 1);
    let status = p.garbage_collect().expect("GC after prune");
    assert_eq!(
        status.removed_chunks, 1,
        "{case}: the chunk only the pruned snapshot used"
    );
    assert_eq!(
        status.in_use_chunks, 2,
        "{case}: the second snapshot's chunks"
    );
    env.assert_stored(&[shared, new], "after prune and GC");
    assert_eq!(
        env.read_index(&snap("vm/100", 2), INDEX),
        vec![shared, new],
        "{case}: the second snapshot's index is intact"
    );
}
per_case!(prune_refused_while_snapshot_is_reused_then_gc_frees_its_chunks);

/// A good chunk verifies Good; a corrupt one is renamed to `<digest>.0.bad` on the
/// filesystem, and emptied to a marker (keeping its atime) on S3, where the bucket object is
/// its home; it leaves the LRU; a later upload of the good copy restores it.
fn verify_quarantines_corrupt_chunk_and_reupload_restores_it(case: Case) {
    let env = Env::new(case);
    let p = env.process();
    let data: Vec<Vec<u8>> = (0..2).map(chunk_data).collect();
    let [good, bad] = backup(&p, "vm/100", 1, &data)[..] else {
        panic!("two digests")
    };
    assert_eq!(
        p.verify_chunk(&good).expect("verify"),
        VerifyOutcome::Good,
        "{case}: good chunk"
    );

    env.corrupt(&bad, b"bit rot");
    let atime = env.stat(&bad).map(|st| st.atime);
    let name = format!("{}.0.bad", bad.to_hex());
    let outcome = p.verify_chunk(&bad).expect("verify");
    match case.backend {
        Backend::Filesystem => {
            assert_eq!(
                outcome,
                VerifyOutcome::Quarantined(name.clone()),
                "{case}: corrupt chunk renamed aside"
            );
            assert!(env.stat(&bad).is_none(), "{case}: no chunk file left");
        }
        // The bucket object is still good: the emptied file keeps its GC mark.
        Backend::S3 => {
            assert_eq!(
                outcome,
                VerifyOutcome::Emptied,
                "{case}: cached copy emptied"
            );
            assert_eq!(
                env.stat(&bad).map(|st| (st.size, st.atime)),
                atime.map(|a| (0, a)),
                "{case}: a marker with the same atime replaces the corrupt cached copy"
            );
        }
    }
    match (case.kind, case.backend) {
        (_, Backend::S3) => {}
        (Kind::Model, _) => assert_eq!(
            env.model().chunks.quarantined(),
            vec![name.clone()],
            "{case}: quarantined file"
        ),
        (Kind::Disk, _) => {
            let path = env.root().join(".chunks").join(bad.prefix()).join(&name);
            assert_eq!(
                std::fs::read(&path).expect("the .bad file"),
                b"bit rot",
                "{case}: the .bad file keeps the corrupt bytes"
            );
        }
    }
    if let Some(cache) = p.cache() {
        assert!(
            !cache.contains(&bad),
            "{case}: verify evicted it from the LRU"
        );
    }
    assert!(
        !env.listing().junk.iter().any(|j| j.contains(".bad")),
        "{case}: a .bad file is not junk"
    );
    match case.backend {
        Backend::Filesystem => {
            let err = p.verify_chunk(&bad).expect_err("nothing left to verify");
            assert_eq!(
                kind(&err),
                StoreError::MissingChunk(bad),
                "{case}: MissingChunk"
            );
        }
        Backend::S3 => assert_eq!(
            p.verify_chunk(&bad).expect("verify"),
            VerifyOutcome::NotCached,
            "{case}: only the marker is local"
        ),
    }
    assert_eq!(
        p.verify_chunk(&good).expect("verify"),
        VerifyOutcome::Good,
        "{case}: the other chunk is untouched"
    );

    let mut w = p.start_backup("vm/100", 2).expect("repairing backup");
    w.upload(bad, &data[1]).expect("upload of the good copy");
    w.finish().expect("finish");
    match case.backend {
        Backend::Filesystem => assert_eq!(
            env.storage.chunks.read(&bad).expect("read"),
            Some(data[1].clone()),
            "{case}: the good copy is local again"
        ),
        // The good object never left the bucket; a read fetches it back into the cache.
        Backend::S3 => assert_eq!(
            p.cache().expect("S3 cache").access(&bad).expect("access"),
            data[1],
            "{case}: the good copy is readable again"
        ),
    }
    assert_eq!(
        p.verify_chunk(&bad).expect("verify"),
        VerifyOutcome::Good,
        "{case}: repaired"
    );
    env.advance(GRACE + 1);
    let status = p.garbage_collect().expect("GC");
    assert_eq!(status.removed_chunks, 0, "{case}: both referenced");
    assert_eq!(status.missing_chunks, 0, "{case}: nothing missing");
    env.assert_stored(&[good, bad], "after repair and GC");
}
per_case!(verify_quarantines_corrupt_chunk_and_reupload_restores_it);

/// Regression (found by these tests, S3): verify used to rename a corrupt local copy aside
/// leaving no local file, and the
/// bucket sweep treats an object without a local file as garbage whatever its age. So a
/// chunk an active writer uploaded moments ago, whose cached copy rotted, is deleted from
/// the bucket (its good copy) by a GC well inside the grace period, and the writer then
/// publishes an index referencing it.
fn s3_gc_keeps_active_writers_chunk_after_verify_quarantined_its_cached_copy(case: Case) {
    let env = Env::new(case);
    let p = env.process();
    let data = chunk_data(1);
    let mut w = p.start_backup("vm/100", 1).expect("writer");
    let d = w.upload_chunk(&data).expect("upload");
    env.corrupt(&d, b"bit rot in the cache");
    assert_eq!(
        p.verify_chunk(&d).expect("verify"),
        VerifyOutcome::Emptied,
        "{case}: the cached copy is emptied to a marker"
    );
    env.advance(1);
    let status = p.garbage_collect().expect("GC inside the grace period");
    publish_and_finish(w, &[d]);
    assert_eq!(
        status.removed_chunks, 0,
        "{case}: GC inside the grace period removed a chunk an active writer uploaded"
    );
    assert_eq!(
        env.content(&d),
        Some(data),
        "{case}: the published index references a chunk gone from the bucket"
    );
}
per_case!(s3_gc_keeps_active_writers_chunk_after_verify_quarantined_its_cached_copy: s3_model, s3_disk);
