//! P1–P4: the preconditions of `unsafe fn remove`, at every call.

use crate::oracle::ghost::Ghost;
use crate::oracle::ground::Ground;
use crate::oracle::property::{Checked, Property, Violation};
use store::{Digest, LockGranularity, LockKind, ProcessId};

/// Checks P1–P4 for `remove(digest)` by `thread` of `process`.
///
/// P1 asks for the chunk store mutex of `process` that guards `digest` (its shard when the
/// mutex is split as `granularity` says, by the same mapping the store uses). P2 reads the
/// published indexes on disk, not the publications the store reported.
#[inline]
pub fn preconditions(
    ground: &Ground,
    ghost: &Ghost,
    granularity: LockGranularity,
    process: ProcessId,
    digest: Digest,
    thread: u64,
) -> Checked {
    let mutex = LockKind::ChunkStore(process, granularity.shard_of(&digest));
    let Some(holder) = ghost.held_by(mutex, thread) else {
        let holder = ghost.holders.get(&mutex);
        let holder = holder.map_or("nobody".to_string(), |h| format!("thread {}", h.thread));
        return Err(Violation::new(
            Property::P1,
            format!("remove({digest}) by thread {thread} of {process}, but its chunk store mutex is held by {holder}"),
        ));
    };
    // P1 across the decision: the stat the remove was decided by ran under this very
    // acquisition, so nothing could touch the chunk between the judgement and the remove.
    if !holder.judged.contains(&digest) {
        return Err(Violation::new(
            Property::P1,
            format!(
                "remove({digest}) by thread {thread} of {process} was not decided by a stat under this acquisition of its chunk store mutex"
            ),
        ));
    }
    if let Some(index) = ground.index_referencing(&digest) {
        return Err(Violation::new(
            Property::P2,
            format!("{digest} removed by {process} but referenced by visible index {index}"),
        ));
    }
    if let Some((writer, p)) = ghost.writer_using(&digest, Some(process)) {
        return Err(Violation::new(
            Property::P3,
            format!("{digest} removed by {process} but used by {writer} ({p})"),
        ));
    }
    if let Some((writer, p)) = ghost.writer_using(&digest, None) {
        return Err(Violation::new(
            Property::P4,
            format!("{digest} removed by {process} but used by {writer} of {p}"),
        ));
    }
    Ok(())
}
