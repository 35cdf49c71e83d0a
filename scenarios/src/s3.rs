//! S3 backend: uploads through the per-chunk lock and the LRU cache while GC sweeps or a
//! reader reads through the cache.

use crate::build::{backup, gc, rotted_snapshot, upload_and_publish, world};
use crate::seeded::LEFT_UNTOUCHED;
use crate::{Scenario, SeededRace};
use harness::oracle::Property;
use harness::program::ops::{Read, Verify};
use harness::program::{Age, BackendKind, Chunk, Expect, Past, Proc, Program};
use store::SeededBug;

/// The scenarios of this module, in report order.
pub const SCENARIOS: &[Scenario] = &[
    scenario!(
        upload_vs_sweep,
        "s3-upload-vs-sweep",
        3,
        "S3: upload (LRU hit, touch, upload + cache insert) vs GC phases 2-3"
    ),
    scenario!(
        eviction_vs_remove,
        "eviction-vs-remove",
        4,
        "S3: cache insert with eviction vs GC remove (lock order, deadlock)"
    ),
    // Bound 14 is no bound: a higher one explores nothing more (1,800 schedules with the
    // single mutex, 11,628 with 16 shards; under a second in the test profile).
    scenario!(
        eviction_vs_access,
        "eviction-vs-access",
        14,
        "S3: cache insert evicting a chunk (marker deferred to its shard) vs a read of it"
    ),
    scenario!(
        rotten_cache_vs_read,
        "rotten-cache-vs-read",
        4,
        "S3: a restore read through the cache vs verify, after bit rot of the cached copy"
    ),
];

/// The seeded bugs these scenarios expose, and what a report of each must name.
pub const SEEDED: &[SeededRace] = &[
    // Caught at the faulty step: the bucket put outside the per-chunk lock.
    SeededRace {
        bug: SeededBug::UploadWithoutChunkLock,
        scenario: "s3-upload-vs-sweep",
        expect: &[Property::ChunkLock],
        deadlock: false,
    },
    SeededRace {
        bug: SeededBug::EvictionLocksStoreInsideLru,
        scenario: "eviction-vs-remove",
        expect: &[Property::LockOrder],
        deadlock: true,
    },
    SeededRace {
        bug: SeededBug::LruHitSkipsTouch,
        scenario: "s3-upload-vs-sweep",
        expect: LEFT_UNTOUCHED,
        deadlock: false,
    },
    // Caught at the faulty step: the cache hit that serves the rotten copy.
    SeededRace {
        bug: SeededBug::CacheServesRottenCopy,
        scenario: "rotten-cache-vs-read",
        expect: &[Property::Readable],
        deadlock: false,
    },
];

/// Writer upload (LRU hit, touch of a marker, new upload with cache insert) vs GC phases 2–3.
///
/// History (cache of 2): A2, C and B were uploaded long ago and nothing references them;
/// A2 was evicted to a marker, C and B are cached.
/// Threads: t1 runs a GC (bucket sweep, then marker sweep); t2 starts a backup, uploads C
/// (LRU hit), A2 (marker: touch) and D (new: upload, cache insert, evicting the least
/// recently used), publishes `[C, A2, D]` and finishes.
/// Races: the writer uploads D outside the per-chunk lock, GC finds D in the bucket without
/// a local file and deletes it (`upload-without-chunk-lock`); the writer skips C on an LRU
/// hit without touching it and GC removes it (`lru-hit-skips-touch`). Progress: B must go.
pub fn upload_vs_sweep() -> Program {
    Program {
        knobs: world(BackendKind::S3, 2),
        history: vec![Past::Garbage {
            chunks: vec![Chunk::A2, Chunk::C, Chunk::B],
            age: Age::Old,
        }],
        threads: vec![
            vec![gc(Proc::Current)],
            vec![backup(0, 1, upload_and_publish(&[Chunk::C, Chunk::A2, Chunk::D])).into()],
        ],
        expect: Vec::new(),
        faults: Vec::new(),
    }
}

/// Cache insert with eviction vs GC remove: the lock order must hold, and a deadlock must be
/// reported rather than hang.
///
/// History (cache of 1): B and A2 were uploaded long ago, unreferenced; B was evicted, A2
/// is cached.
/// Threads: t1 runs a GC, which removes A2 and B (cache remove enters the LRU under the
/// chunk store mutex); t2 starts a backup and uploads D, whose cache insert evicts A2 (the
/// eviction callback runs inside the LRU mutex), and publishes `[D]`.
/// Race: the eviction callback takes the chunk store mutex inside the LRU mutex while GC
/// holds the chunk store mutex and waits for the LRU (`eviction-locks-store-inside-lru`):
/// a deadlock, or a lock-order violation where the schedule dodges it.
pub fn eviction_vs_remove() -> Program {
    Program {
        knobs: world(BackendKind::S3, 1),
        history: vec![Past::Garbage {
            chunks: vec![Chunk::B, Chunk::A2],
            age: Age::Old,
        }],
        threads: vec![
            vec![gc(Proc::Current)],
            vec![backup(0, 1, upload_and_publish(&[Chunk::D])).into()],
        ],
        expect: Vec::new(),
        faults: Vec::new(),
    }
}

/// Cache insert with eviction vs a read of the evicted chunk: with the sharded chunk store
/// mutex, the eviction's deferred marker must not land on a chunk cached again meanwhile.
///
/// History (cache of 1): C was uploaded long ago, unreferenced, and is cached. With the
/// default 16 shards C and D live in different shards (a test checks it).
/// Threads: t1 starts a backup, uploads D (cache insert: write D, pop C from the LRU, then
/// C's marker, under C's own shard when sharded) and publishes `[D]`; t2 reads C through
/// the cache (a hit, or a miss that fetches C from the bucket and caches it again,
/// evicting D) and must get its content.
/// Race: C's deferred marker lands after the reader cached C again, so the LRU lists C
/// without content (LRU content, and the expectation after the threads: the last marker
/// may land after the last LRU release). The GC side of the same gap (C removed in
/// between: no marker may resurrect it) is `eviction-vs-remove`.
pub fn eviction_vs_access() -> Program {
    Program {
        knobs: world(BackendKind::S3, 1),
        history: vec![Past::Garbage {
            chunks: vec![Chunk::C],
            age: Age::Old,
        }],
        threads: vec![
            vec![backup(0, 1, upload_and_publish(&[Chunk::D])).into()],
            vec![Read {
                proc: Proc::Current,
                chunk: Chunk::C,
            }
            .into()],
        ],
        expect: vec![Expect::CachedWithContent(Chunk::C)],
        faults: Vec::new(),
    }
}

/// A restore read through the cache vs verify, after bit rot in the cache directory.
///
/// History (cache of 2): snapshot vm/100/1 references C, which is cached; C's local copy
/// has since rotted (same size, one byte changed).
/// Threads: t1 reads C through the cache and must get C (the bucket holds a good copy);
/// t2 verifies C's local copy and empties the rotten copy in place (a marker keeping its
/// atime).
/// Race: a read that hits the LRU before verify runs serves the rotten copy instead of
/// fetching the good object (`cache-serves-rotten-copy`); found by the generated phase.
pub fn rotten_cache_vs_read() -> Program {
    let (proc, chunk) = (Proc::Current, Chunk::C);
    Program {
        knobs: world(BackendKind::S3, 2),
        history: rotted_snapshot(chunk, true),
        threads: vec![
            vec![Read { proc, chunk }.into()],
            vec![Verify { proc, chunk }.into()],
        ],
        expect: Vec::new(),
        faults: Vec::new(),
    }
}
