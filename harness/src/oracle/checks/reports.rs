//! The store's reports against what the oracle saw and what is on disk: a writer the oracle
//! never saw start, an index published with a chunk its writer never reported using, a
//! publication or a prune the disk contradicts.
//!
//! Each is named after the precondition it would silently weaken: a chunk a writer uses
//! without reporting it is unprotected by P3, and an index the disk and the reports
//! disagree on misleads P2.

use crate::oracle::ghost::Ghost;
use crate::oracle::ground::Ground;
use crate::oracle::property::{Checked, Property, Violation};
use store::{Digest, SnapshotId, WriterId};

/// A writer reporting anything must have been seen starting; `what` says what it reported
/// (only formatted for a violation: this runs at every chunk use).
#[inline]
pub fn known_writer(ghost: &Ghost, writer: WriterId, what: impl FnOnce() -> String) -> Checked {
    match ghost.writers.contains_key(&writer) {
        true => Ok(()),
        false => Err(Violation::new(
            Property::P3,
            format!(
                "{writer} {}, but the oracle never saw it start (or saw it finish)",
                what()
            ),
        )),
    }
}

/// At a publication: the writer is known and reported using every chunk the index lists,
/// and the disk holds that index with exactly those digests.
pub fn published(
    ground: &Ground,
    ghost: &Ghost,
    writer: WriterId,
    snapshot: &SnapshotId,
    name: &str,
    digests: &[Digest],
) -> Checked {
    known_writer(ghost, writer, || format!("published {snapshot}/{name}"))?;
    let session = &ghost.writers[&writer];
    if let Some(unreported) = digests.iter().find(|d| !session.used.contains(d)) {
        return Err(Violation::new(
            Property::P3,
            format!(
                "{writer} published {snapshot}/{name} referencing {unreported}, which it never reported using"
            ),
        ));
    }
    // What keeps P3 for an uploaded or re-used chunk is its atime: a chunk left older than
    // the writer's start (an insert or LRU hit that skipped the touch) is garbage to a GC
    // that starts now, although this index needs it.
    let stale = digests.iter().filter(|d| session.stamped.contains(d));
    let stale = stale
        .filter_map(|d| ground.storage.chunks.inspect(d).map(|st| (d, st.atime)))
        .find(|(_, atime)| *atime < session.start);
    if let Some((digest, atime)) = stale {
        return Err(Violation::new(
            Property::P3,
            format!(
                "{writer} published {snapshot}/{name} referencing {digest}, which it used but left at atime {atime}, before its start {}",
                session.start
            ),
        ));
    }
    let on_disk = ground.with_index(snapshot, name, |on_disk| match on_disk == digests {
        true => None,
        false => Some(on_disk.len()),
    });
    match on_disk {
        Some(None) => Ok(()),
        Some(Some(listed)) => Err(Violation::new(
            Property::P2,
            format!(
                "{writer} reported {snapshot}/{name} with {} digests, but the index on disk lists {listed}",
                digests.len(),
            ),
        )),
        None => Err(Violation::new(
            Property::P2,
            format!("{writer} reported publishing {snapshot}/{name}, which is not on disk"),
        )),
    }
}

/// At a prune report (made once the snapshot is removed): none of its indexes is on disk.
pub fn pruned(ground: &Ground, snapshot: &SnapshotId) -> Checked {
    match ground.index_of(snapshot) {
        Some(name) => Err(Violation::new(
            Property::P2,
            format!("snapshot {snapshot} reported pruned, but {snapshot}/{name} is still on disk"),
        )),
        None => Ok(()),
    }
}
