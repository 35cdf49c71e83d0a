//! Atime order: a chunk's atime is the GC's mark, and it never moves back. At every write
//! or touch of a chunk file, the file's atime is no older than the newest stamp any write or
//! touch reported for it since it was last removed, forgotten or renamed aside.
//!
//! Judged against the file itself, not the stamp the event reports: a stamp event follows
//! its storage step, so two processes' stamps (a reload shares the chunk directory, not the
//! chunk store mutex) may be reported in the other order than they landed; the file then
//! holds the newer one and nothing moved back. A stamp that lands after a newer one and
//! leaves the file older (a stale clock reading, a marker written with an atime read before)
//! is caught as it happens, whether or not a GC later sweeps the chunk or a writer publishes
//! it (P3 and P2 judge those consequences).

use crate::oracle::ghost::Ghost;
use crate::oracle::ground::Ground;
use crate::oracle::property::{Checked, Property, Violation};
use store::Digest;

/// `thread` just wrote or touched `digest`'s file, reporting `atime`.
#[inline]
pub fn stamped(
    ground: &Ground,
    ghost: &Ghost,
    digest: &Digest,
    atime: i64,
    thread: u64,
) -> Checked {
    let (Some(newest), Some(file)) = (
        ghost.newest_stamp.get(digest),
        ground.storage.chunks.inspect(digest),
    ) else {
        return Ok(());
    };
    match file.atime < *newest {
        true => Err(Violation::new(
            Property::AtimeOrder,
            format!(
                "thread {thread} stamped chunk {digest} with atime {atime}, leaving it at {}, \
                 older than the stamp {newest} reported before: its mark moved back",
                file.atime
            ),
        )),
        false => Ok(()),
    }
}
