//! Harm: no visible index, and no index an active writer will publish, references a chunk
//! that is gone.

use crate::oracle::ghost::Ghost;
use crate::oracle::ground::Ground;
use crate::oracle::property::{Checked, Property, Violation};
use store::{Backend, Digest, SnapshotId, WriterId};

/// An index is published only when every chunk it references exists, unless verify
/// renamed the chunk aside as corrupt and nothing wrote it since: then bit rot, not the
/// store, lost it (a writer may re-use a known chunk without re-reading it; found by the
/// generated phase, where verify quarantined a rotten chunk a writer had just re-used).
#[inline]
pub fn published(
    ground: &Ground,
    ghost: &Ghost,
    writer: WriterId,
    snapshot: &SnapshotId,
    name: &str,
    digests: &[Digest],
) -> Checked {
    let lost =
        |d: &&Digest| !ground.chunk_exists(d, &ghost.vouched) && !ghost.quarantined.contains(d);
    match digests.iter().find(lost) {
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

/// Who needs `digest` to survive: a published index on disk or an active writer.
fn needed_by(ground: &Ground, ghost: &Ghost, digest: &Digest) -> Option<String> {
    let writer = ghost.writer_using(digest, None);
    let writer = writer.map(|(w, p)| format!("{w} ({p})"));
    writer.or_else(|| ground.index_referencing(digest))
}

/// After a write of `digest`'s local file: if anyone needs the chunk, the filesystem
/// backend's file holds its content, and on S3 the object exists (a marker is fine there).
pub fn written(ground: &Ground, ghost: &Ghost, digest: &Digest) -> Checked {
    let intact = || match ground.backend {
        Backend::Filesystem => ground.has_good_content(digest),
        Backend::S3 => ground.object_exists(digest, &ghost.vouched),
    };
    if intact() {
        return Ok(());
    }
    match needed_by(ground, ghost, digest) {
        Some(user) => Err(Violation::new(
            Property::Harm,
            format!("{digest} was written over while {user} needs it, and it is gone or damaged"),
        )),
        None => Ok(()),
    }
}

/// Before `digest`'s local file is renamed aside as corrupt: if anyone needs the chunk, the
/// filesystem backend's file really is damaged (a good copy renamed aside is lost data),
/// and on S3 the object exists.
pub fn quarantining(ground: &Ground, ghost: &Ghost, digest: &Digest) -> Checked {
    // The storage is judged first: verify renames aside chunks it found corrupt, and who
    // needs one is only looked up (and formatted) when renaming it would do harm.
    let (harmful, why) = match ground.backend {
        Backend::Filesystem => (ground.has_good_content(digest), "its content is good"),
        Backend::S3 => (
            !ground.object_exists(digest, &ghost.vouched),
            "its bucket object is gone",
        ),
    };
    if !harmful {
        return Ok(());
    }
    match needed_by(ground, ghost, digest) {
        Some(user) => Err(Violation::new(
            Property::Harm,
            format!("{digest} renamed aside as corrupt while {user} needs it, but {why}"),
        )),
        None => Ok(()),
    }
}
