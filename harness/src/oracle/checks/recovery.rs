//! Lost objects: what the store does about a bucket object lost behind its back. A GC
//! reports every referenced one missing and drops its marker (or puts it back from an
//! intact cached copy), drops the marker only of an object really gone, and reports only
//! objects really gone; the next upload of the chunk puts it back (the program end check).

use crate::oracle::ground::Ground;
use crate::oracle::property::{Checked, Property, Violation};
use std::collections::BTreeSet;
use store::Digest;

/// At a GC's drop of `digest`'s local file as lost, under its per-chunk lock (which every
/// put takes): the object is really gone, or the drop throws away the mark of a chunk that
/// is there.
pub fn forgotten(ground: &Ground, digest: &Digest) -> Checked {
    match ground.storage.bucket.inspect(digest) {
        false => Ok(()),
        true => Err(Violation::new(
            Property::Recovery,
            format!(
                "GC dropped the local file of {digest} as lost, but its object is in the bucket"
            ),
        )),
    }
}

/// After a GC that ran with nothing else going on, which reported `missing`: each chunk it
/// reported is really absent from the bucket, and each chunk in `referenced` (what the
/// visible indexes reference) whose object is lost was reported and left no local file
/// claiming it.
pub fn reported(
    ground: &Ground,
    referenced: &BTreeSet<Digest>,
    missing: &BTreeSet<Digest>,
) -> Checked {
    let bucket = &ground.storage.bucket;
    if let Some(digest) = missing.iter().find(|d| bucket.inspect(d)) {
        return Err(Violation::new(
            Property::Recovery,
            format!("GC reported {digest} missing, but its object is in the bucket"),
        ));
    }
    for digest in referenced.iter().filter(|d| bucket.inspect_lost(d)) {
        if !missing.contains(digest) {
            return Err(Violation::new(
                Property::Recovery,
                format!("the object of referenced chunk {digest} is lost, and GC did not report it missing"),
            ));
        }
        if ground.storage.chunks.inspect(digest).is_some() {
            return Err(Violation::new(
                Property::Recovery,
                format!(
                    "GC reported {digest} missing but left a local file that claims its object"
                ),
            ));
        }
    }
    Ok(())
}

/// After an upload of each chunk in `lost` (objects lost and reported missing): every one
/// of them is in the bucket again.
pub fn put_back(ground: &Ground, lost: &BTreeSet<Digest>) -> Checked {
    match lost.iter().find(|d| !ground.storage.bucket.inspect(d)) {
        None => Ok(()),
        Some(digest) => Err(Violation::new(
            Property::Recovery,
            format!("a backup uploaded lost chunk {digest}, but its object is still gone"),
        )),
    }
}
