//! S3 backend: uploads through the per-chunk lock and the LRU cache while GC sweeps or a
//! reader reads through the cache.

use harness::world::{upload_all, Setup, World, NOW};
use store::storage::ChunkDir;
use store::{Backend, Platform};

/// Writer upload (LRU hit, touch of a marker, new upload with cache insert) vs GC phases 2–3.
///
/// History (cache of 2): E, C and G were uploaded long ago and nothing references them; E
/// was evicted to a marker, C and G are cached.
/// Threads: `gc` runs a GC (bucket sweep, then marker sweep); `writer-1` starts a backup,
/// uploads C (LRU hit), E (marker: touch) and N (new: upload, cache insert, evicting the
/// least recently used), publishes `[C, E, N]` and finishes.
/// Races: W uploads N outside the per-chunk lock, GC finds N in the bucket without a local
/// file and deletes it (`upload-without-chunk-lock`); W skips C on an LRU hit without
/// touching it and GC removes it (`lru-hit-skips-touch`). Progress: G must be gone.
pub fn upload_vs_sweep<P: Platform>(setup: Setup) {
    let world = World::<P>::new(setup, Backend::S3, 2);
    world.garbage(&[b"E", b"C", b"G"]);
    world.to_now();
    let gc = world.spawn_gc();
    let w = world.spawn_backup("writer-1", "vm/100", NOW, |writer, settle| {
        settle.ok(upload_all(writer, &[b"C", b"E", b"N"]), "uploads")
    });
    w.join();
    gc.join();
}

/// Cache insert with eviction vs GC remove: the lock order must hold, and a deadlock must be
/// reported rather than hang.
///
/// History (cache of 1): G and E were uploaded long ago, unreferenced; G was evicted, E is
/// cached.
/// Threads: `gc` removes E and G (cache remove enters the LRU under the chunk store mutex);
/// `writer-1` starts a backup and uploads N, whose cache insert evicts E (the eviction
/// callback runs inside the LRU mutex).
/// Race: the eviction callback takes the chunk store mutex inside the LRU mutex while GC
/// holds the chunk store mutex and waits for the LRU (`eviction-locks-store-inside-lru`):
/// a deadlock, or a lock-order violation where the schedule dodges it.
pub fn eviction_vs_remove<P: Platform>(setup: Setup) {
    let world = World::<P>::new(setup, Backend::S3, 1);
    world.garbage(&[b"G", b"E"]);
    world.to_now();
    let gc = world.spawn_gc();
    let w = world.spawn_backup("writer-1", "vm/100", NOW, |writer, settle| {
        settle.ok(upload_all(writer, &[b"N"]), "N uploads")
    });
    w.join();
    gc.join();
}

/// Cache insert with eviction vs a read of the evicted chunk: with the sharded chunk store
/// mutex, the eviction's deferred marker must not land on a chunk cached again meanwhile.
///
/// History (cache of 1): E was uploaded long ago, unreferenced, and is cached. With the
/// default 16 shards E and N live in different shards (9 and 12).
/// Threads: `writer-1` starts a backup, uploads N (cache insert: write N, pop E from the LRU,
/// then E's marker, under E's own shard when sharded) and publishes `[N]`; `reader` reads E
/// through the cache (a hit, or a miss that fetches E from the bucket and caches it again,
/// evicting N).
/// Race: E's deferred marker lands after the reader cached E again, so the LRU lists E
/// without content (LRU content). The GC side of the same gap (E removed in between: no
/// marker may resurrect it) is `eviction-vs-remove`.
pub fn eviction_vs_access<P: Platform>(setup: Setup) {
    let world = World::<P>::new(setup, Backend::S3, 1);
    let e = world.garbage(&[b"E"])[0];
    world.to_now();
    let w = world.spawn_backup("writer-1", "vm/100", NOW, |writer, settle| {
        settle.ok(upload_all(writer, &[b"N"]), "N uploads")
    });
    let r = world.actor("reader", move |process, settle| {
        let cache = process.cache().expect("S3 has a cache");
        if let Some(read) = settle.ok(cache.access(&e), "E reads") {
            assert_eq!(read, b"E", "E's content");
        }
    });
    w.join();
    r.join();
    // Releasing the LRU mutex makes the oracle check that every LRU entry has content;
    // check it once more after the last marker was written (a crashed process's LRU died
    // with it).
    if world.settle().crashed(&world.process) {
        return;
    }
    let cached = world.process.cache().expect("S3 has a cache").contains(&e);
    let size = world.chunks.inspect(&e).map(|s| s.size);
    assert!(
        !cached || size.is_some_and(|s| s > 0),
        "LRU content: E is cached but its local file is {size:?}"
    );
}

/// A restore read through the cache vs verify, after bit rot in the cache directory.
///
/// History (cache of 2): snapshot vm/100/1 references X, which is cached; X's local copy
/// has since rotted (same size, one byte changed).
/// Threads: `reader` reads X through the cache and must get X; `verify` checks X's local
/// copy and renames it aside (a marker with its atime takes its place).
/// Race: a read that hits the LRU before verify runs serves the rotten copy instead of
/// fetching the good object (`cache-serves-rotten-copy`); found by the generated phase.
pub fn rotten_cache_vs_read<P: Platform>(setup: Setup) {
    let world = World::<P>::new(setup, Backend::S3, 2);
    let x = world.backup("vm/100", 1, &[b"X good"])[0];
    world.chunks.corrupt(&x, b"X gooD".to_vec());
    world.to_now();
    let reader = world.actor("reader", move |process, settle| {
        settle.ok(process.read_chunk(&x), "the bucket holds a good copy of X")
    });
    let verify = world.actor("verify", move |process, settle| {
        settle.ok(process.verify_chunk(&x), "verify answers")
    });
    verify.join();
    if let Some(read) = reader.join() {
        assert_eq!(read, b"X good", "the reader gets X's content");
    }
}
