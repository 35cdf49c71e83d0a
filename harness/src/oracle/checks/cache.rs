//! The cache's invariants: an LRU entry has full local content; outside the per-chunk lock,
//! a local chunk file implies its bucket object; a cache hit serves only a good copy.

use crate::oracle::ghost::Ghost;
use crate::oracle::ground::Ground;
use crate::oracle::property::{Checked, Property, Violation};
use std::collections::BTreeSet;
use store::{lru_fingerprint, Backend, Digest, LockGranularity, LockKind, ProcessId};

/// S3: a local file implies the object. Judged `when` something can break it: at every
/// write of a local file (a cache insert, a marker), and at the release of the chunk's
/// per-chunk lock, after whatever the holder deleted. Every write is sound to judge at:
/// the store puts an object before it caches its content, and a GC marks only an object
/// it found, while no other deleter runs (one GC at a time, which deletes under the
/// per-chunk lock after removing the local file). A write outside the per-chunk lock (GC
/// phase 1's marker, an eviction's) would otherwise be judged only at the chunk's next
/// lock release, which may never come.
#[inline]
pub fn bucket_backs_file(ground: &Ground, ghost: &Ghost, digest: &Digest, when: &str) -> Checked {
    if ground.backend == Backend::S3
        && ground.storage.chunks.inspect(digest).is_some()
        && !ground.object_exists(digest, &ghost.vouched)
    {
        return Err(Violation::new(
            Property::CacheBucket,
            format!("{when} {digest}: a local file but no bucket object"),
        ));
    }
    Ok(())
}

/// At the release of `process`'s LRU mutex: every entry of its LRU has content, except
/// those another process made stale, and those whose shard another process's chunk store
/// mutex holds right now: that process may be emptying the file, and reports it only
/// after the change, before it lets the mutex go (found by the generated phase: an
/// eviction in the old process emptied a file the new process had just cached).
#[inline]
pub fn lru_has_content(
    ground: &Ground,
    ghost: &Ghost,
    granularity: LockGranularity,
    process: ProcessId,
) -> Checked {
    let stale = ghost.lru_stale.get(&process);
    let changing_elsewhere = |d: &Digest| {
        let shard = granularity.shard_of(d);
        ghost.holders.keys().any(|lock| {
            matches!(lock, LockKind::ChunkStore(other, s) if *other != process && *s == shard)
        })
    };
    let lru = ghost.lru.get(&process).into_iter().flatten();
    let live = lru.filter(|d| stale.is_none_or(|s| !s.contains(d)) && !changing_elsewhere(d));
    match live.into_iter().find(|d| !ground.has_content(d)) {
        Some(digest) => Err(Violation::new(
            Property::LruContent,
            format!("the LRU of {process} lists {digest} but its local file has no content"),
        )),
        None => Ok(()),
    }
}

/// At the release of `process`'s LRU mutex: the real LRU lists exactly what the events
/// built, by count and fingerprint (an entry inserted or dropped without its report would
/// escape every LRU check).
pub fn lru_matches(ghost: &Ghost, process: ProcessId, entries: u64, fingerprint: u64) -> Checked {
    let empty = BTreeSet::new();
    let built = ghost.lru.get(&process).unwrap_or(&empty);
    if built.len() as u64 == entries && lru_fingerprint(built) == fingerprint {
        return Ok(());
    }
    Err(Violation::new(
        Property::LruContent,
        format!(
            "the LRU of {process} lists {entries} chunks, but its reported inserts and removals leave {}{}",
            built.len(),
            if built.len() as u64 == entries { " (other ones)" } else { "" }
        ),
    ))
}

/// At a cache hit that served `digest`'s local copy: the copy hashes to the digest, or no
/// good copy exists (the bucket object is the chunk's home, and a rotten cached copy must
/// be fetched again from it, not served).
pub fn hit_served(ground: &Ground, process: ProcessId, digest: &Digest, intact: bool) -> Checked {
    match intact || !ground.storage.bucket.inspect(digest) {
        true => Ok(()),
        false => Err(Violation::new(
            Property::Readable,
            format!(
                "{process} served a rotten local copy of {digest} although the bucket holds its object"
            ),
        )),
    }
}
