//! The S3 backend's local LRU cache: eviction to markers, refetch on access, and what the
//! cache promises about the bucket.

use crate::common::*;
use std::fs;
use std::sync::mpsc;
use store::{StoreError, VerifyOutcome};

/// Capacity 2, three uploads: the first chunk's file becomes a zero-length marker keeping
/// its atime; `access` refetches it from the bucket with the right content and evicts the
/// next least recently used chunk.
fn lru_evicts_to_marker_and_access_refetches(case: Case) {
    let env = Env::with_config(case, case.config().with_cache_capacity(2));
    let p = env.process();
    let cache = p.cache().expect("S3 has a cache");
    let data: Vec<Vec<u8>> = (1..=3).map(chunk_data).collect();
    let mut w = p.start_backup("vm/100", 1).expect("writer");
    let mut digests = Vec::new();
    for d in &data {
        digests.push(w.upload_chunk(d).expect("upload"));
        env.advance(1);
    }
    let [d1, d2, d3] = digests[..] else {
        panic!("three digests")
    };

    let marker = env.stat(&d1).expect("the evicted chunk keeps a local file");
    assert_eq!(marker.size, 0, "{case}: evicted to a zero-length marker");
    assert_eq!(
        marker.atime, T0,
        "{case}: the marker keeps the chunk's atime"
    );
    if case.kind == Kind::Disk {
        let len = fs::metadata(env.chunk_path(&d1))
            .expect("marker file")
            .len();
        assert_eq!(len, 0, "{case}: the real file is empty");
    }
    for (d, data) in [(d2, &data[1]), (d3, &data[2])] {
        assert_eq!(
            env.stat(&d).map(|s| s.size),
            Some(data.len() as u64),
            "{case}: cached chunks keep their content"
        );
    }
    assert!(!cache.contains(&d1), "{case}: d1 left the LRU");
    assert!(
        cache.contains(&d2) && cache.contains(&d3),
        "{case}: d2, d3 cached"
    );
    assert_eq!(
        env.bucket_objects(),
        [d1, d2, d3].into_iter().collect(),
        "{case}: all three in the bucket"
    );
    assert_eq!(
        p.verify_chunk(&d1).expect("verify a marker"),
        VerifyOutcome::NotCached,
        "{case}: a marker has nothing to verify"
    );

    assert_eq!(
        cache.access(&d1).expect("refetch"),
        data[0],
        "{case}: refetched content"
    );
    assert_eq!(
        env.stat(&d1).map(|s| s.size),
        Some(data[0].len() as u64),
        "{case}: refetched chunk cached with content"
    );
    assert!(cache.contains(&d1), "{case}: d1 back in the LRU");
    assert!(!cache.contains(&d2), "{case}: d2 was least recently used");
    assert_eq!(
        env.stat(&d2).map(|s| s.size),
        Some(0),
        "{case}: d2 is a marker now"
    );
    assert_eq!(
        cache.access(&d3).expect("hit"),
        data[2],
        "{case}: hit content"
    );
    publish_and_finish(w, &[d1, d2, d3]);
    env.advance(GRACE + 1);
    let status = p.garbage_collect().expect("GC");
    assert_eq!(status.removed_chunks, 0, "{case}: markers count as marks");
    assert_eq!(status.removed_markers, 0, "{case}: no marker removed");
    env.assert_stored(&[d1, d2, d3], "after GC");
}
per_case!(lru_evicts_to_marker_and_access_refetches: s3_model, s3_disk);

/// A bucket object whose content does not match its digest is not cached by `access`.
fn access_rejects_corrupt_bucket_object(case: Case) {
    let env = Env::with_config(case, case.config().with_cache_capacity(1));
    let p = env.process();
    let cache = p.cache().expect("S3 has a cache");
    let d = upload_unreferenced(&p, "vm/100", &[chunk_data(1), chunk_data(2)])[0];
    fs::write(env.object_path(&d), b"rotten object").expect("corrupting the object");
    let err = cache
        .access(&d)
        .expect_err("corrupt object must be rejected");
    assert!(
        matches!(kind(&err), StoreError::DigestMismatch { expected, .. } if expected == d),
        "{case}: DigestMismatch expected, got {err:#}"
    );
    assert!(!cache.contains(&d), "{case}: nothing cached");
    assert_eq!(
        env.stat(&d).map(|s| s.size),
        Some(0),
        "{case}: marker unchanged"
    );
}
per_case!(access_rejects_corrupt_bucket_object: s3_disk);

/// Regression (found by these tests): `access` used to fetch from the bucket and cache-insert without the per-chunk lock. A GC
/// that runs between the fetch and the insert (here: entirely inside the bucket `get`, as
/// another thread could) deletes the object; `access` then caches it anyway, so the LRU
/// claims a chunk the bucket no longer has, and a later upload of that chunk is skipped
/// ("LRU has it"): the published index references an object that is gone.
fn access_racing_gc_leaves_no_cache_entry_for_deleted_object(case: Case) {
    let (env, spies) = Env::spied(case, case.config().with_cache_capacity(1));
    let p = env.process();
    let cache = p.cache().expect("S3 has a cache");
    let data = chunk_data(1);
    let d = upload_unreferenced(&p, "vm/100", &[data.clone(), chunk_data(2)])[0];
    assert!(
        !cache.contains(&d),
        "{case}: evicted, so access goes to the bucket"
    );
    env.advance(GRACE + 1);

    let (tx, rx) = mpsc::channel();
    let gc = p.clone();
    spies.bucket.after_get.arm(Some(d), move || {
        tx.send(gc.garbage_collect().map(|s| s.removed_chunks))
            .expect("send");
    });
    let got = cache.access(&d);
    let removed = rx
        .try_recv()
        .expect("GC ran during access")
        .expect("GC succeeded");
    assert!(removed >= 1, "{case}: GC swept something ({removed})");
    let got = got.expect("access read the object before it was deleted");
    assert_eq!(got, data, "{case}: content");
    let mut problems = Vec::new();
    if cache.contains(&d) && !env.bucket_objects().contains(&d) {
        problems.push(format!("the LRU holds {d:?} but the bucket deleted it"));
    }

    let mut w = p.start_backup("vm/200", 1).expect("writer");
    w.upload(d, &data).expect("upload");
    publish_and_finish(w, &[d]);
    if !env.bucket_objects().contains(&d) {
        problems.push(format!(
            "a published index references {d:?}, which is missing from the bucket"
        ));
    }
    assert!(problems.is_empty(), "{case}: {}", problems.join("; "));
}
per_case!(access_racing_gc_leaves_no_cache_entry_for_deleted_object: s3_model, s3_disk);

/// `access` of a chunk the bucket does not have fails with MissingChunk; cached chunks are
/// still served.
fn access_of_missing_chunk_is_missing_chunk(case: Case) {
    let env = Env::with_config(case, case.config().with_cache_capacity(1));
    let p = env.process();
    let cache = p.cache().expect("S3 has a cache");
    let data: Vec<Vec<u8>> = (1..=2).map(chunk_data).collect();
    let digests = backup(&p, "vm/100", 1, &data);
    let never = store::Digest::of(b"never uploaded");
    let err = cache.access(&never).expect_err("unknown chunk");
    assert_eq!(
        kind(&err),
        StoreError::MissingChunk(never),
        "{case}: MissingChunk"
    );
    assert!(
        format!("{err:#}").contains("is missing"),
        "{case}: clear message: {err:#}"
    );
    assert!(env.stat(&never).is_none(), "{case}: nothing cached");

    // The evicted chunk loses its object (outside the store).
    env.storage
        .bucket
        .delete_batch(&digests[..1])
        .expect("deleting an object");
    let err = cache.access(&digests[0]).expect_err("lost object");
    assert_eq!(
        kind(&err),
        StoreError::MissingChunk(digests[0]),
        "{case}: MissingChunk for a lost object"
    );
    assert_eq!(
        cache.access(&digests[1]).expect("cached chunk"),
        data[1],
        "{case}: cached chunk still served"
    );
    assert_eq!(
        env.read_index(&snap("vm/100", 1), INDEX),
        digests,
        "{case}: index intact"
    );
}
per_case!(access_of_missing_chunk_is_missing_chunk: s3_model, s3_disk);

/// Objects lost behind the store's back (deleted outside it) while an index references
/// them. GC puts back the one whose cached copy is intact, and reports the one that is only
/// a marker missing and drops its marker. The next backup that uploads that chunk puts its
/// object back, and reads work again.
fn gc_reports_lost_objects_and_an_upload_puts_them_back(case: Case) {
    let env = Env::with_config(case, case.config().with_cache_capacity(2));
    let p = env.process();
    let data: Vec<Vec<u8>> = (1..=3).map(chunk_data).collect();
    let digests = backup(&p, "vm/100", 1, &data);
    let [evicted, cached, _] = digests[..] else {
        panic!("three digests")
    };
    assert_eq!(
        env.stat(&evicted).map(|s| s.size),
        Some(0),
        "{case}: a marker"
    );
    env.storage
        .bucket
        .delete_batch(&[evicted, cached])
        .expect("deleting objects outside the store");

    let status = p.garbage_collect().expect("GC");
    assert_eq!(
        status.missing,
        [evicted].into_iter().collect(),
        "{case}: the lost marker-only chunk is reported missing"
    );
    assert_eq!(status.missing_chunks, 1, "{case}");
    assert_eq!(
        status.restored_objects, 1,
        "{case}: the cached one is put back"
    );
    assert!(env.bucket_objects().contains(&cached), "{case}: restored");
    assert!(
        env.stat(&evicted).is_none(),
        "{case}: the lost chunk's marker is dropped"
    );
    assert_eq!(
        kind(&p.read_chunk(&evicted).expect_err("still lost")),
        StoreError::MissingChunk(evicted),
        "{case}"
    );

    env.advance(1);
    let again = backup(&p, "vm/100", 2, &data[..1]);
    assert_eq!(again, [evicted], "{case}");
    assert!(
        env.bucket_objects().contains(&evicted),
        "{case}: the upload put the lost object back"
    );
    assert_eq!(p.read_chunk(&evicted).expect("readable again"), data[0]);
    let status = p.garbage_collect().expect("second GC");
    assert!(
        status.missing.is_empty(),
        "{case}: nothing missing any more"
    );
}
per_case!(gc_reports_lost_objects_and_an_upload_puts_them_back: s3_model, s3_disk);

/// A referenced chunk GC phase 1 found missing (its object lost, its marker dropped by an
/// earlier GC) is uploaded again between phase 1 and the bucket listing, and its local file
/// is gone (as when the upload's cache write fails): the object is back without one. Phase 2 must not take it
/// for unmarked garbage: phase 1 saw it referenced.
fn chunk_missing_in_phase1_and_put_back_before_the_listing_is_kept(case: Case) {
    let (env, spies) = Env::spied(case, case.config().with_cache_capacity(1));
    let p = env.process();
    let data: Vec<Vec<u8>> = (1..=2).map(chunk_data).collect();
    let digests = backup(&p, "vm/100", 1, &data);
    let x = digests[0];
    env.storage.bucket.delete_batch(&[x]).expect("losing X");
    let status = p.garbage_collect().expect("GC drops the lost marker");
    assert!(status.missing.contains(&x), "{case}");
    assert!(env.stat(&x).is_none(), "{case}");

    env.advance(1);
    let mut writer = p.start_backup("vm/200", 2).expect("a second backup");
    let chunks = env.storage.chunks.clone();
    let x_data = data[0].clone();
    spies.bucket.before_list.arm(None, move || {
        writer.upload(x, &x_data).expect("X uploads again");
        // As if the cache write after the put had failed.
        assert!(chunks.remove(&x).expect("dropping X's local file"));
        drop(writer);
    });
    let status = p.garbage_collect().expect("GC");
    assert!(
        status.missing.contains(&x),
        "{case}: phase 1 found it missing"
    );
    assert!(
        env.bucket_objects().contains(&x),
        "{case}: the object put back is kept ({status:?})"
    );
    assert_eq!(p.read_chunk(&x).expect("readable again"), data[0]);
}
per_case!(chunk_missing_in_phase1_and_put_back_before_the_listing_is_kept: s3_model, s3_disk);
