//! P1 across the decision, and the per-chunk lock: every read and write of a chunk file that
//! a decision rests on holds its chunk store mutex, and every bucket put and delete holds
//! the chunk's per-chunk lock. A stat, touch or upload outside its lock is reported at that
//! very step, on every schedule that executes it, not only when some writer happens to land
//! in the gap.

use crate::oracle::ghost::Ghost;
use crate::oracle::property::{Checked, Property, Violation};
use store::{Digest, LockGranularity, LockKind, ProcessId};

/// `process`'s chunk store mutex for `digest` (its shard), if `thread` holds it; else a P1
/// violation describing `what` it did without it.
fn store_mutex(
    ghost: &Ghost,
    granularity: LockGranularity,
    process: ProcessId,
    digest: &Digest,
    thread: u64,
    what: &str,
) -> Result<LockKind, Violation> {
    let mutex = LockKind::ChunkStore(process, granularity.shard_of(digest));
    match ghost.held_by(mutex, thread) {
        Some(_) => Ok(mutex),
        None => Err(Violation::new(
            Property::P1,
            format!("thread {thread} of {process} {what} {digest} without its chunk store mutex"),
        )),
    }
}

/// A stat, write, touch or rename of a chunk file: under the mutex (after a stat, the ghost
/// remembers it as the judgement a remove by the same thread must be decided by, under the
/// same acquisition).
#[inline]
pub fn changed(
    ghost: &Ghost,
    granularity: LockGranularity,
    process: ProcessId,
    digest: Digest,
    thread: u64,
    what: &str,
) -> Checked {
    store_mutex(ghost, granularity, process, &digest, thread, what).map(|_| ())
}

/// A bucket put or delete of `digests`: each under its per-chunk lock.
#[inline]
pub fn bucket_changed(ghost: &Ghost, digests: &[Digest], thread: u64, what: &str) -> Checked {
    match digests
        .iter()
        .find(|d| ghost.held_by(LockKind::Chunk(**d), thread).is_none())
    {
        Some(digest) => Err(Violation::new(
            Property::ChunkLock,
            format!("thread {thread} {what} {digest} without its per-chunk lock"),
        )),
        None => Ok(()),
    }
}
