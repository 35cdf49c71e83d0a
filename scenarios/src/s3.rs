//! S3 backend: uploads through the per-chunk lock and the LRU cache while GC sweeps.

use harness::world::{upload_all, Setup, World, NOW};
use store::{Backend, Platform};

/// Writer upload (LRU hit, touch of a marker, new upload with cache insert) vs GC phases 2–3.
///
/// History (cache of 2): E, C and G were uploaded long ago and nothing references them; E
/// was evicted to a marker, C and G are cached.
/// Threads: `gc` runs a GC (bucket sweep, then marker sweep); `writer-1` starts a backup,
/// uploads C (LRU hit), E (marker: touch) and N (new: upload, cache insert, evicting the
/// least recently used), publishes [C, E, N] and finishes.
/// Races: W uploads N outside the per-chunk lock, GC finds N in the bucket without a local
/// file and deletes it (`upload-without-chunk-lock`); W skips C on an LRU hit without
/// touching it and GC removes it (`lru-hit-skips-touch`). Progress: G must be gone.
pub fn upload_vs_sweep<P: Platform>(setup: Setup) {
    let world = World::<P>::new(setup, Backend::S3, 2);
    world.garbage(&[b"E", b"C", b"G"]);
    world.to_now();
    let gc = world.spawn_gc();
    let w = world.spawn_backup("writer-1", "vm/100", NOW, |writer| {
        upload_all(writer, &[b"C", b"E", b"N"])
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
    let w = world.spawn_backup("writer-1", "vm/100", NOW, |writer| {
        upload_all(writer, &[b"N"])
    });
    w.join();
    gc.join();
}
