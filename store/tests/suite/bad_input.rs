//! Bad input: each case fails with a clear error and leaves the store intact (other chunks
//! and indexes stay, and a later GC still keeps every referenced chunk).

use crate::common::*;
use std::sync::Arc;
use store::{Digest, Process, Std, StoreError};

/// A store with one complete backup (`vm/100` at 1, index [`INDEX`]) of two chunks.
fn with_backup(case: Case) -> (Env, Arc<Process<Std>>, Vec<Digest>) {
    let env = Env::new(case);
    let p = env.process();
    let digests = backup(&p, "vm/100", 1, &[chunk_data(0), chunk_data(1)]);
    (env, p, digests)
}

/// The backup of [`with_backup`] is intact: its index reads back and, after the cutoff, GC
/// keeps its chunks (plus `also_kept`) and removes nothing else referenced.
fn assert_intact(env: &Env, p: &Process<Std>, referenced: &[Digest], what: &str) {
    let case = env.case;
    assert_eq!(
        env.read_index(&snap("vm/100", 1), INDEX),
        referenced[..2].to_vec(),
        "{case}: index intact ({what})"
    );
    env.advance(GRACE + 1);
    let status = p.garbage_collect().expect("GC on an intact store");
    assert_eq!(status.missing_chunks, 0, "{case}: nothing missing ({what})");
    let stored = env.stored();
    for d in referenced {
        assert!(
            stored.contains(d),
            "{case}: referenced {d:?} kept by GC ({what})"
        );
        assert!(env.content(d).is_some(), "{case}: {d:?} readable ({what})");
    }
}

/// Chunk data whose digest prefix is not used by `taken` (so a blocker file can sit on it).
fn data_with_fresh_prefix(taken: &[Digest]) -> Vec<u8> {
    (100..)
        .map(chunk_data)
        .find(|d| {
            let prefix = Digest::of(d).prefix();
            taken.iter().all(|t| t.prefix() != prefix)
        })
        .expect("some data has a fresh prefix")
}

/// Bytes that do not hash to the digest they are sent under: DigestMismatch, nothing
/// stored under either digest, and the session goes on.
fn digest_mismatch_is_rejected_and_stores_nothing(case: Case) {
    let (env, p, referenced) = with_backup(case);
    let mut w = p.start_backup("vm/200", 1).expect("writer");
    let claimed = Digest::of(b"what the client claims");
    let sent = b"what the client sent";
    let err = w
        .upload(claimed, sent)
        .expect_err("mismatch must be rejected");
    assert_eq!(
        kind(&err),
        StoreError::DigestMismatch {
            expected: claimed,
            actual: Digest::of(sent)
        },
        "{case}: DigestMismatch"
    );
    assert!(
        format!("{err:#}").contains("does not match its digest"),
        "{case}: clear message: {err:#}"
    );
    let err = p
        .chunk_store()
        .insert(None, &claimed, sent)
        .expect_err("insert checks too");
    assert!(
        matches!(kind(&err), StoreError::DigestMismatch { .. }),
        "{case}: insert: DigestMismatch, got {err:#}"
    );
    for d in [claimed, Digest::of(sent)] {
        assert!(env.stat(&d).is_none(), "{case}: no local file for {d:?}");
        assert!(
            !env.bucket_objects().contains(&d),
            "{case}: no object for {d:?}"
        );
    }
    w.create_index(INDEX).expect("index");
    let err = w
        .append(INDEX, claimed)
        .expect_err("rejected chunk unknown");
    assert_eq!(
        kind(&err),
        StoreError::UnknownChunk(claimed),
        "{case}: UnknownChunk"
    );
    let ok = w.upload_chunk(&chunk_data(5)).expect("the session goes on");
    w.append(INDEX, ok).expect("append");
    w.close_index(INDEX).expect("close");
    w.finish().expect("finish");
    assert_intact(&env, &p, &[referenced[0], referenced[1], ok], "mismatch");
}
per_case!(digest_mismatch_is_rejected_and_stores_nothing);

/// Non-hex or wrong-length digests fail with BadDigest and a clear message.
#[test]
fn bad_hex_digest_is_rejected() {
    let good = Digest::of(b"x");
    for text in [
        String::new(),
        "abc".to_string(),
        "a".repeat(63),
        "a".repeat(65),
        "zz".repeat(32),
        "é".repeat(32), // 64 bytes, not hex
        format!("{} ", &good.to_hex()[..63]),
        format!("0x{}", &good.to_hex()[..62]),
    ] {
        let err = Digest::from_hex(&text).expect_err("must be rejected");
        assert!(
            matches!(err, StoreError::BadDigest(_)),
            "{text:?}: BadDigest, got {err}"
        );
        assert!(
            err.to_string()
                .contains("not a chunk digest (64 hex characters)"),
            "{text:?}: clear message: {err}"
        );
        assert!(text.parse::<Digest>().is_err(), "{text:?}: FromStr agrees");
    }
    assert_eq!(
        Digest::from_hex(&good.to_hex().to_uppercase()).expect("uppercase hex"),
        good,
        "uppercase parses to the same digest"
    );
    let long = "q".repeat(1000);
    let err = Digest::from_hex(&long).expect_err("long input");
    assert!(
        err.to_string().len() < 200,
        "the message does not echo a huge input: {err}"
    );
}

/// A truncated or corrupt index planted in the index dir: GC fails with CorruptIndex
/// naming it and removes nothing, not even old unreferenced chunks; once it is gone, GC
/// works again.
fn corrupt_index_stops_gc_before_sweeping(case: Case) {
    let (env, p, referenced) = with_backup(case);
    let garbage = upload_unreferenced(&p, "vm/300", &[chunk_data(7)])[0];
    env.advance(GRACE + 1);
    let valid = store::index::encode(&referenced);
    let mut flipped = valid.clone();
    flipped[20] ^= 0x01;
    let mut padded = valid.clone();
    padded.extend_from_slice(&[0; 32]);
    let variants: [(&str, Vec<u8>); 5] = [
        ("empty", Vec::new()),
        ("truncated", valid[..valid.len() - 1].to_vec()),
        ("bit flip", flipped),
        ("padded", padded),
        (
            "garbage",
            b"this is not an index file, it is just some text".repeat(3),
        ),
    ];
    let bad = snap("vm/666", 5);
    let before = env.stored();
    for (what, bytes) in variants {
        env.plant_index(&bad, "bad", &bytes);
        let err = p.garbage_collect().expect_err("GC must stop");
        assert!(
            matches!(kind(&err), StoreError::CorruptIndex { ref path, .. } if path == "vm/666/5/bad.didx"),
            "{case}: {what}: CorruptIndex naming the file, got {err:#}"
        );
        assert!(
            format!("{err:#}").contains("corrupt index file vm/666/5/bad.didx"),
            "{case}: {what}: clear message: {err:#}"
        );
        assert_eq!(env.stored(), before, "{case}: {what}: GC removed nothing");
        assert!(env.stat(&garbage).is_some(), "{case}: {what}: garbage kept");
        p.prune(&bad).expect("removing the planted index");
    }
    let status = p.garbage_collect().expect("GC without the corrupt index");
    assert_eq!(status.removed_chunks, 1, "{case}: the old garbage goes now");
    env.assert_stored(&referenced, "after the corrupt index is gone");
}
per_case!(corrupt_index_stops_gc_before_sweeping);

/// A corrupt index in the previous snapshot: the backup is refused with CorruptIndex and
/// leaves no lock behind (the group can back up again once it is gone, and another
/// process's GC is not Locked).
fn corrupt_previous_index_refuses_backup_without_leaking_locks(case: Case) {
    let (env, p, referenced) = with_backup(case);
    let previous = snap("vm/777", 1);
    env.plant_index(&previous, "broken", b"short");
    let err = p
        .start_backup("vm/777", 2)
        .err()
        .expect("the previous index is unreadable");
    assert!(
        matches!(kind(&err), StoreError::CorruptIndex { .. }),
        "{case}: CorruptIndex, got {err:#}"
    );
    assert_eq!(p.active_writers(), 0, "{case}: no writer left registered");
    assert!(
        !env.snapshot_exists(&snap("vm/777", 2)),
        "{case}: nothing created"
    );
    let other = env.process();
    let err = other
        .garbage_collect()
        .expect_err("the index is still corrupt");
    assert!(
        matches!(kind(&err), StoreError::CorruptIndex { .. }),
        "{case}: GC fails on the index, not on a leaked lock: {err:#}"
    );
    p.prune(&previous)
        .expect("the previous snapshot is not locked");
    p.start_backup("vm/777", 2)
        .expect("group not locked")
        .finish()
        .expect("finish");
    assert_intact(&env, &other, &referenced, "corrupt previous index");
}
per_case!(corrupt_previous_index_refuses_backup_without_leaking_locks);

/// Appending a chunk the session neither uploaded nor registered fails with UnknownChunk,
/// even when the store has it; other misuse of the writer fails clearly too.
fn append_of_unknown_chunk_is_rejected(case: Case) {
    let (env, p, referenced) = with_backup(case);
    let stored_elsewhere = upload_unreferenced(&p, "vm/300", &[chunk_data(8)])[0];
    let mut w = p.start_backup("vm/200", 1).expect("writer");
    w.create_index(INDEX).expect("index");
    for unknown in [Digest::of(b"never uploaded"), stored_elsewhere] {
        let err = w.append(INDEX, unknown).expect_err("unknown chunk");
        assert_eq!(
            kind(&err),
            StoreError::UnknownChunk(unknown),
            "{case}: UnknownChunk"
        );
        assert!(
            format!("{err:#}").contains("unknown chunk"),
            "{case}: clear message: {err:#}"
        );
    }
    let own = w.upload_chunk(&chunk_data(9)).expect("upload");
    let err = w.append("not-open", own).expect_err("index not open");
    assert!(
        matches!(kind(&err), StoreError::NotFound(_)),
        "{case}: NotFound, got {err:#}"
    );
    let err = w.close_index("not-open").expect_err("index not open");
    assert!(
        matches!(kind(&err), StoreError::NotFound(_)),
        "{case}: NotFound, got {err:#}"
    );
    let err = w.create_index(INDEX).expect_err("index exists");
    assert!(
        format!("{err:#}").contains("already exists"),
        "{case}: clear message: {err:#}"
    );
    w.append(INDEX, own).expect("append own chunk");
    w.close_index(INDEX).expect("close");
    let err = w.create_index(INDEX).expect_err("index published");
    assert!(
        format!("{err:#}").contains("already exists"),
        "{case}: clear message: {err:#}"
    );
    w.finish().expect("finish");
    assert_eq!(
        env.read_index(&snap("vm/200", 1), INDEX),
        vec![own],
        "{case}: only the accepted append is in the index"
    );

    let mut w = p.start_backup("vm/200", 2).expect("writer");
    w.create_index("open").expect("index");
    let err = w.finish().expect_err("an index is still open");
    assert!(
        format!("{err:#}").contains("was not closed"),
        "{case}: clear message: {err:#}"
    );
    assert!(
        !env.snapshot_exists(&snap("vm/200", 2)),
        "{case}: the failed finish aborted the backup"
    );
    assert_eq!(p.active_writers(), 0, "{case}: its lock is released");
    assert_intact(&env, &p, &[referenced[0], referenced[1], own], "append");
}
per_case!(append_of_unknown_chunk_is_rejected);

/// Junk names inside `.chunks` are reported by GC and left alone.
fn junk_in_chunk_dir_is_reported_and_kept(case: Case) {
    let (env, p, referenced) = with_backup(case);
    let junk = env.add_junk();
    let garbage = upload_unreferenced(&p, "vm/300", &[chunk_data(7)])[0];
    env.advance(GRACE + 1);
    let status = p.garbage_collect().expect("GC with junk");
    assert_eq!(status.junk_entries, 1, "{case}: junk reported");
    assert_eq!(status.removed_chunks, 1, "{case}: garbage still removed");
    assert!(env.junk_exists(&junk), "{case}: junk {junk:?} left alone");
    assert!(env.stat(&garbage).is_none(), "{case}: garbage gone");
    env.assert_stored(&referenced, "with junk");
    assert_intact(&env, &p, &referenced, "junk");
    assert!(env.junk_exists(&junk), "{case}: junk survives a second GC");
}
per_case!(junk_in_chunk_dir_is_reported_and_kept);

/// An unwritable chunk dir: the upload fails with an error naming the chunk, the chunk is
/// not part of the session, and existing data is intact; it works once writable again.
fn unwritable_chunk_dir_fails_upload_and_keeps_data(case: Case) {
    let (env, p, referenced) = with_backup(case);
    let data = data_with_fresh_prefix(&referenced);
    let d = Digest::of(&data);
    let mut w = p.start_backup("vm/200", 1).expect("writer");
    env.block_local_writes(&d, true);
    let err = w.upload(d, &data).expect_err("unwritable chunk dir");
    assert!(
        format!("{err:#}").contains(&d.to_hex()),
        "{case}: the error names the chunk: {err:#}"
    );
    // `inspect`: on disk, a stat through the blocker file is an error (ENOTDIR).
    assert!(
        env.storage.chunks.inspect(&d).is_none(),
        "{case}: no local file"
    );
    if let Some(cache) = p.cache() {
        assert!(!cache.contains(&d), "{case}: not cached");
    }
    if case.kind == Kind::Model {
        let before = env.stored();
        env.advance(GRACE + 1);
        let err = p.garbage_collect().expect_err("GC cannot mark");
        assert!(
            format!("{err:#}").contains("read-only file system"),
            "{case}: clear GC error: {err:#}"
        );
        assert_eq!(
            env.stored(),
            before,
            "{case}: the failed GC removed nothing"
        );
    }
    for d in &referenced {
        assert!(env.content(d).is_some(), "{case}: existing chunk intact");
    }
    w.create_index(INDEX).expect("index");
    let err = w.append(INDEX, d).expect_err("failed upload is not known");
    assert_eq!(
        kind(&err),
        StoreError::UnknownChunk(d),
        "{case}: UnknownChunk"
    );

    env.block_local_writes(&d, false);
    w.upload(d, &data).expect("upload once writable");
    w.append(INDEX, d).expect("append");
    w.close_index(INDEX).expect("close");
    w.finish().expect("finish");
    assert_intact(
        &env,
        &p,
        &[referenced[0], referenced[1], d],
        "unwritable dir",
    );
}
per_case!(unwritable_chunk_dir_fails_upload_and_keeps_data);

/// An unwritable bucket (S3): the upload fails, nothing is cached, existing data intact.
fn unwritable_bucket_fails_upload_and_keeps_data(case: Case) {
    let (env, p, referenced) = with_backup(case);
    let cache = p.cache().expect("S3 has a cache");
    let data = data_with_fresh_prefix(&referenced);
    let d = Digest::of(&data);
    let mut w = p.start_backup("vm/200", 1).expect("writer");
    env.block_bucket_writes(&d, true);
    let err = w.upload(d, &data).expect_err("unwritable bucket");
    assert!(
        format!("{err:#}").contains(&format!("uploading chunk {}", d.to_hex())),
        "{case}: the error names the upload: {err:#}"
    );
    assert!(env.stat(&d).is_none(), "{case}: nothing cached locally");
    assert!(!cache.contains(&d), "{case}: not in the LRU");
    assert!(!env.bucket_objects().contains(&d), "{case}: no object");
    env.block_bucket_writes(&d, false);
    w.upload(d, &data).expect("upload once writable");
    publish_and_finish(w, &[d]);
    assert_intact(
        &env,
        &p,
        &[referenced[0], referenced[1], d],
        "unwritable bucket",
    );
}
per_case!(unwritable_bucket_fails_upload_and_keeps_data: s3_model, s3_disk);

/// Invalid group and index names fail with BadName and leave nothing locked or created.
fn invalid_names_are_bad_name(case: Case) {
    let (env, p, referenced) = with_backup(case);
    let bad_groups = [
        "",
        "vm",
        "vm/",
        "/100",
        "vm/100/1",
        "VM/100",
        "vm/../etc",
        "../100",
        "vm/..",
        "vm/a b",
        "vm/ü",
    ];
    for group in bad_groups {
        let err = p.start_backup(group, 1).err().expect("bad group");
        assert_eq!(
            kind(&err),
            StoreError::BadName(group.to_string()),
            "{case}: group {group:?}"
        );
    }
    assert_eq!(p.active_writers(), 0, "{case}: no writer registered");
    let mut w = p.start_backup("vm/200", 1).expect("writer");
    let long = "x".repeat(65);
    for name in ["", ".hidden", "a/b", "../up", "sp ace", long.as_str()] {
        let err = w.create_index(name).expect_err("bad index name");
        assert_eq!(
            kind(&err),
            StoreError::BadName(name.to_string()),
            "{case}: index {name:?}"
        );
        assert!(
            format!("{err:#}").contains("invalid name"),
            "{case}: clear message: {err:#}"
        );
    }
    w.create_index(&"x".repeat(64))
        .expect("64 characters are fine");
    w.close_index(&"x".repeat(64)).expect("close");
    w.finish().expect("finish");
    let other = env.process();
    assert_intact(&env, &other, &referenced, "bad names");
}
per_case!(invalid_names_are_bad_name);

/// Prune with an invalid group name is BadName on every storage.
fn prune_of_invalid_group_is_bad_name(case: Case) {
    let (env, p, referenced) = with_backup(case);
    for group in ["../etc", "vm/../../x", ""] {
        let err = p.prune(&snap(group, 1)).expect_err("bad group");
        assert_eq!(
            kind(&err),
            StoreError::BadName(group.to_string()),
            "{case}: prune of group {group:?}: {err:#}"
        );
    }
    assert_intact(&env, &p, &referenced, "bad prune");
}
per_case!(prune_of_invalid_group_is_bad_name);

/// A backup time not newer than the group's last snapshot, and a second concurrent backup
/// of a group, are refused without leaking locks.
fn refused_backups_leak_no_locks(case: Case) {
    let (env, p, referenced) = with_backup(case);
    for time in [0, 1] {
        let err = p.start_backup("vm/100", time).err().expect("not newer");
        assert!(
            format!("{err:#}").contains("is not newer than its last snapshot"),
            "{case}: time {time}: clear message: {err:#}"
        );
    }
    let w = p.start_backup("vm/100", 2).expect("newer time");
    let err = p.start_backup("vm/100", 3).err().expect("group busy");
    assert!(
        matches!(kind(&err), StoreError::Locked(_)),
        "{case}: Locked, got {err:#}"
    );
    assert_eq!(p.active_writers(), 1, "{case}: only the running writer");
    w.finish().expect("finish");
    p.start_backup("vm/100", 3)
        .expect("group free again")
        .finish()
        .expect("finish");
    let other = env.process();
    assert_intact(&env, &other, &referenced, "refused backups");
}
per_case!(refused_backups_leak_no_locks);
