//! Harm: no visible index, and no index an active writer will publish, references a chunk
//! that is gone.

use crate::oracle::ghost::Ghost;
use crate::oracle::ground::Ground;
use crate::oracle::property::{Checked, Property, Violation};
use store::{Digest, SnapshotId, WriterId};

/// An index is published only when every chunk it references exists.
#[inline]
pub fn published(
    ground: &Ground,
    writer: WriterId,
    snapshot: &SnapshotId,
    name: &str,
    digests: &[Digest],
) -> Checked {
    match digests.iter().find(|d| !ground.chunk_exists(d)) {
        Some(missing) => Err(Violation::new(
            Property::Harm,
            format!("{writer} published {snapshot}/{name} referencing {missing}, which is gone"),
        )),
        None => Ok(()),
    }
}

/// No bucket object is deleted while a published index on disk or an active writer
/// references it.
#[inline]
pub fn objects_deleted(ground: &Ground, ghost: &Ghost, digests: &[Digest]) -> Checked {
    for digest in digests {
        if let Some(index) = ground.index_referencing(digest) {
            return Err(Violation::new(
                Property::Harm,
                format!("object {digest} deleted from the bucket while {index} references it"),
            ));
        }
        if let Some((writer, p)) = ghost.writer_using(digest, None) {
            return Err(Violation::new(
                Property::Harm,
                format!("object {digest} deleted from the bucket while {writer} ({p}) uses it"),
            ));
        }
    }
    Ok(())
}
