//! The alphabet: backup groups, chunks, clock steps and the store's tuning, all small so
//! that random sequences collide (the same chunk in several sessions, a 2-chunk S3 cache).

use std::sync::OnceLock;
use store::Digest;

/// Backup groups; a session's slot is its group's index (one backup per group at a time).
pub(crate) const GROUPS: [&str; 3] = ["vm/100", "vm/101", "ct/200"];
/// Number of distinct chunks (chunk 0 is the empty chunk).
pub(crate) const POOL: usize = 6;
/// The logical clock's start.
pub(crate) const START: i64 = 100_000;
/// GC grace period (upstream: 24h5m) and writer margin (upstream: 5min), scaled down.
pub(crate) const GRACE: i64 = 100;
/// See [`GRACE`].
pub(crate) const MARGIN: i64 = 10;
/// S3 cache capacity: tiny, so uploads and reads evict.
pub(crate) const CACHE_CAPACITY: usize = 2;
/// Clock jumps; two of them are beyond half the grace period, one beyond all of it.
pub(crate) const CLOCK_STEPS: [i64; 4] = [1, 10, 60, 120];

/// The content of chunk `c`: chunk 0 is the empty chunk (its content looks like an S3
/// marker), the others are distinct and of different sizes.
pub(crate) fn chunk_data(c: usize) -> Vec<u8> {
    format!("chunk-{c};").repeat(c).into_bytes()
}

/// The length of chunk `c`.
pub(crate) fn chunk_len(c: usize) -> u64 {
    chunk_data(c).len() as u64
}

/// The digest of chunk `c` (computed once).
pub(crate) fn digest(c: usize) -> Digest {
    static DIGESTS: OnceLock<Vec<Digest>> = OnceLock::new();
    DIGESTS.get_or_init(|| (0..POOL).map(|c| Digest::of(&chunk_data(c))).collect())[c]
}

/// The name of a session's `n`-th published index.
pub(crate) fn index_name(n: usize) -> String {
    format!("index{n:03}")
}
