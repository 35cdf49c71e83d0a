//! The alphabet: the program vocabulary's chunk pool and groups, the store's tuning, all
//! small so that random sequences collide (the same chunk in several sessions, a 2-chunk
//! S3 cache).

use harness::program::{group_name, BackendKind, Chunk, Granularity, Knobs, NOW};
use harness::world::{GRACE, MARGIN};
use store::{Backend, Digest};

/// Session slots: one per backup group (`vm/100`, `vm/101`, `vm/102`), one backup per group
/// at a time. Drawn operations back up the first two.
pub(crate) const SLOTS: usize = 3;
/// Number of distinct chunks (chunk 0 is the empty chunk): the program pool.
pub(crate) const POOL: usize = Chunk::COUNT as usize;
/// The logical clock's start: when a program's threads start.
pub(crate) const START: i64 = NOW;
/// S3 cache capacity: tiny, so uploads and reads evict.
pub(crate) const CACHE_CAPACITY: usize = 2;

/// The datastore the machine runs: `backend`, the oracle's grace and margin, a 2-chunk
/// cache, one mutex.
pub(crate) fn knobs(backend: Backend) -> Knobs {
    Knobs {
        backend: match backend {
            Backend::Filesystem => BackendKind::Filesystem,
            Backend::S3 => BackendKind::S3,
        },
        cache_capacity: CACHE_CAPACITY as u8,
        delete_batch: 3,
        granularity: Granularity::Single,
        grace: GRACE,
        margin: MARGIN,
    }
}

/// The name of slot `slot`'s group.
pub(crate) fn group(slot: usize) -> String {
    group_name(slot as u8)
}

/// The content of chunk `c`.
pub(crate) fn chunk_data(c: usize) -> Vec<u8> {
    Chunk(c as u8).data().to_vec()
}

/// The length of chunk `c`.
pub(crate) fn chunk_len(c: usize) -> u64 {
    Chunk(c as u8).data().len() as u64
}

/// The digest of chunk `c`.
pub(crate) fn digest(c: usize) -> Digest {
    Chunk(c as u8).digest()
}

/// The name of a session's `n`-th index published by the machine's own step.
pub(crate) fn index_name(n: usize) -> String {
    format!("index{n:03}")
}
